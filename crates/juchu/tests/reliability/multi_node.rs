//! Issue 9.2, several nodes: three `juchu serve` processes, each with its worker, on one
//! PostgreSQL database, under a flash sale (far more demand than stock) with cancellations that
//! hand stock on to waiting orders. Nothing is oversold, every job runs once, and every node gives
//! the same answers.

use crate::checks::{ledger_once, mails_once};
use crate::common::{ADMIN, run_check, worker_stats};
use crate::load::{Book, Fate, drive, fetch, histories, intake, wait_idle};
use crate::shop::{Node, World, order, set_up};
use futures::future::join_all;
use juchu_testkit::{Backend, TestDb};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const ORDERS: usize = 300;
const CLIENTS: usize = 9;
const STOCK: [(&str, i64); 2] = [("TKY", 36), ("OSK", 24)];

fn quantity(i: usize) -> i64 {
    (i * 7 % 3) as i64 + 1
}

/// One order in five is cancelled as soon as the driver sees it, one in five once it holds stock
/// (handing it on to waiting orders); the rest keep what allocation gives them.
fn fate(i: usize) -> Fate {
    match i % 5 {
        0 => Fate::Cancelled,
        1 => Fate::CancelledHolding,
        _ => Fate::Left,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_on_one_postgres_sell_scarce_stock_once() {
    let started = Instant::now();
    let db = TestDb::create(Backend::Postgres).await;
    let world = World::start().await;
    // All three start at once: migrations and the admin key race too.
    let (a, b, c) = tokio::join!(
        Node::start("node A", &db.url, &world),
        Node::start("node B", &db.url, &world),
        Node::start("node C", &db.url, &world)
    );
    let nodes = [a, b, c];
    let apis: Vec<_> = nodes.iter().map(|n| world.client(n)).collect();
    let storefront = set_up(&apis[0], &["LIMITED"], &STOCK).await;

    // Clients round-robin over the nodes; each node's driver cancels its share of the orders.
    let book = Book::default();
    let clients: Vec<_> = (0..CLIENTS).map(|k| apis[k % apis.len()].clone()).collect();
    let intake = intake(&clients, &storefront, ORDERS, Duration::ZERO, &book, |i| {
        order("FS", i, &[("LIMITED", quantity(i), 4980)])
    });
    let drivers = join_all(
        apis.iter()
            .enumerate()
            .map(|(d, api)| drive(api, &book, fate, d, apis.len())),
    );
    tokio::join!(intake, drivers);
    for api in &apis {
        wait_idle(api).await;
    }
    let settled_at = started.elapsed();

    // The same answers from every node.
    let ids: Vec<String> = book.snapshot().values().map(|p| p.id.clone()).collect();
    let orders = fetch(&apis[0], &ids).await;
    for api in &apis[1..] {
        assert_eq!(
            fetch(api, &ids).await,
            orders,
            "every node shows the same orders"
        );
        for path in [
            "/api/v1/orders/counts",
            "/api/v1/stock?sku=LIMITED",
            "/api/v1/admin/jobs",
        ] {
            let (x, y) = (apis[0].get(path, ADMIN).await, api.get(path, ADMIN).await);
            assert_eq!(x.body, y.body, "{path}");
        }
    }

    // No oversell: what the live orders hold is what the stock rows say is allocated, never more
    // than there is, and no unit is left over while an order waits.
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    let (mut allocated, mut demand) = (0, 0);
    for (i, o) in book.snapshot().keys().zip(&orders) {
        let cancelled = o["status"] == "cancelled";
        assert_eq!(cancelled, fate(*i) != Fate::Left, "order {i}: {o}");
        if cancelled {
            continue;
        }
        demand += quantity(*i);
        for l in o["lines"].as_array().unwrap() {
            allocated += l["allocated_quantity"].as_i64().unwrap();
        }
        for x in o["allocations"].as_array().unwrap() {
            *held
                .entry(x["warehouse"].as_str().unwrap().to_owned())
                .or_default() += x["quantity"].as_i64().unwrap();
        }
    }
    let stock: i64 = STOCK.iter().map(|s| s.1).sum();
    assert!(allocated <= stock, "oversold: {allocated} of {stock}");
    assert_eq!(
        allocated,
        stock.min(demand),
        "no unit left while orders wait"
    );
    let levels = apis[0].get("/api/v1/stock?sku=LIMITED", ADMIN).await;
    for item in levels.body["items"].as_array().unwrap() {
        let wh = item["warehouse"].as_str().unwrap();
        let initial = STOCK.iter().find(|s| s.0 == wh).unwrap().1;
        assert_eq!(item["on_hand"], initial, "{item}");
        assert_eq!(
            item["allocated"],
            held.get(wh).copied().unwrap_or(0),
            "{item}"
        );
    }
    // Cancelled orders did hand stock on: some held it when they were cancelled.
    let histories = histories(&apis[0], &ids).await;
    let handed_on = orders
        .iter()
        .zip(&histories)
        .filter(|(o, h)| {
            o["status"] == "cancelled"
                && h.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["kind"] == "allocation.released")
        })
        .count();
    assert!(handed_on > 0, "no cancelled order held stock");
    for api in &apis {
        let inv = api.get("/api/v1/admin/invariants", ADMIN).await;
        assert_eq!(inv.body["ok"], true, "invariants: {}", inv.text);
    }

    // Money moved once per order, and every mail job ran once: no Message-ID twice.
    let movements = ledger_once(&world.sandbox.ledger(), &orders);
    let mails = mails_once(&world.smtp.messages(), &orders, &histories);
    assert_eq!(mails.repeats, 0, "a mail job ran twice");

    // Every job was claimed by one worker and completed by it: a job claimed twice would have
    // failed in one of them (its completion finds the row gone or leased to the other).
    let outputs = join_all(
        nodes
            .into_iter()
            .map(|n| async move { (n.name.clone(), n.stop().await) }),
    )
    .await;
    let mut per_node = vec![];
    for (name, out) in &outputs {
        let (claimed, done, failed) = worker_stats(name, out);
        assert_eq!((claimed, failed), (done, 0), "{name}:\n{out}");
        assert!(!out.contains("lease was lost"), "{name}:\n{out}");
        per_node.push(done);
    }
    eprintln!(
        "3 nodes: {ORDERS} orders ({demand} units wanted by live orders, {stock} in stock, {handed_on} cancelled orders handed stock on) settled in {settled_at:?}; jobs done per node {per_node:?}; \
         {movements} provider movements; {} mails; client retries: {}",
        mails.sent,
        world.retries.summary()
    );
    run_check(&db.url).await;
    db.drop_now().await;
}
