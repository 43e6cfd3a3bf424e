//! Issue 9.1, crash safety: `juchu serve` is killed with SIGKILL at random moments while clients
//! place orders and drive them through the lifecycle, and restarted on the same database. Nothing
//! acknowledged is lost, the invariants hold, every job ran to completion, and money moved and
//! mail went out once in effect. On both backends.

use crate::checks::{ledger_once, mails_once};
use crate::common::{ADMIN, run_check};
use crate::load::{Book, Fate, drive, fetch, histories, intake, wait_idle};
use crate::shop::{Node, World, order, set_up};
use juchu_testkit::{Backend, TestDb};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

juchu_testkit::on_both_backends!(sigkill_during_intake_and_lifecycle_loses_nothing);

const ORDERS: usize = 120;
const CLIENTS: usize = 6;
const DRIVERS: usize = 2;
const KILLS: usize = 4;
/// Each intake client's pause between orders: intake lasts a few seconds, through the first kills.
const PACE: Duration = Duration::from_millis(80);

fn fate(i: usize) -> Fate {
    if i % 5 == 1 {
        Fate::Cancelled
    } else {
        Fate::Recognised
    }
}

/// The seed of the kill schedule: `JUCHU_CRASH_SEED` to replay a run, else a new one (printed).
fn seed() -> u64 {
    std::env::var("JUCHU_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

async fn sigkill_during_intake_and_lifecycle_loses_nothing(b: Backend) {
    let started = Instant::now();
    let seed = seed();
    eprintln!("{b:?}: kill schedule seed {seed} (JUCHU_CRASH_SEED={seed} replays it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let db = TestDb::create(b).await;
    let world = World::start().await;
    let mut node = Node::start("serve", &db.url, &world).await;
    let c = world.client(&node);
    let storefront = set_up(&c, &["TOWEL", "MUG"], &[("TKY", 1000), ("OSK", 1000)]).await;

    let book = Book::default();
    let clients: Vec<_> = (0..CLIENTS).map(|_| world.client(&node)).collect();
    let load = async {
        let intake = async {
            intake(&clients, &storefront, ORDERS, PACE, &book, |i| {
                order(
                    "CR",
                    i,
                    &[("TOWEL", (i % 3) as i64 + 1, 1980), ("MUG", 1, 1200)],
                )
            })
            .await;
            eprintln!("{b:?}: intake done at {:?}", started.elapsed());
        };
        let drivers =
            futures::future::join_all((0..DRIVERS).map(|d| drive(&c, &book, fate, d, DRIVERS)));
        tokio::join!(intake, drivers);
    };
    let kills = async {
        // The first kill lands during intake, the later ones while the orders move on.
        for k in 0..KILLS {
            let after = if k == 0 { 200..1000 } else { 700..2500 };
            tokio::time::sleep(Duration::from_millis(rng.random_range(after))).await;
            node.kill_and_restart().await;
            eprintln!("{b:?}: killed and restarted at {:?}", started.elapsed());
        }
    };
    tokio::join!(load, kills);
    let killed_at = started.elapsed();
    let jobs = wait_idle(&c).await;
    let settled_at = started.elapsed();

    // Every order exists under the id its client learnt, once, and ended where it was taken.
    let placed = book.snapshot();
    assert_eq!(placed.len(), ORDERS);
    let ids: Vec<String> = placed.values().map(|p| p.id.clone()).collect();
    let orders = fetch(&c, &ids).await;
    for ((i, p), o) in placed.iter().zip(&orders) {
        assert_eq!(o["id"], p.id.as_str());
        assert_eq!(o["external_id"], format!("CR-{i}"), "{o}");
        let want = if fate(*i) == Fate::Cancelled {
            "cancelled"
        } else {
            "recognized"
        };
        assert_eq!(o["status"], want, "order {i}: {o}");
    }
    let counts = c.get("/api/v1/orders/counts", ADMIN).await;
    let total: i64 = counts
        .body
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_i64())
        .sum();
    assert_eq!(
        total, ORDERS as i64,
        "no order twice, none unknown: {}",
        counts.text
    );

    // Every job ran to completion: nothing due, running or dead (scheduled ones are future work:
    // the month close, みなし着荷 of delivered parcels, which will find nothing to do).
    assert_eq!(jobs["dead"].as_i64().unwrap_or(0), 0, "{jobs}");
    let inv = c.get("/api/v1/admin/invariants", ADMIN).await;
    assert_eq!(inv.body["ok"], true, "invariants: {}", inv.text);

    let movements = ledger_once(&world.sandbox.ledger(), &orders);
    let mails = mails_once(&world.smtp.messages(), &orders, &histories(&c, &ids).await);
    let acked = placed.values().filter(|p| p.acked).count();
    eprintln!(
        "{b:?}: {ORDERS} orders ({acked} acknowledged with 201, {} learnt from duplicate_order), {KILLS} kills in {killed_at:?}, settled at {settled_at:?}; \
         {movements} provider movements, each once; {} mails, {} of them repeats under the same Message-ID; client retries: {}",
        ORDERS - acked,
        mails.sent,
        mails.repeats,
        world.retries.summary()
    );
    let out = node.stop().await;
    assert!(!out.contains("panicked"), "{out}");
    run_check(&db.url).await;
    db.drop_now().await;
}
