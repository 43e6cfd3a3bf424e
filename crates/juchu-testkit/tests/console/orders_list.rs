//! Home and the order list in the browser: counts per status and hold, search by kana, filters,
//! and the screenshots of both screens.

use juchu_domain::Role;
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

/// A shop with two warehouses and a few customers' orders in different states.
struct Shop {
    t: TestApp,
    /// Order numbers by customer.
    yamada: i64,
    sato: i64,
    suzuki: i64,
}

fn body(ext: &str, name: &str, kana: &str, email: &str, method: &str) -> Value {
    let mut b = order_body(ext, &[("TOWEL", 1, 1980)], method);
    b["customer"] = json!({"name": name, "kana": kana, "email": email, "phone": "03-5555-0000"});
    b["shipping_address"]["name"] = json!(name);
    b
}

async fn shop() -> Shop {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let op = t.api.key(&t.admin, "operator").await;
    let wh = t.api.key(&t.admin, "warehouse").await;
    let sf = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.warehouse(&op, "OSK", 2).await;
    t.api.sku(&op, "TOWEL", 10).await;
    assert_eq!(t.api.stock(&wh, "TKY", "TOWEL", 100).await.status, 201);
    let mut numbers = Vec::new();
    let orders = [
        body(
            "L-1",
            "山田 太郎",
            "ヤマダ タロウ",
            "taro@example.jp",
            "credit_card",
        ),
        body(
            "L-2",
            "佐藤 花子",
            "サトウ ハナコ",
            "hanako@example.jp",
            "bank_transfer",
        ),
        {
            let mut b = body(
                "L-3",
                "鈴木 一郎",
                "スズキ イチロウ",
                "ichiro@example.jp",
                "cod",
            );
            b["notes"] = json!("午前中に届けてください");
            b
        },
        body(
            "L-4",
            "高橋 次郎",
            "タカハシ ジロウ",
            "jiro@example.jp",
            "credit_card",
        ),
        body(
            "L-5",
            "山本 三郎",
            "ヤマモト サブロウ",
            "saburo@example.jp",
            "cod",
        ),
    ];
    for b in &orders {
        let r = t.api.post("/api/v1/orders", &sf, b).await;
        assert_eq!(r.status, 201, "{}", r.text);
        numbers.push(r.body["number"].as_i64().unwrap());
    }
    t.api.wait_idle(&t.admin).await;
    Shop {
        yamada: numbers[0],
        sato: numbers[1],
        suzuki: numbers[2],
        t,
    }
}

/// The order numbers of the rows the list shows.
async fn shown(b: &juchu_testkit::Browser) -> Vec<i64> {
    b.wait_for("#row-count").await;
    let mut out = Vec::new();
    for e in b.all("table.orders a.number").await {
        out.push(e.text().await.unwrap().trim().parse().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn home_counts_and_holds_then_find_an_order_by_kana() {
    let s = shop().await;
    let b = s.t.browser_as(Role::Operator).await;

    // Home: eight statuses in flow order with counts, cancelled aside, holds by reason.
    b.goto("/").await;
    let flow = b.all("ol.flow li .label").await;
    let mut labels = Vec::new();
    for e in &flow {
        labels.push(e.text().await.unwrap());
    }
    assert_eq!(
        labels,
        [
            "受注",
            "未引当",
            "中途引当",
            "引当済",
            "出荷指示済",
            "出荷済",
            "着荷済",
            "計上済"
        ]
    );
    assert!(b.text("#status-cancelled").await.contains("キャンセル"));
    let counts = s.t.app().order_counts().await.unwrap();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 5);
    for (st, n) in counts {
        let tile = b.text(&format!("#status-{}", st.as_str())).await;
        assert!(tile.ends_with(&n.to_string()), "{tile} should show {n}");
    }
    let notes = b.text("#hold-notes").await;
    assert!(
        notes.contains("備考確認") && notes.ends_with('1'),
        "{notes}"
    );
    b.screenshot("home").await;

    // The hold's link lists exactly the order waiting on it.
    b.click("#hold-notes a").await;
    assert_eq!(shown(&b).await, vec![s.suzuki]);

    // Search by kana, as the customer spelled it on the phone.
    b.goto("/orders").await;
    b.fill("#q", "ヤマダ").await;
    b.click("form.filters button[type=submit]").await;
    assert_eq!(shown(&b).await, vec![s.yamada]);
    let row = b.text(&format!("#order-{}", s.yamada)).await;
    assert!(
        row.contains("山田 太郎") && row.contains("ヤマダ タロウ"),
        "{row}"
    );
    // With the space of the full name, and by phone-style e-mail fragment.
    b.fill("#q", "ヤマダ タロウ").await;
    b.click("form.filters button[type=submit]").await;
    assert_eq!(shown(&b).await, vec![s.yamada]);
    // The order number links to the order.
    let link = b
        .wait_for(&format!("#order-{} a.number", s.yamada))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.starts_with("/orders/"), "{link}");
    b.quit().await;
    s.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn filters_and_sorting_of_the_order_list() {
    let s = shop().await;
    let b = s.t.browser_as(Role::Operator).await;
    b.goto("/orders").await;
    let all = shown(&b).await;
    assert_eq!(all.len(), 5);
    // Newest order date first by default.
    let mut sorted = all.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted);
    // Every row has a selection checkbox for the bulk form, and the button is there.
    assert_eq!(b.all("form#selection input[name=order]").await.len(), 5);
    b.wait_for("#instruct-selected").await;
    b.screenshot("list").await;

    // Payment method.
    b.select("#f-method", "bank_transfer").await;
    b.click("form.filters button[type=submit]").await;
    assert_eq!(shown(&b).await, vec![s.sato]);
    // Hold: any reason.
    b.goto("/orders").await;
    b.select("#f-hold", "any").await;
    b.click("form.filters button[type=submit]").await;
    assert_eq!(shown(&b).await, vec![s.suzuki]);
    // Warehouse: orders with stock allocated in TKY (the held and unpaid ones wait).
    let in_tky =
        s.t.app()
            .list_orders(juchu_app::OrderQuery {
                warehouse: Some("TKY".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .0
            .len();
    assert!(in_tky > 0);
    b.goto("/orders?warehouse=TKY").await;
    assert_eq!(shown(&b).await.len(), in_tky);
    b.goto("/orders?warehouse=OSK").await;
    b.wait_for("#no-orders").await;
    // A date range in Japan time: today has them all, a range in the past none.
    b.goto("/orders?ordered_to=2001-01-31&ordered_from=2001-01-01")
        .await;
    b.wait_for("#no-orders").await;
    // Sorting by number, ascending, by clicking the column header twice.
    b.goto("/orders").await;
    b.click("table.orders th:nth-child(2) a").await;
    b.click("table.orders th:nth-child(2) a").await;
    let mut asc = all.clone();
    asc.sort_unstable();
    assert_eq!(shown(&b).await, asc);
    // Two per page: the pages add up to every order, once each.
    b.goto("/orders?limit=2&sort=number&direction=asc").await;
    let mut seen = shown(&b).await;
    loop {
        let links = b.all("#next-page").await;
        let Some(next) = links.first() else { break };
        let href = next.attr("href").await.unwrap().unwrap();
        b.goto(&href).await;
        seen.extend(shown(&b).await);
    }
    assert_eq!(seen, asc);
    // A bad value is explained on the page, not a crash.
    b.goto("/orders?ordered_from=yesterday").await;
    assert!(b.text("#list-error").await.contains("ordered_from"));
    b.quit().await;
    s.t.stop().await;
}
