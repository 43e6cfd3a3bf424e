//! The load both tests run: concurrent intake, and drivers that take each order to the end the
//! test chose for it (cancelled, or shipped, delivered and recognised) through the public API.

use crate::client::Client;
use crate::common::ADMIN;
use crate::shop::tracking;
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where the test takes order `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Cancelled by an operator as soon as it may be (before shipping).
    Cancelled,
    /// Instructed, shipped and delivered; the worker recognises it.
    Recognised,
    /// Cancelled once it holds stock, which goes to orders waiting (or, when intake is over and
    /// the worker idle while it still waits, cancelled anyway).
    CancelledHolding,
    /// Whatever allocation gives it (the flash sale leaves most orders waiting).
    Left,
}

/// An order as its client learnt of it.
#[derive(Debug, Clone)]
pub struct Placed {
    pub id: String,
    /// 201 (first answer or a replay); false when the client learnt the id from 409
    /// `duplicate_order` (its first attempt committed, the answer was lost with the server).
    pub acked: bool,
}

/// The orders placed so far, by index.
#[derive(Default)]
pub struct Book {
    pub placed: Mutex<BTreeMap<usize, Placed>>,
    pub intake_done: AtomicBool,
}

impl Book {
    pub fn snapshot(&self) -> BTreeMap<usize, Placed> {
        self.placed.lock().unwrap().clone()
    }
}

/// Places orders `0..n` (`body(i)`) from `clients.len()` concurrent clients, each call with its own
/// `Idempotency-Key` kept across retries. Every order ends with an id: 201, or 409
/// `duplicate_order` naming the order an earlier attempt created.
/// Each client pauses `pace` between its orders, so that intake lasts while the test kills servers.
pub async fn intake(
    clients: &[Client],
    token: &str,
    n: usize,
    pace: Duration,
    book: &Book,
    body: impl Fn(usize) -> Value + Sync,
) {
    let next = AtomicUsize::new(0);
    join_all(clients.iter().map(|c| async {
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= n {
                return;
            }
            let r = c.post("/api/v1/orders", token, &body(i)).await;
            let placed = match (r.status, r.code()) {
                (201, _) => Placed {
                    id: r.body["id"].as_str().unwrap().to_owned(),
                    acked: true,
                },
                (409, "duplicate_order") => Placed {
                    id: r.body["order_id"].as_str().unwrap().to_owned(),
                    acked: false,
                },
                _ => panic!("order {i}: {} {}", r.status, r.text),
            };
            book.placed.lock().unwrap().insert(i, placed);
            tokio::time::sleep(pace).await;
        }
    }))
    .await;
    book.intake_done.store(true, Ordering::SeqCst);
}

/// Drives the orders of `book` with `i % of == part` to their fate until every one is there:
/// each pass lists the orders per status and takes the next step for each.
pub async fn drive(c: &Client, book: &Book, fate: impl Fn(usize) -> Fate, part: usize, of: usize) {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let done = book.intake_done.load(Ordering::SeqCst);
        // Intake over and no job left: an order still waiting waits for stock that is gone.
        let settled = done && {
            let r = c.get("/api/v1/admin/jobs", ADMIN).await;
            r.body["pending"].as_i64().unwrap_or(0) + r.body["running"].as_i64().unwrap_or(0) == 0
        };
        let mine: HashMap<String, usize> = book
            .snapshot()
            .into_iter()
            .filter(|(i, _)| i % of == part)
            .map(|(i, p)| (p.id, i))
            .collect();
        // An order moving on between two lists shows in both, or in neither: count ids.
        let (mut waiting, mut finished) = (0, std::collections::HashSet::new());
        let mut instruct = vec![];
        for status in STATUSES {
            for o in list(c, status).await {
                let Some(&i) = o["id"].as_str().and_then(|id| mine.get(id)) else {
                    continue;
                };
                match (fate(i), status) {
                    (Fate::Cancelled | Fate::CancelledHolding, "cancelled")
                    | (Fate::Recognised, "recognized")
                    | (Fate::Left, _) => {
                        finished.insert(i);
                        continue;
                    }
                    (
                        Fate::Cancelled,
                        "received" | "unallocated" | "partially_allocated" | "allocated",
                    )
                    | (Fate::CancelledHolding, "partially_allocated" | "allocated") => {
                        cancel(c, &o).await
                    }
                    (Fate::CancelledHolding, "unallocated") if settled => cancel(c, &o).await,
                    (Fate::Recognised, "allocated") => instruct.push(o["id"].clone()),
                    (Fate::Recognised, "shipping_instructed") => {
                        let s = o["shipments"][0]["id"].as_str().unwrap();
                        let r = c
                            .post(
                                &format!("/api/v1/shipments/{s}/ship"),
                                ADMIN,
                                &json!({"carrier": "yamato", "tracking_number": tracking(i)}),
                            )
                            .await;
                        step_ok(&r, "ship");
                    }
                    (Fate::Recognised, "shipped") => {
                        let s = o["shipments"][0]["id"].as_str().unwrap();
                        let r = c
                            .post(&format!("/api/v1/shipments/{s}/deliver"), ADMIN, &json!({}))
                            .await;
                        step_ok(&r, "deliver");
                    }
                    _ => {}
                }
                waiting += 1;
            }
        }
        if !instruct.is_empty() {
            let r = c
                .post(
                    "/api/v1/shipping-instructions",
                    ADMIN,
                    &json!({"order_ids": instruct}),
                )
                .await;
            assert_eq!(r.status, 201, "instruct: {}", r.text);
        }
        if done && finished.len() == mine.len() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "driver {part}: {waiting} orders not at their end"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const STATUSES: [&str; 9] = [
    "received",
    "unallocated",
    "partially_allocated",
    "allocated",
    "shipping_instructed",
    "shipped",
    "delivered",
    "recognized",
    "cancelled",
];

/// Every order in `status` (at most a few hundred in these tests).
async fn list(c: &Client, status: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut cursor = String::new();
    loop {
        let r = c
            .get(
                &format!("/api/v1/orders?status={status}&limit=500&cursor={cursor}"),
                ADMIN,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(n) => cursor = n.to_owned(),
            None => return out,
        }
    }
}

async fn cancel(c: &Client, o: &Value) {
    let path = format!("/api/v1/orders/{}/cancel", o["id"].as_str().unwrap());
    let r = c.post(&path, ADMIN, &json!({"reason": "お客様都合"})).await;
    step_ok(&r, "cancel");
}

/// A step's answer: done, or 409 because the order moved on meanwhile (the worker, or an earlier
/// attempt whose answer was lost in a kill); the next pass looks again.
fn step_ok(r: &juchu_testkit::Resp, what: &str) {
    assert!(
        matches!(r.status, 200 | 202 | 409),
        "{what}: {} {}",
        r.status,
        r.text
    );
}

/// The orders of `ids`, fetched from `c`.
pub async fn fetch(c: &Client, ids: &[String]) -> Vec<Value> {
    get_each(c, ids, "").await
}

/// The histories (`/events`) of the orders `ids`.
pub async fn histories(c: &Client, ids: &[String]) -> Vec<Value> {
    get_each(c, ids, "/events").await
}

/// `GET /api/v1/orders/{id}{suffix}` for each of `ids`, sixteen at a time.
async fn get_each(c: &Client, ids: &[String], suffix: &str) -> Vec<Value> {
    let mut out = vec![];
    for chunk in ids.chunks(16) {
        out.extend(
            join_all(chunk.iter().map(|id| async move {
                let r = c.get(&format!("/api/v1/orders/{id}{suffix}"), ADMIN).await;
                assert_eq!(r.status, 200, "order {id}: {}", r.text);
                r.body
            }))
            .await,
        );
    }
    out
}

/// Waits until no job is due or running (the worker has caught up).
pub async fn wait_idle(c: &Client) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = c.get("/api/v1/admin/jobs", ADMIN).await;
        let n = |k: &str| r.body[k].as_i64().unwrap_or(0);
        if n("pending") + n("running") == 0 {
            return r.body;
        }
        assert!(Instant::now() < deadline, "jobs still busy: {}", r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
