//! Purchase orders (発注): shortages become purchase-order lines for the SKU's supplier (immediately
//! or batched at set times), receipts add stock and allocate waiting orders in arrival order, one
//! shortage is never ordered twice. Drop-shipping and the manual API are in the submodules.

mod drop_ship;
mod manual;

use jiff::Timestamp;
use juchu_app::{FakeClock, Worker, WorkerOptions};
use juchu_domain::policy::Policies;
use juchu_domain::purchasing::PurchaseOrderMode;
use juchu_testkit::{Api, Backend, TestApp, order_body};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

juchu_testkit::on_both_backends!(
    shortage_orders_then_receipts_allocate_in_arrival_order,
    one_shortage_is_never_ordered_twice,
    batched_purchase_orders_go_out_at_the_set_times,
);

pub(crate) struct Shop {
    pub t: TestApp,
    pub operator: String,
    pub warehouse: String,
}

/// A shop with warehouse TKY and SKU BEAN, which supplier ACME delivers in 3 days.
pub(crate) async fn shop(t: TestApp) -> Shop {
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    let r = t
        .api
        .put(
            "/api/v1/skus/BEAN",
            &operator,
            &json!({"name": "珈琲豆 200g", "tax_rate": 8, "supplier": "ACME", "lead_time_days": 3}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["lead_time_days"], 3);
    Shop {
        t,
        operator,
        warehouse,
    }
}

/// Polls `f` until it returns something (the worker runs in the background).
pub(crate) async fn wait_for<F, Fut>(what: &str, mut f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<Value>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `GET /api/v1/purchase-orders?{query}` → items, newest first.
pub(crate) async fn pos(api: &Api, token: &str, query: &str) -> Vec<Value> {
    let r = api
        .get(&format!("/api/v1/purchase-orders?{query}"), token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn ordered(items: &[Value]) -> i64 {
    items
        .iter()
        .flat_map(|p| p["lines"].as_array().unwrap().iter())
        .map(|l| l["quantity"].as_i64().unwrap())
        .sum()
}

/// Waits until the supplier's purchase orders add up to `quantity`, and returns them.
async fn wait_ordered(api: &Api, token: &str, supplier: &str, quantity: i64) -> Vec<Value> {
    let items = wait_for(&format!("{quantity} ordered from {supplier}"), || async {
        let items = pos(api, token, &format!("supplier={supplier}")).await;
        (ordered(&items) == quantity).then_some(Value::Array(items))
    })
    .await;
    items.as_array().unwrap().clone()
}

async fn place(s: &Shop, external_id: &str, quantity: i64) -> String {
    let body = order_body(external_id, &[("BEAN", quantity, 1200)], "credit_card");
    let r = s.t.api.post("/api/v1/orders", &s.operator, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

fn allocated(order: &Value) -> i64 {
    order["lines"][0]["allocated_quantity"].as_i64().unwrap()
}

async fn receive(s: &Shop, po: &str, quantity: i64) -> Value {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/purchase-orders/{po}/receipts"),
                &s.warehouse,
                &json!({"lines": [{"sku": "BEAN", "quantity": quantity}]}),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.t.api.wait_idle(&s.t.admin).await;
    r.body
}

async fn shortage_orders_then_receipts_allocate_in_arrival_order(b: Backend) {
    let s = shop(TestApp::spawn(b).await).await;
    let api = &s.t.api;
    assert_eq!(api.stock(&s.warehouse, "TKY", "BEAN", 2).await.status, 201);
    // A wants 5: 2 in stock, 3 short → a purchase order for 3, sent at once (policy `immediate`).
    let a = place(&s, "A", 5).await;
    let o = api
        .wait_status(&s.operator, &a, "partially_allocated")
        .await;
    assert_eq!(allocated(&o), 2);
    let first = wait_ordered(api, &s.operator, "ACME", 3).await;
    let po1 = &first[0];
    assert_eq!(po1["status"], "sent");
    assert_eq!(po1["origin"], "shortage");
    assert_eq!(po1["warehouse"], "TKY");
    assert_eq!(po1["drop_ship"], false);
    assert_eq!(po1["lines"][0]["sku"], "BEAN");
    assert_eq!(po1["lines"][0]["lead_time_days"], 3);
    assert!(po1["lines"][0]["expected_date"].is_string(), "{po1}");
    let po1 = po1["id"].as_str().unwrap().to_owned();
    // B wants 4: nothing left → a second purchase order for 4 (A's 3 are not ordered again).
    let b_id = place(&s, "B", 4).await;
    api.wait_status(&s.operator, &b_id, "unallocated").await;
    let both = wait_ordered(api, &s.operator, "ACME", 7).await;
    assert_eq!(both.len(), 2);
    let po2 = both[0]["id"].as_str().unwrap().to_owned();
    assert_ne!(po1, po2);
    assert_eq!(ordered(&both[..1]), 4);

    // B's purchase order arrives first, partly: the stock goes to A, who ordered first.
    let r = receive(&s, &po2, 2).await;
    assert_eq!(r["status"], "partially_received");
    assert_eq!(r["lines"][0]["received_quantity"], 2);
    assert_eq!(allocated(&api.order(&s.operator, &a).await), 4);
    assert_eq!(allocated(&api.order(&s.operator, &b_id).await), 0);
    // The rest of it: A is complete, B takes what is left.
    assert_eq!(receive(&s, &po2, 2).await["status"], "received");
    let o = api.wait_status(&s.operator, &a, "allocated").await;
    assert_eq!(allocated(&o), 5);
    let o = api
        .wait_status(&s.operator, &b_id, "partially_allocated")
        .await;
    assert_eq!(allocated(&o), 1);
    // B still waits for 3, which A's purchase order covers: nothing more is ordered.
    assert_eq!(ordered(&pos(api, &s.operator, "supplier=ACME").await), 7);
    assert_eq!(receive(&s, &po1, 3).await["status"], "received");
    api.wait_status(&s.operator, &b_id, "allocated").await;
    assert_eq!(api.stock_level(&s.operator, "TKY", "BEAN").await, (9, 9));
    assert_eq!(pos(api, &s.operator, "supplier=ACME").await.len(), 2);

    // The ledger names the purchase order of each receipt.
    let m = api
        .get(
            "/api/v1/stock/movements?sku=BEAN&warehouse=TKY",
            &s.operator,
        )
        .await;
    let receipts: Vec<&Value> = m.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reason"] == "po_receipt")
        .collect();
    assert_eq!(receipts.len(), 3, "{}", m.body);
    assert_eq!(receipts[0]["po_id"], po1.as_str());
    assert_eq!(receipts[0]["on_hand_delta"], 3);
    assert_eq!(receipts[2]["po_id"], po2.as_str());
    // A received purchase order takes nothing more.
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{po1}/receipts"),
            &s.warehouse,
            &json!({"lines": [{"sku": "BEAN", "quantity": 1}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn one_shortage_is_never_ordered_twice(b: Backend) {
    let s = shop(TestApp::spawn(b).await).await;
    let api = &s.t.api;
    // Two more workers: shortage runs may now race each other.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let extra: Vec<_> = (0..2)
        .map(|_| {
            let w = Worker::new(s.t.app().clone(), WorkerOptions::default());
            let rx = rx.clone();
            tokio::spawn(async move { w.run(rx).await })
        })
        .collect();
    let x = place(&s, "X", 5).await;
    api.wait_status(&s.operator, &x, "unallocated").await;
    wait_ordered(api, &s.operator, "ACME", 5).await;
    // Allocation runs again for X (hold and release): the shortage is already ordered.
    for _ in 0..2 {
        let r = api
            .post(
                &format!("/api/v1/orders/{x}/holds"),
                &s.operator,
                &json!({"code": "manual", "reason": "check"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = api
            .post(
                &format!("/api/v1/orders/{x}/holds/manual/release"),
                &s.operator,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        api.wait_idle(&s.t.admin).await;
    }
    assert_eq!(ordered(&pos(api, &s.operator, "supplier=ACME").await), 5);
    // Twelve orders at once, one unit each, while three workers run shortage runs.
    let placed = futures::future::join_all((0..12).map(|i| {
        let s = &s;
        async move { place(s, &format!("C-{i}"), 1).await }
    }))
    .await;
    assert_eq!(placed.len(), 12);
    api.wait_idle(&s.t.admin).await;
    assert_eq!(ordered(&pos(api, &s.operator, "supplier=ACME").await), 17);
    // Stock already on its way counts, whoever ordered it: a manual purchase order of 5 covers the
    // next 5 units of demand.
    let r = api
        .post(
            "/api/v1/purchase-orders",
            &s.operator,
            &json!({"supplier": "ACME", "warehouse": "TKY", "lines": [{"sku": "BEAN", "quantity": 5}], "send": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let y = place(&s, "Y", 3).await;
    api.wait_status(&s.operator, &y, "unallocated").await;
    api.wait_idle(&s.t.admin).await;
    assert_eq!(ordered(&pos(api, &s.operator, "supplier=ACME").await), 22);
    let _ = stop.send(true);
    for w in extra {
        w.await.unwrap();
    }
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn batched_purchase_orders_go_out_at_the_set_times(b: Backend) {
    // Monday 2 March 2026, 09:00 in Tokyo.
    let start: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    let clock = Arc::new(FakeClock::new(start));
    let policies = Policies {
        purchase_orders: PurchaseOrderMode::Batched,
        purchase_order_times: vec!["10:00".parse().unwrap(), "15:00".parse().unwrap()],
        // The job counts below are the purchasing jobs' alone.
        month_close_day: 0,
        ..Policies::default()
    };
    let s = shop(TestApp::spawn_with_clock(b, policies, clock.clone()).await).await;
    let api = &s.t.api;
    let a = place(&s, "A", 2).await;
    api.wait_status(&s.operator, &a, "unallocated").await;
    let draft = wait_ordered(api, &s.operator, "ACME", 2).await;
    assert_eq!(draft.len(), 1);
    assert_eq!(draft[0]["status"], "draft");
    let id = draft[0]["id"].as_str().unwrap().to_owned();
    // A second shortage joins the same draft.
    let b_id = place(&s, "B", 3).await;
    api.wait_status(&s.operator, &b_id, "unallocated").await;
    let draft = wait_ordered(api, &s.operator, "ACME", 5).await;
    assert_eq!(draft.len(), 1);
    assert_eq!(draft[0]["id"], id.as_str());
    assert_eq!(draft[0]["lines"].as_array().unwrap().len(), 1);
    // Nothing left to do but the sending job, scheduled for 10:00.
    api.wait_idle(&s.t.admin).await;
    let jobs = api.get("/api/v1/admin/jobs", &s.t.admin).await.body;
    assert_eq!(jobs["scheduled"], 1, "{jobs}");
    assert_eq!(
        api.get(&format!("/api/v1/purchase-orders/{id}"), &s.operator)
            .await
            .body["status"],
        "draft"
    );

    // 10:00 in Tokyo: the draft goes out.
    clock.set("2026-03-02T01:00:00Z".parse().unwrap());
    let sent = wait_for("the 10:00 sending", || async {
        let po = api
            .get(&format!("/api/v1/purchase-orders/{id}"), &s.operator)
            .await
            .body;
        (po["status"] == "sent").then_some(po)
    })
    .await;
    assert_eq!(sent["sent_at"], "2026-03-02T01:00:00Z");
    assert_eq!(sent["lines"][0]["expected_date"], "2026-03-05");

    // A later shortage starts a new draft, sent at 15:00.
    clock.set("2026-03-02T02:30:00Z".parse().unwrap());
    let c = place(&s, "C", 1).await;
    api.wait_status(&s.operator, &c, "unallocated").await;
    let all = wait_ordered(api, &s.operator, "ACME", 6).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["status"], "draft");
    let second = all[0]["id"].as_str().unwrap().to_owned();
    clock.set("2026-03-02T05:59:59Z".parse().unwrap());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        pos(api, &s.operator, "status=draft").await.len(),
        1,
        "not before 15:00"
    );
    clock.set("2026-03-02T06:00:00Z".parse().unwrap());
    wait_for("the 15:00 sending", || async {
        let po = api
            .get(&format!("/api/v1/purchase-orders/{second}"), &s.operator)
            .await
            .body;
        (po["status"] == "sent").then_some(po)
    })
    .await;
    assert_eq!(ordered(&pos(api, &s.operator, "status=sent").await), 6);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
