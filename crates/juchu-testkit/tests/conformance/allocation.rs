//! Where stock comes from (DOMAIN.md §2.3–2.4): one warehouse before a split, the region's warehouse
//! before a better priority, one shipment per warehouse for a split, all-or-nothing, and the
//! operator's priority among orders waiting for stock. Every allocation says why.

use juchu_domain::allocation::AllocationMode;
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    one_warehouse_is_preferred_over_a_split,
    the_region_warehouse_wins_over_a_better_priority,
    a_split_ships_one_shipment_per_warehouse,
    short_stock_is_partially_allocated_with_a_reason,
    all_or_nothing_leaves_a_short_order_and_serves_a_smaller_one,
    priority_lets_a_later_order_take_arriving_stock_first,
    priority_changes_are_checked,
);

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
}

async fn shop_with(b: Backend, policies: Policies, warehouses: &[(&str, i32, &[&str])]) -> Shop {
    let t = TestApp::spawn_with(b, policies).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    for (code, priority, prefectures) in warehouses {
        let r = t
            .api
            .put(
                &format!("/api/v1/warehouses/{code}"),
                &operator,
                &json!({"name": format!("{code} 倉庫"), "priority": priority, "prefectures": prefectures}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    Shop {
        t,
        operator,
        warehouse,
    }
}

async fn shop(b: Backend, warehouses: &[(&str, i32, &[&str])]) -> Shop {
    shop_with(b, Policies::default(), warehouses).await
}

impl Shop {
    async fn stock(&self, warehouse: &str, sku: &str, n: i64) {
        let r = self.t.api.stock(&self.warehouse, warehouse, sku, n).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// Places a card order shipped to `prefecture`; returns its id.
    async fn order(
        &self,
        external_id: &str,
        lines: &[(&str, i64, i64)],
        prefecture: &str,
    ) -> String {
        let mut body = order_body(external_id, lines, "credit_card");
        if prefecture == "大阪府" {
            body["shipping_address"]["prefecture"] = json!("大阪府");
            body["shipping_address"]["postal_code"] = json!("530-0001");
            body["shipping_address"]["city"] = json!("大阪市北区梅田");
        }
        let r = self
            .t
            .api
            .post("/api/v1/orders", &self.operator, &body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// The order once the worker has nothing left to do.
    async fn settled(&self, id: &str) -> Value {
        self.t.api.wait_idle(&self.t.admin).await;
        self.t.api.order(&self.operator, id).await
    }

    async fn finish(self) {
        self.t.api.wait_idle(&self.t.admin).await;
        self.t.api.invariants_ok(&self.t.admin).await;
        self.t.stop().await;
    }
}

/// `(warehouse, sku, quantity)` of each allocation, sorted, and every reason.
fn allocations(order: &Value) -> (Vec<(String, String, i64)>, Vec<String>) {
    let list = order["allocations"].as_array().unwrap();
    let mut out: Vec<(String, String, i64)> = list
        .iter()
        .map(|a| {
            (
                a["warehouse"].as_str().unwrap().to_owned(),
                a["sku"].as_str().unwrap().to_owned(),
                a["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    let reasons = list
        .iter()
        .map(|a| a["reason"].as_str().unwrap().to_owned())
        .collect();
    (out, reasons)
}

fn alloc(w: &str, sku: &str, q: i64) -> (String, String, i64) {
    (w.to_owned(), sku.to_owned(), q)
}

async fn one_warehouse_is_preferred_over_a_split(b: Backend) {
    let s = shop(
        b,
        &[("TKY", 1, &["東京都"]), ("OSK", 2, &[]), ("FUK", 9, &[])],
    )
    .await;
    // TKY and OSK together have it all, but only FUK has everything alone.
    s.stock("TKY", "TOWEL", 5).await;
    s.stock("OSK", "TEA", 5).await;
    s.stock("FUK", "TOWEL", 5).await;
    s.stock("FUK", "TEA", 5).await;
    let id = s
        .order("A-1", &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "東京都")
        .await;
    let o = s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let (got, reasons) = allocations(&o);
    assert_eq!(got, vec![alloc("FUK", "TEA", 1), alloc("FUK", "TOWEL", 2)]);
    assert!(
        reasons
            .iter()
            .all(|r| r == "FUK fills the whole order (priority 9)"),
        "{reasons:?}"
    );
    // The history carries the same reason.
    let events =
        s.t.api
            .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
            .await;
    let reserved = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "allocation.reserved")
        .unwrap();
    assert_eq!(
        reserved["data"]["allocations"][0]["reason"],
        "FUK fills the whole order (priority 9)"
    );
    s.finish().await;
}

async fn the_region_warehouse_wins_over_a_better_priority(b: Backend) {
    let s = shop(b, &[("TKY", 1, &["東京都"]), ("OSK", 5, &["大阪府"])]).await;
    for w in ["TKY", "OSK"] {
        s.stock(w, "TOWEL", 10).await;
        s.stock(w, "TEA", 10).await;
    }
    let osaka = s
        .order("R-1", &[("TOWEL", 1, 1980), ("TEA", 1, 540)], "大阪府")
        .await;
    let tokyo = s.order("R-2", &[("TOWEL", 1, 1980)], "東京都").await;
    let o = s.t.api.wait_status(&s.operator, &osaka, "allocated").await;
    let (got, reasons) = allocations(&o);
    assert_eq!(got, vec![alloc("OSK", "TEA", 1), alloc("OSK", "TOWEL", 1)]);
    assert_eq!(reasons[0], "OSK fills the whole order (serves 大阪府)");
    let o = s.t.api.wait_status(&s.operator, &tokyo, "allocated").await;
    assert_eq!(allocations(&o).0, vec![alloc("TKY", "TOWEL", 1)]);
    assert_eq!(
        o["allocations"][0]["reason"],
        "TKY fills the whole order (serves 東京都)"
    );
    s.finish().await;
}

async fn a_split_ships_one_shipment_per_warehouse(b: Backend) {
    let s = shop(b, &[("TKY", 1, &["東京都"]), ("OSK", 2, &[])]).await;
    s.stock("TKY", "TOWEL", 5).await;
    s.stock("OSK", "TEA", 5).await;
    let id = s
        .order("S-1", &[("TOWEL", 2, 1980), ("TEA", 3, 540)], "東京都")
        .await;
    let o = s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let (got, reasons) = allocations(&o);
    assert_eq!(got, vec![alloc("OSK", "TEA", 3), alloc("TKY", "TOWEL", 2)]);
    assert_eq!(
        reasons[0],
        "split over 2 warehouses: no single warehouse has all lines; TKY has TOWEL, OSK has TEA"
    );
    let r =
        s.t.api
            .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let batches = r.body["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2, "one batch per warehouse: {}", r.body);
    let o = s.t.api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "shipping_instructed");
    let shipments = o["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 2);
    let line_of = |sku: &str| {
        o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .unwrap()["id"]
            .clone()
    };
    for (w, sku, q) in [("TKY", "TOWEL", 2), ("OSK", "TEA", 3)] {
        let sh = shipments.iter().find(|x| x["warehouse"] == w).unwrap();
        let lines = sh["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{sh}");
        assert_eq!(lines[0]["line_id"], line_of(sku));
        assert_eq!(lines[0]["quantity"], q);
        let batch = batches.iter().find(|x| x["warehouse"] == w).unwrap();
        assert_eq!(batch["shipments"][0]["id"], sh["id"]);
    }
    s.finish().await;
}

async fn short_stock_is_partially_allocated_with_a_reason(b: Backend) {
    let s = shop(b, &[("TKY", 1, &["東京都"])]).await;
    s.stock("TKY", "TOWEL", 3).await;
    s.stock("TKY", "TEA", 1).await;
    let id = s
        .order("P-1", &[("TOWEL", 5, 1980), ("TEA", 1, 540)], "東京都")
        .await;
    let o =
        s.t.api
            .wait_status(&s.operator, &id, "partially_allocated")
            .await;
    let (got, reasons) = allocations(&o);
    assert_eq!(got, vec![alloc("TKY", "TEA", 1), alloc("TKY", "TOWEL", 3)]);
    assert_eq!(
        reasons[0],
        "short, only TOWEL 3 of 5 in stock: allocated what exists, the rest waits for stock; \
         TKY has TOWEL + TEA (serves 東京都)"
    );
    s.stock("TKY", "TOWEL", 2).await;
    let o = s.t.api.wait_status(&s.operator, &id, "allocated").await;
    assert_eq!(
        allocations(&o).0,
        vec![alloc("TKY", "TEA", 1), alloc("TKY", "TOWEL", 5)]
    );
    s.finish().await;
}

async fn all_or_nothing_leaves_a_short_order_and_serves_a_smaller_one(b: Backend) {
    let policies = Policies {
        allocation: AllocationMode::AllOrNothing,
        ..Policies::default()
    };
    let s = shop_with(b, policies, &[("TKY", 1, &["東京都"])]).await;
    s.stock("TKY", "TOWEL", 3).await;
    let big = s.order("N-1", &[("TOWEL", 5, 1980)], "東京都").await;
    let o = s.settled(&big).await;
    assert_eq!(o["status"], "unallocated");
    assert_eq!(o["allocations"], json!([]));
    assert_eq!(
        s.t.api.stock_level(&s.operator, "TKY", "TOWEL").await,
        (3, 0)
    );
    // A later, smaller order takes the stock the first cannot use.
    let small = s.order("N-2", &[("TOWEL", 2, 1980)], "東京都").await;
    s.t.api.wait_status(&s.operator, &small, "allocated").await;
    assert_eq!(
        s.t.api.stock_level(&s.operator, "TKY", "TOWEL").await,
        (3, 2)
    );
    // Two more arrive: 3 free, still short of 5. Two more: now the first order is filled whole.
    s.stock("TKY", "TOWEL", 2).await;
    assert_eq!(s.settled(&big).await["status"], "unallocated");
    s.stock("TKY", "TOWEL", 2).await;
    let o = s.t.api.wait_status(&s.operator, &big, "allocated").await;
    assert_eq!(allocations(&o).0, vec![alloc("TKY", "TOWEL", 5)]);
    assert_eq!(
        s.t.api.stock_level(&s.operator, "TKY", "TOWEL").await,
        (7, 7)
    );
    s.finish().await;
}

async fn priority_lets_a_later_order_take_arriving_stock_first(b: Backend) {
    let s = shop(b, &[("TKY", 1, &["東京都"])]).await;
    let first = s.order("Q-1", &[("TOWEL", 1, 1980)], "東京都").await;
    let later = s.order("Q-2", &[("TOWEL", 1, 1980)], "東京都").await;
    assert_eq!(s.settled(&later).await["status"], "unallocated");
    let version = s.settled(&later).await["version"].to_string();
    let r =
        s.t.api
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/orders/{later}/priority"),
                Some(&s.operator),
                Some(&json!({"priority": -5})),
                &[("If-Match", version.as_str())],
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["priority"], -5);
    let events =
        s.t.api
            .get(&format!("/api/v1/orders/{later}/events"), &s.operator)
            .await;
    let changed = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.priority_changed")
        .unwrap();
    assert_eq!(changed["data"], json!({"from": 0, "to": -5}));
    // One unit arrives: the later order, now first in line, takes it.
    s.stock("TKY", "TOWEL", 1).await;
    s.t.api.wait_status(&s.operator, &later, "allocated").await;
    assert_eq!(s.settled(&first).await["status"], "unallocated");
    s.stock("TKY", "TOWEL", 1).await;
    s.t.api.wait_status(&s.operator, &first, "allocated").await;
    s.finish().await;
}

async fn priority_changes_are_checked(b: Backend) {
    let s = shop(b, &[("TKY", 1, &["東京都"])]).await;
    let id = s.order("C-1", &[("TOWEL", 1, 1980)], "東京都").await;
    let o = s.settled(&id).await;
    let path = format!("/api/v1/orders/{id}/priority");
    let api = &s.t.api;
    // Stale If-Match → 412, nothing changed.
    let stale = (o["version"].as_i64().unwrap() - 1).to_string();
    let r = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(&s.operator),
            Some(&json!({"priority": 3})),
            &[("If-Match", stale.as_str())],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (412, "version_conflict"),
        "{}",
        r.text
    );
    // Storefront and warehouse keys may not; a priority out of range or not a number is refused.
    let storefront = api.key(&s.t.admin, "storefront").await;
    assert_eq!(
        api.post(&path, &storefront, &json!({"priority": 1}))
            .await
            .status,
        403
    );
    assert_eq!(
        api.post(&path, &s.warehouse, &json!({"priority": 1}))
            .await
            .status,
        403
    );
    let r = api
        .post(&path, &s.operator, &json!({"priority": 2_000_000}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let r = api
        .post(&path, &s.operator, &json!({"priority": "high"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(api.order(&s.operator, &id).await["version"], o["version"]);
    // The same priority again changes nothing; a cancelled order has none to change.
    let r = api.post(&path, &s.t.admin, &json!({"priority": 0})).await;
    assert_eq!((r.status, &r.body["version"]), (200, &o["version"]));
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.operator,
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api.post(&path, &s.operator, &json!({"priority": 1})).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    s.finish().await;
}
