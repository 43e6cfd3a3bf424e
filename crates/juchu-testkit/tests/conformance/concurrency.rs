//! Many clients at once: scarce stock is never oversold, one Idempotency-Key runs once, one
//! `(channel, external_id)` makes one order (DOMAIN.md §4, API.md "Conventions").

use futures::future::join_all;
use juchu_testkit::{Api, Backend, Resp, TestApp, order_body};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

juchu_testkit::on_both_backends!(
    scarce_stock_is_never_oversold_and_released_stock_is_taken,
    same_idempotency_key_at_once_runs_once,
    same_external_id_at_once_makes_one_order,
);

const SKU: &str = "LAMP";
/// Stock of `SKU`: 12 in TKY and 8 in OSK, S = 20.
const WAREHOUSES: [(&str, i32, i64); 2] = [("TKY", 1, 12), ("OSK", 2, 8)];
const ORDERS: usize = 100;
const CLIENTS: usize = 32;

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
    storefront: String,
}

async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    for (code, priority, _) in WAREHOUSES {
        t.api.warehouse(&operator, code, priority).await;
    }
    t.api.sku(&operator, SKU, 10).await;
    Shop {
        t,
        operator,
        warehouse,
        storefront,
    }
}

/// Quantity 1–3 of order `i`, spread evenly.
fn quantity(i: usize) -> i64 {
    (i * 7 % 3) as i64 + 1
}

/// Runs `n` requests from `clients` concurrent clients, each taking the next index when free.
async fn from_clients<F, Fut>(n: usize, clients: usize, api: &Api, f: F) -> Vec<(usize, Resp)>
where
    F: Fn(Api, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Resp> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let f = Arc::new(f);
    let tasks = (0..clients).map(|_| {
        let (next, f, api) = (next.clone(), f.clone(), api.clone());
        tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    return out;
                }
                out.push((i, f(api.clone(), i).await));
            }
        })
    });
    let mut all: Vec<(usize, Resp)> = join_all(tasks)
        .await
        .into_iter()
        .flat_map(|r| r.expect("client task"))
        .collect();
    all.sort_by_key(|(i, _)| *i);
    all
}

async fn fetch_orders(api: &Api, token: &str, ids: &[String]) -> Vec<Value> {
    join_all(ids.iter().map(|id| api.order(token, id))).await
}

/// What the orders and the stock rows say, checked against each other. Returns
/// `(units allocated to live orders, units live orders still wait for, on_hand in all warehouses)`.
async fn check_orders_against_stock(api: &Api, token: &str, orders: &[Value]) -> (i64, i64, i64) {
    let mut per_warehouse: BTreeMap<String, i64> = BTreeMap::new();
    let (mut allocated, mut waiting) = (0, 0);
    for o in orders {
        let id = &o["id"];
        let status = o["status"].as_str().unwrap();
        let lines = o["lines"].as_array().unwrap();
        let allocations = o["allocations"].as_array().unwrap();
        let mut full = true;
        let mut some = false;
        for l in lines {
            let (q, a) = (
                l["quantity"].as_i64().unwrap(),
                l["allocated_quantity"].as_i64().unwrap(),
            );
            assert!(
                (0..=q).contains(&a),
                "order {id}: line allocated {a} of {q}"
            );
            let in_allocations: i64 = allocations
                .iter()
                .filter(|x| x["line_id"] == l["id"])
                .map(|x| x["quantity"].as_i64().unwrap())
                .sum();
            assert_eq!(
                in_allocations, a,
                "order {id}: allocations do not add up to the line's allocated_quantity: {o}"
            );
            full &= a == q;
            some |= a > 0;
            if status != "cancelled" {
                allocated += a;
                waiting += q - a;
            }
        }
        for x in allocations {
            *per_warehouse
                .entry(x["warehouse"].as_str().unwrap().to_owned())
                .or_default() += x["quantity"].as_i64().unwrap();
        }
        match status {
            "allocated" => assert!(full, "order {id} allocated with lines short: {o}"),
            "partially_allocated" => {
                assert!(some && !full, "order {id} partially_allocated: {o}")
            }
            "unallocated" => assert!(!some, "order {id} unallocated holds stock: {o}"),
            "cancelled" => assert!(
                allocations.is_empty() && !some,
                "cancelled order {id} holds stock: {o}"
            ),
            other => panic!("order {id} is {other} after the jobs went idle: {o}"),
        }
    }
    let mut on_hand_total = 0;
    for (code, _, _) in WAREHOUSES {
        let (on_hand, stock_allocated) = api.stock_level(token, code, SKU).await;
        let held = per_warehouse.get(code).copied().unwrap_or(0);
        assert!(
            stock_allocated <= on_hand,
            "{code}: allocated {stock_allocated} > on_hand {on_hand}"
        );
        assert_eq!(
            held, stock_allocated,
            "{code}: orders hold {held}, the stock row says {stock_allocated}"
        );
        on_hand_total += on_hand;
    }
    assert_eq!(per_warehouse.values().sum::<i64>(), allocated);
    (allocated, waiting, on_hand_total)
}

async fn scarce_stock_is_never_oversold_and_released_stock_is_taken(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    for (code, _, n) in WAREHOUSES {
        assert_eq!(api.stock(&s.warehouse, code, SKU, n).await.status, 201);
    }
    let stock: i64 = WAREHOUSES.iter().map(|w| w.2).sum();

    let started = std::time::Instant::now();
    let storefront = s.storefront.clone();
    let placed = from_clients(ORDERS, CLIENTS, api, move |api, i| {
        let token = storefront.clone();
        async move {
            let body = order_body(
                &format!("SCARCE-{i}"),
                &[(SKU, quantity(i), 1980)],
                "credit_card",
            );
            api.post("/api/v1/orders", &token, &body).await
        }
    })
    .await;
    let mut ids = Vec::new();
    for (i, r) in &placed {
        assert_eq!(r.status, 201, "order {i}: {}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let numbers: HashSet<i64> = placed
        .iter()
        .map(|(_, r)| r.body["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers.len(), ORDERS, "order numbers are unique");
    api.wait_idle(&s.t.admin).await;
    eprintln!(
        "{b:?}: {ORDERS} orders placed and processed in {:?}",
        started.elapsed()
    );

    let demand: i64 = (0..ORDERS).map(quantity).sum();
    let orders = fetch_orders(api, &s.operator, &ids).await;
    let (allocated, waiting, on_hand) = check_orders_against_stock(api, &s.operator, &orders).await;
    assert_eq!(on_hand, stock);
    assert!(allocated <= stock, "oversold: {allocated} of {stock}");
    assert_eq!(
        allocated,
        stock.min(demand),
        "every unit is taken while orders wait"
    );
    assert_eq!(allocated + waiting, demand);
    api.invariants_ok(&s.t.admin).await;

    // Cancel some allocated orders while stock arrives, all at once.
    let victims: Vec<String> = orders
        .iter()
        .filter(|o| o["status"] == "allocated")
        .take(5)
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(victims.len() >= 3, "too few allocated orders to cancel");
    let released: i64 = orders
        .iter()
        .filter(|o| victims.iter().any(|v| o["id"] == v.as_str()))
        .flat_map(|o| o["lines"].as_array().unwrap().clone())
        .map(|l| l["allocated_quantity"].as_i64().unwrap())
        .sum();
    let cancel_demand: i64 = orders
        .iter()
        .filter(|o| victims.iter().any(|v| o["id"] == v.as_str()))
        .flat_map(|o| o["lines"].as_array().unwrap().clone())
        .map(|l| l["quantity"].as_i64().unwrap())
        .sum();
    let arrivals: Vec<(&str, i64)> =
        vec![("TKY", 2), ("OSK", 1), ("TKY", 3), ("OSK", 2), ("TKY", 1)];
    let arrived: i64 = arrivals.iter().map(|a| a.1).sum();
    let operator = &s.operator;
    let cancels = join_all(victims.iter().map(|id| async move {
        api.post(
            &format!("/api/v1/orders/{id}/cancel"),
            operator,
            &json!({"reason": "在庫調整のため"}),
        )
        .await
    }));
    let adjustments = join_all(
        arrivals
            .iter()
            .map(|(w, n)| api.stock(&s.warehouse, w, SKU, *n)),
    );
    let (cancels, adjustments) = tokio::join!(cancels, adjustments);
    for r in &cancels {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"], "cancelled");
        assert!(r.body["allocations"].as_array().unwrap().is_empty());
    }
    for r in &adjustments {
        assert_eq!(r.status, 201, "{}", r.text);
    }
    api.wait_idle(&s.t.admin).await;

    let orders = fetch_orders(api, &s.operator, &ids).await;
    let cancelled = orders.iter().filter(|o| o["status"] == "cancelled").count();
    assert_eq!(cancelled, victims.len());
    let (allocated2, waiting2, on_hand2) =
        check_orders_against_stock(api, &s.operator, &orders).await;
    assert_eq!(on_hand2, stock + arrived);
    let live_demand = demand - cancel_demand;
    assert_eq!(allocated2 + waiting2, live_demand);
    assert_eq!(
        allocated2,
        on_hand2.min(live_demand),
        "waiting orders take the {released} released and {arrived} arrived units"
    );
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn same_idempotency_key_at_once_runs_once(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    assert_eq!(api.stock(&s.warehouse, "TKY", SKU, 50).await.status, 201);
    let body = order_body("IDEM-1", &[(SKU, 2, 1980)], "credit_card");
    let send = || {
        api.send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(&s.storefront),
            Some(&body),
            &[("Idempotency-Key", "checkout-7f3a")],
        )
    };
    let responses = join_all((0..10).map(|_| send())).await;
    let mut ids = HashSet::new();
    for r in &responses {
        match r.status {
            201 => {
                ids.insert(r.body["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(r.code(), "request_in_progress", "{}", r.text),
            _ => panic!("unexpected response {}: {}", r.status, r.text),
        }
    }
    assert_eq!(ids.len(), 1, "one order id in every 201: {ids:?}");
    let id = ids.into_iter().next().unwrap();
    // Once it is done, the key replays the first response.
    let again = send().await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["id"], id.as_str());

    let found = api.get("/api/v1/orders?q=IDEM-1", &s.operator).await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(total_orders(api, &s.operator).await, 1);
    api.wait_status(&s.operator, &id, "allocated").await;
    api.wait_idle(&s.t.admin).await;
    assert_eq!(api.stock_level(&s.operator, "TKY", SKU).await, (50, 2));
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn same_external_id_at_once_makes_one_order(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    assert_eq!(api.stock(&s.warehouse, "TKY", SKU, 50).await.status, 201);
    // Ten different requests (quantities 1–10) that claim one external id.
    let storefront = &s.storefront;
    let responses = join_all((1..=10).map(|q| {
        let body = order_body("DUP-1", &[(SKU, q, 1980)], "credit_card");
        async move { api.post("/api/v1/orders", storefront, &body).await }
    }))
    .await;
    let created: Vec<&Resp> = responses.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        created.len(),
        1,
        "exactly one 201: {:?}",
        responses.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let id = created[0].body["id"].as_str().unwrap().to_owned();
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_eq!((r.status, r.code()), (409, "duplicate_order"), "{}", r.text);
        assert_eq!(r.body["order_id"], id.as_str(), "{}", r.text);
    }
    assert_eq!(total_orders(api, &s.operator).await, 1);
    let o = api.wait_status(&s.operator, &id, "allocated").await;
    let q = o["lines"][0]["quantity"].as_i64().unwrap();
    api.wait_idle(&s.t.admin).await;
    assert_eq!(api.stock_level(&s.operator, "TKY", SKU).await, (50, q));
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn total_orders(api: &Api, token: &str) -> i64 {
    let counts = api.get("/api/v1/orders/counts", token).await;
    assert_eq!(counts.status, 200, "{}", counts.text);
    counts
        .body
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_i64)
        .sum()
}
