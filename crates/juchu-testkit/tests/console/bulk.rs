//! Bulk work in the browser, as a warehouse team does it: select orders in the order list and
//! instruct shipping, download the B2 file, upload the carrier's issued data with the tracking
//! numbers, and see the orders shipped. Helpers here are shared with `bulk_refused`.

use juchu_domain::Role;
use juchu_testkit::{Backend, Browser, TestApp, order_body, zengin_statement};
use serde_json::json;
use std::time::Duration;

pub struct Shop {
    pub t: TestApp,
    pub operator: String,
    pub warehouse: String,
    pub storefront: String,
}

/// A shop with one warehouse (TKY) and two SKUs in stock.
pub async fn shop() -> Shop {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    for sku in ["TOWEL", "TEA"] {
        assert_eq!(t.api.stock(&warehouse, "TKY", sku, 50).await.status, 201);
    }
    Shop {
        t,
        operator,
        warehouse,
        storefront,
    }
}

/// Places an order through the API and waits until the worker has allocated it; its id.
pub async fn place(s: &Shop, ext: &str) -> String {
    let body = order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "credit_card");
    let r = s.t.api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    s.t.api.wait_status(&s.operator, &id, "allocated").await;
    id
}

/// Instructs orders through the API; their shipment ids, in the same order.
pub async fn instruct(s: &Shop, ids: &[&str]) -> Vec<String> {
    let r =
        s.t.api
            .post(
                "/api/v1/shipping-instructions",
                &s.warehouse,
                &json!({ "order_ids": ids }),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut out = Vec::new();
    for id in ids {
        let o = s.t.api.order(&s.operator, id).await;
        out.push(o["shipments"][0]["id"].as_str().unwrap().to_owned());
    }
    out
}

/// A 12-digit number whose last digit is the mod-7 check digit of the first eleven.
pub fn tracking(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

/// On `/bulk`, uploads `bytes` as file `name` with the form posting to `action` (choosing
/// `format` when given), and waits for the answer: the result page or the error page.
pub async fn upload(b: &Browser, action: &str, format: Option<&str>, name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    b.goto("/bulk").await;
    let form = format!("form[action='{action}']");
    if let Some(f) = format {
        b.select(&format!("{form} select[name=format]"), f).await;
    }
    b.wait_for(&format!("{form} input[type=file]"))
        .await
        .send_keys(&path.to_string_lossy())
        .await
        .unwrap();
    b.click(&format!("{form} button[type=submit]")).await;
    // The file must stay until the browser has sent it: wait for the answer first.
    b.wait_for("#import-summary, #import-error, p.status").await;
    drop(dir);
}

/// Uploads like `upload` and returns the result page's summary line.
pub async fn imported(
    b: &Browser,
    action: &str,
    format: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> String {
    upload(b, action, format, name, bytes).await;
    b.text("#import-summary").await
}

/// The first finished download whose name starts with `prefix`.
async fn downloaded(b: &Browser, prefix: &str) -> (String, Vec<u8>) {
    for _ in 0..200 {
        let done = std::fs::read_dir(b.downloads.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(prefix) && !n.ends_with(".crdownload"));
        if let Some(name) = done {
            let bytes = std::fs::read(b.downloads.path().join(&name)).unwrap();
            return (name, bytes);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no download starting with {prefix}");
}

/// The rows of a carrier file we wrote: every field quoted, CRLF, Shift_JIS.
fn rows_of(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = juchu_formats::decode_text(bytes).unwrap();
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            // One quote off each end: a trailing empty field ends in `""`.
            l.strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap()
                .split("\",\"")
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instruct_a_selection_download_b2_import_tracking_see_them_shipped() {
    let s = shop().await;
    let first = place(&s, "SEL-1").await;
    let second = place(&s, "SEL-2").await;
    let left = place(&s, "SEL-3").await;
    let number = |o: &serde_json::Value| o["number"].as_i64().unwrap();
    let n1 = number(&s.t.api.order(&s.operator, &first).await);
    let n2 = number(&s.t.api.order(&s.operator, &second).await);
    let b = s.t.browser_as(Role::Operator).await;

    // Select two of the three allocated orders in the list and instruct them.
    b.goto("/orders?status=allocated").await;
    for id in [&first, &second] {
        b.click(&format!("input[name=order][value='{id}']")).await;
    }
    b.click("form[action='/bulk/instruct'] button[type=submit]")
        .await;
    if b.client.get_alert_text().await.is_ok() {
        b.accept_confirm().await;
    }
    let summary = b.text("#instruct-summary").await;
    assert!(
        summary.contains("出荷指示: 2") && summary.contains("指示できず: 0"),
        "{summary}"
    );
    let results = b.text("#instruct-results").await;
    assert!(
        results.contains(&format!("#{n1}")) && results.contains(&format!("#{n2}")),
        "{results}"
    );
    let o = s.t.api.order(&s.operator, &left).await;
    assert_eq!(o["status"], "allocated", "the order not selected stays");

    // The B2 file of the batch: Shift_JIS, a header and one label per selected order.
    b.click("ul.batches a[href$='format=yamato-b2']").await;
    let (name, bytes) = downloaded(&b, "yamato-b2_TKY_").await;
    assert!(name.ends_with(".csv"), "{name}");
    assert!(std::str::from_utf8(&bytes).is_err(), "Shift_JIS, not UTF-8");
    let mut rows = rows_of(&bytes);
    assert_eq!(rows.len(), 3, "header and two labels");
    assert_eq!(rows[0][3], "伝票番号");
    let mut keys = Vec::new();
    for id in [&first, &second] {
        let o = s.t.api.order(&s.operator, id).await;
        assert_eq!(o["status"], "shipping_instructed");
        keys.push(o["shipments"][0]["id"].as_str().unwrap().replace('-', ""));
    }
    let mut in_file: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    in_file.sort();
    keys.sort();
    assert_eq!(in_file, keys, "お客様管理番号 = our shipment keys");

    // B2 gives the file back with 伝票番号 filled in: upload it.
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        row[3] = tracking(44441375870 + i as u64);
    }
    let text: String = rows
        .iter()
        .map(|r| format!("\"{}\"\r\n", r.join("\",\"")))
        .collect();
    let issued = juchu_formats::encode_cp932(&text).unwrap();
    let summary = imported(
        &b,
        "/bulk/tracking",
        Some("yamato-b2"),
        "issued.csv",
        &issued,
    )
    .await;
    assert!(
        summary.contains("出荷済: 2") && summary.contains("エラー: 0"),
        "{summary}"
    );
    assert_eq!(b.all("#import-rows tbody tr.ok").await.len(), 2);

    // The orders are shipped: in the list and on the batch page, with their tracking numbers.
    for id in [&first, &second] {
        let o = s.t.api.order(&s.operator, id).await;
        assert_eq!(o["status"], "shipped");
        assert_eq!(o["shipments"][0]["carrier"], "yamato");
    }
    b.goto("/orders?status=shipped").await;
    let list = b.page_text().await;
    for id in [&first, &second] {
        assert!(
            !b.all(&format!("a[href='/orders/{id}']")).await.is_empty(),
            "{id} listed as shipped: {list}"
        );
    }
    assert!(b.all(&format!("a[href='/orders/{left}']")).await.is_empty());
    b.goto("/bulk").await;
    b.click("table a[href^='/bulk/batches/']").await;
    let batch = b.text("#batch-shipments").await;
    assert_eq!(batch.matches("shipped").count(), 2, "{batch}");
    assert!(batch.contains(&tracking(44441375870)), "{batch}");

    // The same file again changes nothing: every row says it was applied already.
    let summary = imported(
        &b,
        "/bulk/tracking",
        Some("yamato-b2"),
        "issued.csv",
        &issued,
    )
    .await;
    assert!(
        summary.contains("出荷済: 0") && summary.contains("取込済み: 2"),
        "{summary}"
    );
    b.quit().await;
    s.t.api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

/// Accounting uploads a Zengin statement: the deposit for the order's virtual account is applied
/// (the order is paid), the stranger's is kept for operators; the same file again counts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_statement_upload_shows_each_deposit() {
    use juchu_app::zengin_write::Layout;
    let s = shop().await;
    let body = order_body("BT-1", &[("TEA", 2, 1080)], "bank_transfer");
    let r = s.t.api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let account: i64 = o["payment"]["virtual_account"]
        .as_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let statement = [
        zengin_statement(
            Layout::Statement03,
            account,
            &[(1, 2160, "ﾔﾏﾀﾞ ﾀﾛｳ")],
            true,
            true,
        ),
        zengin_statement(
            Layout::Statement03,
            1_099_998,
            &[(7, 999, "ｽｽﾞｷ ﾊﾅｺ")],
            true,
            true,
        ),
    ]
    .concat();
    let b = s.t.browser_as(Role::Accounting).await;
    let summary = imported(&b, "/bulk/bank", None, "statement.txt", &statement).await;
    assert!(
        summary.contains("入金記録: 1") && summary.contains("該当受注なし: 1"),
        "{summary}"
    );
    let rows = b.text("#import-rows tbody").await;
    assert!(
        rows.contains("¥2,160") && rows.contains("paid") && rows.contains("ｽｽﾞｷ ﾊﾅｺ"),
        "{rows}"
    );
    assert!(
        !b.all(&format!("#import-rows a[href='/orders/{id}']"))
            .await
            .is_empty()
    );
    let o = s.t.api.order(&s.operator, &id).await;
    assert_eq!(o["payment"]["status"], "paid");

    let summary = imported(&b, "/bulk/bank", None, "statement.txt", &statement).await;
    assert!(
        summary.contains("入金記録: 0") && summary.contains("取込済み: 2"),
        "{summary}"
    );
    let o = s.t.api.order(&s.operator, &id).await;
    assert_eq!(o["payment"]["captured_amount"], 2160);
    b.quit().await;
    s.t.stop().await;
}
