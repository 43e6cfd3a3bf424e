//! The job table (outbox) on each backend: leases and their renewal, retry with backoff,
//! dead-letter, de-duplication; and the lease-like reservations of idempotency keys.

use jiff::{SignedDuration, Timestamp};
use juchu_app::{App, FakeClock, Worker, WorkerOptions};
use juchu_domain::policy::Policies;
use juchu_store::{ChangeSet, IdempotencyState, NewJob, Store, StoreError};
use juchu_testkit::{Backend, TestDb};
use serde_json::json;
use std::sync::Arc;

juchu_testkit::on_both_backends!(
    a_lost_lease_cannot_complete_the_job,
    a_renewed_lease_keeps_the_job_until_its_worker_stops_renewing,
    a_refreshed_idempotency_reservation_is_not_taken_over,
    failing_jobs_back_off_then_go_dead,
    pending_jobs_are_deduplicated_by_key,
);

fn t0() -> Timestamp {
    "2026-11-26T00:00:00Z".parse().unwrap()
}

fn job(kind: &str, at: Timestamp, key: Option<&str>) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: json!({}),
        available_at: at,
        dedupe_key: key.map(str::to_owned),
    }
}

async fn store(b: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::create(b).await;
    let store = juchu::open_store(&db.url).await.unwrap();
    (db, store)
}

fn counts(c: Vec<(String, i64)>) -> Vec<(String, i64)> {
    c.into_iter().filter(|(_, n)| *n > 0).collect()
}

async fn a_lost_lease_cannot_complete_the_job(b: Backend) {
    let (db, s) = store(b).await;
    s.commit(ChangeSet {
        jobs: vec![job("x", t0(), None)],
        ..ChangeSet::default()
    })
    .await
    .unwrap();
    let lease = SignedDuration::from_secs(30);
    let a = s.claim_jobs("a", t0(), t0() + lease, 10).await.unwrap();
    assert_eq!(a.len(), 1);
    // While A holds the lease nobody else gets the job.
    assert!(
        s.claim_jobs("b", t0() + SignedDuration::from_secs(10), t0() + lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A stalls past its lease; B takes the job over.
    let later = t0() + SignedDuration::from_secs(31);
    let b_jobs = s.claim_jobs("b", later, later + lease, 10).await.unwrap();
    assert_eq!(b_jobs.len(), 1);
    assert_eq!(b_jobs[0].id, a[0].id);
    assert_eq!(b_jobs[0].attempts, 2);
    let done_by_a = ChangeSet {
        complete_job: Some((a[0].id, "a".into())),
        ..ChangeSet::default()
    };
    assert!(matches!(
        s.commit(done_by_a).await,
        Err(StoreError::LeaseLost)
    ));
    let done_by_b = ChangeSet {
        complete_job: Some((a[0].id, "b".into())),
        ..ChangeSet::default()
    };
    s.commit(done_by_b).await.unwrap();
    assert!(counts(s.job_counts(t0()).await.unwrap()).is_empty());
    db.drop_now().await;
}

/// The worker renews the leases of the batch it is running: a renewed job stays its own past the
/// first lease, and goes to another worker only once the renewals stop (the worker died).
async fn a_renewed_lease_keeps_the_job_until_its_worker_stops_renewing(b: Backend) {
    let (db, s) = store(b).await;
    s.commit(ChangeSet {
        jobs: vec![job("x", t0(), None), job("y", t0(), None)],
        ..ChangeSet::default()
    })
    .await
    .unwrap();
    let secs = |n: i64| t0() + SignedDuration::from_secs(n);
    let a = s.claim_jobs("a", t0(), secs(15), 10).await.unwrap();
    assert_eq!(a.len(), 2);
    // A finishes x and renews what it holds at 10 s: y only (x is gone), until 25 s.
    let done = ChangeSet {
        complete_job: Some((a[0].id, "a".into())),
        ..ChangeSet::default()
    };
    s.commit(done).await.unwrap();
    let ids = [a[0].id, a[1].id];
    assert_eq!(s.renew_jobs("a", &ids, secs(25)).await.unwrap(), 1);
    // Past the first lease, B gets nothing; another worker cannot renew A's lease.
    assert!(
        s.claim_jobs("b", secs(20), secs(35), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.renew_jobs("b", &ids, secs(99)).await.unwrap(), 0);
    // A died after its last renewal: at 26 s B takes y over, and A can no longer renew it.
    let b_jobs = s.claim_jobs("b", secs(26), secs(41), 10).await.unwrap();
    assert_eq!(b_jobs.len(), 1);
    assert_eq!(b_jobs[0].id, a[1].id);
    assert_eq!(s.renew_jobs("a", &ids, secs(40)).await.unwrap(), 0);
    db.drop_now().await;
}

/// An idempotency key's reservation refreshed by its running request is not taken over, however
/// old the request; one left by a request that died goes stale and a retry reserves it.
async fn a_refreshed_idempotency_reservation_is_not_taken_over(b: Backend) {
    let (db, s) = store(b).await;
    let secs = |n: i64| t0() + SignedDuration::from_secs(n);
    let begin = |now: i64| {
        let s = s.clone();
        async move {
            s.idempotency_begin("scope", "k", "h", secs(now), secs(now - 15))
                .await
                .unwrap()
        }
    };
    assert_eq!(begin(0).await, IdempotencyState::Reserved);
    s.idempotency_touch("scope", "k", secs(10)).await.unwrap();
    s.idempotency_touch("scope", "k", secs(20)).await.unwrap();
    assert_eq!(
        begin(30).await,
        IdempotencyState::InProgress,
        "refreshed at 20 s"
    );
    // No sign of life since 20 s: at 36 s a retry takes the key over.
    assert_eq!(begin(36).await, IdempotencyState::Reserved);
    // A finished request's record is not touched by a late refresh of the dead one.
    s.idempotency_finish("scope", "k", 201, b"{}")
        .await
        .unwrap();
    s.idempotency_touch("scope", "k", secs(99)).await.unwrap();
    assert!(matches!(
        begin(200).await,
        IdempotencyState::Done { status: 201, .. }
    ));
    db.drop_now().await;
}

async fn failing_jobs_back_off_then_go_dead(b: Backend) {
    let (db, s) = store(b).await;
    let clock = Arc::new(FakeClock::new(t0()));
    let app = App::new(s.clone(), clock.clone(), Policies::default());
    // A job nobody knows how to run fails every time.
    s.commit(ChangeSet {
        jobs: vec![job("no.such.kind", t0(), None)],
        ..ChangeSet::default()
    })
    .await
    .unwrap();
    let w = Worker::new(
        app,
        WorkerOptions {
            id: "w".into(),
            max_attempts: 3,
            ..WorkerOptions::default()
        },
    );
    assert_eq!(w.run_once().await.unwrap(), 1);
    // Back to pending, but not due until its backoff (2^1 s) has passed: `scheduled`.
    assert_eq!(
        counts(s.job_counts(t0()).await.unwrap()),
        [("scheduled".to_owned(), 1)]
    );
    assert_eq!(
        counts(
            s.job_counts(t0() + SignedDuration::from_secs(2))
                .await
                .unwrap()
        ),
        [("pending".to_owned(), 1)]
    );
    assert_eq!(w.run_once().await.unwrap(), 0);
    clock.advance(SignedDuration::from_secs(2));
    assert_eq!(w.run_once().await.unwrap(), 1);
    clock.advance(SignedDuration::from_secs(3));
    assert_eq!(w.run_once().await.unwrap(), 0, "second backoff is 4 s");
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(
        counts(s.job_counts(t0()).await.unwrap()),
        [("dead".to_owned(), 1)]
    );
    clock.advance(SignedDuration::from_hours(24));
    assert_eq!(w.run_once().await.unwrap(), 0, "dead jobs stay dead");
    db.drop_now().await;
}

async fn pending_jobs_are_deduplicated_by_key(b: Backend) {
    let (db, s) = store(b).await;
    for _ in 0..3 {
        s.commit(ChangeSet {
            jobs: vec![job("stock.arrived", t0(), Some("stock.arrived"))],
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    }
    assert_eq!(
        counts(s.job_counts(t0()).await.unwrap()),
        [("pending".to_owned(), 1)]
    );
    // Once it runs, a new one may queue behind it (the running one may have read old stock).
    let claimed = s
        .claim_jobs("w", t0(), t0() + SignedDuration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    s.commit(ChangeSet {
        jobs: vec![job("stock.arrived", t0(), Some("stock.arrived"))],
        ..ChangeSet::default()
    })
    .await
    .unwrap();
    let mut c = counts(s.job_counts(t0()).await.unwrap());
    c.sort();
    assert_eq!(c, [("pending".to_owned(), 1), ("running".to_owned(), 1)]);
    db.drop_now().await;
}
