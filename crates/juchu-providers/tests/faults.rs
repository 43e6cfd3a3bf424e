//! Reliability: with the sandbox failing ~30% of calls and timing out ~10% (after applying them —
//! the nasty case), many payment flows (card, void, deferred, Amazon Pay, bank payouts) run
//! concurrently. Each call retries inside the client, and
//! a step that still comes back `Unavailable` is run again with the SAME idempotency key (as a
//! retried job would). Afterwards the sandbox's own ledger must show every movement exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{goods, registration, start_with};
use juchu_domain::Money;
use juchu_domain::carrier::Carrier;
use juchu_providers::card::CardSource;
use juchu_providers::{
    AmazonPay, Bank, CardGateway, DeferredDecision, DeferredPayment, HttpSettings, IdempotencyKey,
    PayoutRequest, ProviderError, Providers,
};
use juchu_sandbox::{FaultConfig, SandboxConfig};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const CARD_FLOWS: usize = 30;
const DEFERRED_FLOWS: usize = 15;
const AMAZON_FLOWS: usize = 15;
const VOID_FLOWS: usize = 10;
const PAYOUT_FLOWS: usize = 10;
/// Job-level attempts of one step (each of which retries inside the client).
const JOB_ATTEMPTS: u32 = 6;

#[derive(Default)]
struct Stats {
    /// Steps that came back Unavailable at least once and were run again.
    job_retries: AtomicU32,
    /// Steps that ended in a typed error other than Unavailable (must stay 0 here).
    other_errors: AtomicU32,
}

/// Runs one step until it is not `Unavailable`, with the same key every time.
async fn step<T, F, Fut>(stats: &Stats, what: &str, f: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut last = None;
    for _ in 0..JOB_ATTEMPTS {
        match f().await {
            Ok(v) => return v,
            Err(e @ ProviderError::Unavailable { .. }) => {
                stats.job_retries.fetch_add(1, Ordering::Relaxed);
                last = Some(e);
            }
            Err(e) => {
                stats.other_errors.fetch_add(1, Ordering::Relaxed);
                panic!("{what}: a typed error where none was expected: {e}");
            }
        }
    }
    panic!("{what}: still unavailable after {JOB_ATTEMPTS} job attempts: {last:?}");
}

fn key(s: String) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

async fn card_flow(p: Arc<Providers>, stats: Arc<Stats>, i: usize) -> (String, i64) {
    let order = format!("flt-card-{i}");
    let amount = Money::yen(1000 + i as i64 * 10);
    let token = CardSource::Token(
        if i.is_multiple_of(5) {
            "tok_fraud"
        } else {
            "tok_visa"
        }
        .into(),
    );
    let k0 = key(format!("{order}.auth"));
    let auth = step(&stats, "card authorize", || {
        p.card.authorize(&order, &token, amount, &k0)
    })
    .await;
    assert_eq!(auth.suspicious, i.is_multiple_of(5));
    let k1 = key(format!("{order}.capture"));
    step(&stats, "card capture", || {
        p.card.capture(&auth.auth_ref, amount, &k1)
    })
    .await;
    let k2 = key(format!("{order}.refund"));
    step(&stats, "card refund", || {
        p.card.refund(&auth.auth_ref, Money::yen(100), &k2)
    })
    .await;
    (order, amount.minor())
}

async fn deferred_flow(p: Arc<Providers>, stats: Arc<Stats>, i: usize) -> (String, i64) {
    let amount = 2000 + i as i64 * 10;
    let reg = registration(&format!("flt-np-{i}"), "buyer@example.jp", amount);
    let k3 = key(format!("flt-np-{i}.reg"));
    let tx = step(&stats, "deferred register", || {
        p.deferred.register(&reg, &k3)
    })
    .await;
    assert_eq!(tx.decision, DeferredDecision::Approved);
    let id = tx.np_transaction_id.clone();
    let k4 = key(format!("flt-np-{i}.ship"));
    step(&stats, "deferred status", || p.deferred.status(&id)).await;
    step(&stats, "deferred report", || {
        p.deferred
            .report_shipment(&id, Carrier::Sagawa, "512547514334", &k4)
    })
    .await;
    (id, amount)
}

async fn amazon_flow(p: Arc<Providers>, stats: Arc<Stats>, i: usize) -> (String, i64) {
    let permission = format!("S03-flt-{i}");
    let amount = Money::yen(3000 + i as i64 * 10);
    let k5 = key(format!("{permission}.auth"));
    let charge = step(&stats, "amazon authorize", || {
        p.amazon_pay.authorize(&permission, amount, false, &k5)
    })
    .await;
    let k6 = key(format!("{permission}.capture"));
    step(&stats, "amazon capture", || {
        p.amazon_pay.capture(&charge.charge_id, amount, &k6)
    })
    .await;
    let k7 = key(format!("{permission}.refund"));
    step(&stats, "amazon refund", || {
        p.amazon_pay.refund(&charge.charge_id, Money::yen(300), &k7)
    })
    .await;
    (charge.charge_id, amount.minor())
}

async fn void_flow(p: Arc<Providers>, stats: Arc<Stats>, i: usize) -> (String, i64) {
    let order = format!("flt-void-{i}");
    let amount = Money::yen(500 + i as i64);
    let token = CardSource::Token("tok_visa".into());
    let k0 = key(format!("{order}.auth"));
    let auth = step(&stats, "card authorize", || {
        p.card.authorize(&order, &token, amount, &k0)
    })
    .await;
    let k1 = key(format!("{order}.void"));
    step(&stats, "card void", || p.card.void(&auth.auth_ref, &k1)).await;
    (order, amount.minor())
}

async fn payout_flow(p: Arc<Providers>, stats: Arc<Stats>, i: usize) -> (String, i64) {
    let req = PayoutRequest {
        bank_code: "0005".into(),
        branch_code: "123".into(),
        account_number: format!("{:07}", 2_000_000 + i),
        account_name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        amount: Money::yen(700 + i as i64),
        reference: format!("flt-refund-{i}"),
    };
    let k = key(format!("flt-refund-{i}.payout"));
    let out = step(&stats, "bank payout", || p.bank.payout(&req, &k)).await;
    (out.payout_id, req.amount.minor())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_failures_and_timeouts_nothing_is_applied_twice_and_nothing_is_lost() {
    let config = SandboxConfig {
        faults: FaultConfig {
            failure_rate: 0.3,
            timeout_rate: 0.1,
            timeout_ms: 1_500,
            timeout_applies: true,
            seed: Some(42),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    };
    let http = HttpSettings {
        timeout_ms: 500,
        max_attempts: 4,
        initial_backoff_ms: 10,
        max_backoff_ms: 80,
    };
    let w = start_with(config, http).await;
    let p = Arc::new(w.providers.clone());
    let stats = Arc::new(Stats::default());

    let mut cards = tokio::task::JoinSet::new();
    for i in 0..CARD_FLOWS {
        cards.spawn(card_flow(p.clone(), stats.clone(), i));
    }
    let mut deferred = tokio::task::JoinSet::new();
    for i in 0..DEFERRED_FLOWS {
        deferred.spawn(deferred_flow(p.clone(), stats.clone(), i));
    }
    let mut amazon = tokio::task::JoinSet::new();
    for i in 0..AMAZON_FLOWS {
        amazon.spawn(amazon_flow(p.clone(), stats.clone(), i));
    }
    let mut voids = tokio::task::JoinSet::new();
    for i in 0..VOID_FLOWS {
        voids.spawn(void_flow(p.clone(), stats.clone(), i));
    }
    let mut payouts = tokio::task::JoinSet::new();
    for i in 0..PAYOUT_FLOWS {
        payouts.spawn(payout_flow(p.clone(), stats.clone(), i));
    }
    let cards = cards.join_all().await;
    let voids = voids.join_all().await;
    let payouts = payouts.join_all().await;
    let deferred = deferred.join_all().await;
    let amazon = amazon.join_all().await;
    assert_eq!(stats.other_errors.load(Ordering::Relaxed), 0);

    // The sandbox's ledger, grouped by reference.
    let mut by_ref: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for e in w.ledger().await {
        by_ref
            .entry(e["reference"].as_str().unwrap().to_string())
            .or_default()
            .push((
                e["kind"].as_str().unwrap().to_string(),
                e["amount"].as_i64().unwrap(),
            ));
    }
    let mv = |k: &str, a: i64| (k.to_string(), a);
    for (order, amount) in &cards {
        assert_eq!(
            by_ref.remove(order).unwrap_or_default(),
            vec![
                mv("authorise", *amount),
                mv("capture", *amount),
                mv("refund", 100)
            ],
            "card {order}"
        );
    }
    for (id, amount) in &deferred {
        assert_eq!(
            by_ref.remove(id).unwrap_or_default(),
            vec![mv("authorise", *amount), mv("capture", *amount)],
            "deferred {id}"
        );
    }
    for (id, amount) in &amazon {
        assert_eq!(
            by_ref.remove(id).unwrap_or_default(),
            vec![
                mv("authorise", *amount),
                mv("capture", *amount),
                mv("refund", 300)
            ],
            "amazon {id}"
        );
    }
    for (order, amount) in &voids {
        assert_eq!(
            by_ref.remove(order).unwrap_or_default(),
            vec![mv("authorise", *amount), mv("void", *amount)],
            "void {order}"
        );
    }
    for (id, amount) in &payouts {
        assert_eq!(
            by_ref.remove(id).unwrap_or_default(),
            vec![mv("payout", *amount)],
            "payout {id}"
        );
    }
    assert_eq!(payouts.len(), PAYOUT_FLOWS);
    assert!(by_ref.is_empty(), "movements nobody asked for: {by_ref:?}");

    // The faults really happened: about 40% of the attempts failed or timed out, and each was
    // retried with its key. Every attempt but the last of each call failed transiently.
    let st = p.stats();
    let calls =
        (CARD_FLOWS * 4 + DEFERRED_FLOWS * 3 + AMAZON_FLOWS * 3 + VOID_FLOWS * 3 + PAYOUT_FLOWS)
            as u64;
    assert!(st.attempts > calls, "{st:?}");
    let share = st.transient_failures as f64 / st.attempts as f64;
    assert!(
        (0.2..0.7).contains(&share),
        "transient share {share}: {st:?}"
    );
    eprintln!(
        "{st:?}; job-level retries after Unavailable: {}",
        stats.job_retries.load(Ordering::Relaxed)
    );
    // goods() is used by the registration; keep the helper honest.
    assert_eq!(goods(2000).iter().map(|g| g.goods_price).sum::<i64>(), 2000);
}
