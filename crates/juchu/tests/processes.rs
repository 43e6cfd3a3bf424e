//! Several `juchu` processes on one PostgreSQL database (API.md "Running"): they neither
//! double-process a job nor oversell. Each test starts the real binary on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN, Proc, no_errors_logged, run_check, worker_stats};
use futures::future::join_all;
use juchu_testkit::{Api, Backend, Resp, TestDb, order_body};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Quantity 1–3 of order `i`.
fn quantity(i: usize) -> i64 {
    (i * 7 % 3) as i64 + 1
}

/// Places orders `0..n` for `sku` from `clients` concurrent clients; client `k` talks to
/// `apis[k % apis.len()]`. Every order must be created; returns the ids in index order.
async fn place_orders(
    apis: &[Api],
    token: &str,
    prefix: &str,
    sku: &str,
    n: usize,
    clients: usize,
) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks = (0..clients).map(|k| {
        let api = apis[k % apis.len()].clone();
        let (next, token, prefix, sku) = (
            next.clone(),
            token.to_owned(),
            prefix.to_owned(),
            sku.to_owned(),
        );
        tokio::spawn(async move {
            let mut out: Vec<(usize, Resp)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    return out;
                }
                let body = order_body(
                    &format!("{prefix}-{i}"),
                    &[(&sku, quantity(i), 1980)],
                    "credit_card",
                );
                out.push((i, api.post("/api/v1/orders", &token, &body).await));
            }
        })
    });
    let mut all: Vec<(usize, Resp)> = join_all(tasks)
        .await
        .into_iter()
        .flat_map(|r| r.expect("client"))
        .collect();
    all.sort_by_key(|(i, _)| *i);
    assert_eq!(all.len(), n);
    all.into_iter()
        .map(|(i, r)| {
            assert_eq!(r.status, 201, "order {i}: {}", r.text);
            r.body["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn setup(api: &Api, sku: &str, stock: &[(&str, i64)]) -> (String, String) {
    let operator = api.key(ADMIN, "operator").await;
    let warehouse = api.key(ADMIN, "warehouse").await;
    let storefront = api.key(ADMIN, "storefront").await;
    for (i, (code, _)) in stock.iter().enumerate() {
        api.warehouse(&operator, code, i as i32 + 1).await;
    }
    api.sku(&operator, sku, 10).await;
    for (code, n) in stock {
        let r = api.stock(&warehouse, code, sku, *n).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    (operator, storefront)
}

fn events_of<'a>(events: &'a Value, kind: &str) -> impl Iterator<Item = &'a Value> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(move |e| e["kind"] == kind)
}

/// Orders placed while no worker runs wait in `received`; two `juchu worker` processes then share
/// the jobs: every job is claimed by exactly one of them, and each order's work is done once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_the_jobs_of_one_database_without_running_any_twice() {
    const N: usize = 300;
    let started = Instant::now();
    let db = TestDb::create(Backend::Postgres).await;
    let (server, url) = Proc::serve("serve (no worker)", &db.url, false).await;
    let api = Api::new(url);
    let (operator, storefront) = setup(&api, "MUG", &[("TKY", 2000)]).await;

    let ids = place_orders(std::slice::from_ref(&api), &storefront, "W2", "MUG", N, 16).await;
    let counts = api.get("/api/v1/orders/counts", &operator).await;
    assert_eq!(counts.body["received"], N, "{}", counts.text);
    let jobs = api.get("/api/v1/admin/jobs", ADMIN).await;
    // One `order.receive` and one `mail.send` (the confirmation; skipped, mail is not configured)
    // per order, and one `stock.arrived` from the adjustment.
    let queued = jobs.body["pending"].as_u64().unwrap_or(0);
    assert_eq!(queued, 2 * N as u64 + 1, "{}", jobs.text);
    assert_eq!(jobs.body["running"].as_u64().unwrap_or(0), 0);
    let placed_in = started.elapsed();

    let w1 = Proc::spawn("worker 1", &["worker", "--database", &db.url]);
    let w2 = Proc::spawn("worker 2", &["worker", "--database", &db.url]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c = api.get("/api/v1/orders/counts", &operator).await;
        if c.body["allocated"] == N {
            break;
        }
        assert!(Instant::now() < deadline, "not all allocated: {}", c.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.wait_idle(ADMIN).await;
    let processed_in = started.elapsed() - placed_in;
    let (out1, out2) = tokio::join!(w1.stop(), w2.stop());
    no_errors_logged("worker 1", &out1);
    no_errors_logged("worker 2", &out2);
    let (c1, d1, f1) = worker_stats("worker 1", &out1);
    let (c2, d2, f2) = worker_stats("worker 2", &out2);
    eprintln!(
        "{N} orders placed in {placed_in:?}, processed by two workers in {processed_in:?}: \
         worker 1 claimed {c1} (done {d1}, failed {f1}), worker 2 claimed {c2} (done {d2}, failed {f2})"
    );
    // Stock covers every order, so each receipt allocates in its own commit and adds no
    // `order.allocate` job: the 2N + 1 jobs queued are all there were, each claimed once.
    let total = queued;
    assert_eq!(c1 + c2, total, "claims: {c1} + {c2}");
    assert_eq!((f1, f2), (0, 0), "no job failed");
    assert_eq!(d1 + d2, total);
    assert!(c1 > 0 && c2 > 0, "both workers worked: {c1}, {c2}");
    let jobs = api.get("/api/v1/admin/jobs", ADMIN).await;
    assert_eq!(jobs.body["dead"].as_u64().unwrap_or(0), 0, "{}", jobs.text);

    // Each order's work happened exactly once.
    let histories = join_all(ids.iter().map(|id| {
        let (api, operator) = (&api, &operator);
        async move {
            api.get(&format!("/api/v1/orders/{id}/events"), operator)
                .await
        }
    }))
    .await;
    for (id, h) in ids.iter().zip(&histories) {
        assert_eq!(h.status, 200, "{}", h.text);
        let once = |kind: &str| events_of(&h.body, kind).count();
        assert_eq!(once("payment.authorized"), 1, "order {id}: {}", h.text);
        assert_eq!(once("allocation.reserved"), 1, "order {id}: {}", h.text);
        let to: Vec<&str> = events_of(&h.body, "order.status_changed")
            .map(|e| e["data"]["to"].as_str().unwrap())
            .collect();
        assert_eq!(to, ["unallocated", "allocated"], "order {id}: {}", h.text);
    }
    let demand: i64 = (0..N).map(quantity).sum();
    assert_eq!(
        api.stock_level(&operator, "TKY", "MUG").await,
        (2000, demand)
    );
    api.invariants_ok(ADMIN).await;
    no_errors_logged("serve", &server.stop().await);
    run_check(&db.url).await;
    db.drop_now().await;
}

/// Two `juchu serve` processes, each with its worker, share one database and scarce stock:
/// clients talk to both at once, and the stock is never oversold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_never_oversell() {
    const N: usize = 120;
    const STOCK: [(&str, i64); 2] = [("TKY", 18), ("OSK", 12)];
    let started = Instant::now();
    let db = TestDb::create(Backend::Postgres).await;
    // Both start at once: migrations and the admin key race too.
    let ((a, url_a), (b, url_b)) = tokio::join!(
        Proc::serve("serve A", &db.url, true),
        Proc::serve("serve B", &db.url, true)
    );
    let apis = [Api::new(url_a), Api::new(url_b)];
    let (operator, storefront) = setup(&apis[0], "KETTLE", &STOCK).await;

    let ids = place_orders(&apis, &storefront, "S2", "KETTLE", N, 16).await;
    apis[0].wait_idle(ADMIN).await;
    apis[1].wait_idle(ADMIN).await;
    eprintln!("{N} orders placed and processed in {:?}", started.elapsed());

    let from_a = join_all(ids.iter().map(|id| apis[0].order(&operator, id))).await;
    let from_b = join_all(ids.iter().map(|id| apis[1].order(&operator, id))).await;
    for (x, y) in from_a.iter().zip(&from_b) {
        assert_eq!(x, y, "both servers show the same order");
    }

    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    let mut allocated = 0;
    for o in &from_a {
        let mut full = true;
        let mut some = false;
        for l in o["lines"].as_array().unwrap() {
            let (q, n) = (
                l["quantity"].as_i64().unwrap(),
                l["allocated_quantity"].as_i64().unwrap(),
            );
            assert!((0..=q).contains(&n), "{o}");
            full &= n == q;
            some |= n > 0;
            allocated += n;
        }
        let expected = match (full, some) {
            (true, _) => "allocated",
            (false, true) => "partially_allocated",
            (false, false) => "unallocated",
        };
        assert_eq!(o["status"], expected, "{o}");
        for x in o["allocations"].as_array().unwrap() {
            *held
                .entry(x["warehouse"].as_str().unwrap().to_owned())
                .or_default() += x["quantity"].as_i64().unwrap();
        }
    }
    let stock: i64 = STOCK.iter().map(|s| s.1).sum();
    let demand: i64 = (0..N).map(quantity).sum();
    assert!(allocated <= stock, "oversold: {allocated} of {stock}");
    assert_eq!(
        allocated,
        stock.min(demand),
        "no unit left while orders wait"
    );
    for (code, n) in STOCK {
        for api in &apis {
            let (on_hand, stock_allocated) = api.stock_level(&operator, code, "KETTLE").await;
            assert_eq!(on_hand, n);
            assert_eq!(
                stock_allocated,
                held.get(code).copied().unwrap_or(0),
                "{code}: the stock row and the orders agree"
            );
        }
    }
    apis[0].invariants_ok(ADMIN).await;
    apis[1].invariants_ok(ADMIN).await;
    let (out_a, out_b) = tokio::join!(a.stop(), b.stop());
    no_errors_logged("serve A", &out_a);
    no_errors_logged("serve B", &out_b);
    run_check(&db.url).await;
    db.drop_now().await;
}
