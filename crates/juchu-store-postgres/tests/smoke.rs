//! A smoke test against a real PostgreSQL (127.0.0.1:5432, user postgres, trust auth) in a fresh
//! database that is dropped at the end. The conformance suite over HTTP lives elsewhere; this
//! checks the SQL of each area once, plus the races that are specific to this backend.

use jiff::Timestamp;
use juchu_domain::intake::{NewOrder, build_order};
use juchu_domain::stock::StockChange;
use juchu_domain::tax::Rounding;
use juchu_domain::{OrderId, TaxRate};
use juchu_store::{
    ApiKeyRecord, ChangeSet, IdempotencyState, NewJob, OrderWrite, SkuRecord, Store, StoreError,
    WarehouseRecord,
};
use juchu_store_postgres::PostgresStore;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::sync::Arc;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn smoke() -> TestResult {
    let name = format!("juchu_smoke_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(&format!("{SERVER}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    // Run everything in a task (so a failed assertion is caught too), then drop the database
    // whatever happened, then report.
    let outcome = match PostgresStore::connect(&format!("{SERVER}/{name}")).await {
        Ok(store) => tokio::spawn(run(Arc::new(store)))
            .await
            .unwrap_or_else(|e| Err(format!("the test panicked: {e}").into())),
        Err(e) => Err(e.into()),
    };
    let dropped = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    outcome?;
    dropped?;
    Ok(())
}

fn stock(warehouse: &str, sku: &str, on_hand: i64, allocated: i64) -> StockChange {
    StockChange {
        warehouse: warehouse.into(),
        sku: sku.into(),
        on_hand,
        allocated,
        reason: "adjust".into(),
    }
}

async fn run(store: Arc<PostgresStore>) -> TestResult {
    store.migrate().await?;
    store.migrate().await?; // a second run is a no-op
    assert_eq!(store.backend(), "postgres");
    master_data(&store).await?;
    stock_changes(&store).await?;
    orders(&store).await?;
    jobs(&store).await?;
    keys(&store).await?;
    races(&store).await?;
    let problems = store.check_invariants().await?;
    assert!(problems.is_empty(), "{problems:?}");
    Ok(())
}

async fn master_data(store: &PostgresStore) -> TestResult {
    let w = WarehouseRecord {
        code: "TKY".into(),
        name: "Tokyo".into(),
        priority: 1,
        prefectures: vec!["東京都".into()],
    };
    assert!(store.put_warehouse(&w).await?);
    let renamed = WarehouseRecord {
        name: "Tokyo DC".into(),
        ..w
    };
    assert!(!store.put_warehouse(&renamed).await?);
    assert_eq!(store.list_warehouses().await?, vec![renamed]);
    for code in ["SKU-B", "SKU-A"] {
        let sku = SkuRecord {
            code: code.into(),
            name: format!("{code} item"),
            tax_rate: TaxRate::Reduced8,
            supplier: None,
            drop_ship: false,
            lead_time_days: None,
        };
        assert!(store.put_sku(&sku).await?);
        assert!(!store.put_sku(&sku).await?);
    }
    let got = store
        .get_skus(&["SKU-B".into(), "NOPE".into(), "SKU-A".into()])
        .await?;
    let codes: Vec<_> = got.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["SKU-B", "SKU-A"]);
    assert_eq!(got[0].tax_rate, TaxRate::Reduced8);
    assert_eq!(store.list_skus().await?.len(), 2);
    Ok(())
}

async fn stock_changes(store: &PostgresStore) -> TestResult {
    let now = Timestamp::now();
    let job = |key: &str| NewJob {
        kind: "allocate".into(),
        payload: serde_json::json!({ "key": key }),
        available_at: now,
        dedupe_key: Some(key.into()),
    };
    // Given in reverse (warehouse, sku) order: the store sorts them, the result is the same.
    let change = ChangeSet {
        stock: vec![
            (None, stock("TKY", "SKU-B", 5, 0)),
            (None, stock("TKY", "SKU-A", 10, 0)),
        ],
        actor: "smoke".into(),
        jobs: vec![job("allocate"), job("allocate")],
        ..ChangeSet::default()
    };
    store.commit(change).await?;
    let levels = store.stock_levels(Some("SKU-A"), None).await?;
    assert_eq!((levels[0].on_hand, levels[0].allocated), (10, 0));
    assert_eq!(store.stock_levels(None, Some("TKY")).await?.len(), 2);
    let moves = store
        .stock_movements(Some("SKU-A"), Some("TKY"), 10)
        .await?;
    assert_eq!((moves.len(), moves[0].actor.as_str()), (1, "smoke"));

    // More than there is: nothing of the change set is written.
    let too_much = ChangeSet {
        stock: vec![
            (None, stock("TKY", "SKU-A", -1, 0)),
            (None, stock("TKY", "SKU-B", 0, 6)),
        ],
        ..ChangeSet::default()
    };
    assert!(matches!(
        store.commit(too_much).await,
        Err(StoreError::InsufficientStock { sku, .. }) if sku == "SKU-B"
    ));
    let levels = store.stock_levels(Some("SKU-A"), Some("TKY")).await?;
    assert_eq!(levels[0].on_hand, 10);
    Ok(())
}

fn new_order(external_id: &str, number: i64) -> Result<juchu_domain::Order, String> {
    let input: NewOrder = serde_json::from_value(serde_json::json!({
        "channel": "web",
        "external_id": external_id,
        "customer": { "name": "山田 太郎", "email": "taro@example.jp" },
        "shipping_address": {
            "name": "山田 太郎", "postal_code": "1000001", "prefecture": "東京都",
            "city": "千代田区", "line1": "千代田1-1"
        },
        "lines": [{ "sku": "SKU-A", "quantity": 2, "unit_price": 1080 }],
        "payment": { "method": "bank_transfer" }
    }))
    .map_err(|e| e.to_string())?;
    let info = |_: &str| {
        Some(juchu_domain::intake::SkuInfo {
            name: "A".into(),
            tax_rate: TaxRate::Reduced8,
        })
    };
    build_order(&input, info, number, Timestamp::now(), Rounding::Down)
        .map_err(|e| format!("{e:?}"))
}

async fn orders(store: &PostgresStore) -> TestResult {
    let number = store.next_order_number().await?;
    assert_eq!(number, 100001);
    assert_eq!(store.next_order_number().await?, 100002);
    let order = new_order("EXT-1", number)?;
    let create = |order: juchu_domain::Order| ChangeSet {
        orders: vec![OrderWrite {
            order,
            expected_version: None,
        }],
        ..ChangeSet::default()
    };
    store.commit(create(order.clone())).await?;
    assert_eq!(store.get_order(order.id).await?, Some(order.clone()));
    assert_eq!(
        store.order_by_external_id("web", "EXT-1").await?,
        Some(order.id)
    );

    let mut twin = new_order("EXT-1", 100002)?;
    twin.id = OrderId::new();
    match store.commit(create(twin)).await {
        Err(StoreError::DuplicateOrder { existing }) => assert_eq!(existing, order.id.to_string()),
        other => return Err(format!("expected DuplicateOrder, got {other:?}").into()),
    }

    let mut changed = order.clone();
    changed.version += 1;
    let update = |order: juchu_domain::Order, expected| ChangeSet {
        orders: vec![OrderWrite {
            order,
            expected_version: Some(expected),
        }],
        ..ChangeSet::default()
    };
    store.commit(update(changed.clone(), order.version)).await?;
    assert!(matches!(
        store.commit(update(changed.clone(), order.version)).await,
        Err(StoreError::VersionConflict { .. })
    ));
    let found = store
        .list_orders(&juchu_store::OrderFilter {
            q: Some("taro@".into()),
            limit: 10,
            ..Default::default()
        })
        .await?;
    assert_eq!(found.len(), 1);
    let none = store
        .list_orders(&juchu_store::OrderFilter {
            q: Some("_aro".into()),
            limit: 10,
            ..Default::default()
        })
        .await?;
    assert!(none.is_empty(), "`_` must be matched literally");
    assert_eq!(store.count_orders().await?.len(), 1);
    Ok(())
}

async fn jobs(store: &Arc<PostgresStore>) -> TestResult {
    let now = Timestamp::now();
    let lease = now + jiff::SignedDuration::from_secs(30);
    let many = ChangeSet {
        jobs: (0..20)
            .map(|i| NewJob {
                kind: "notify".into(),
                payload: serde_json::json!({ "n": i }),
                available_at: now,
                dedupe_key: None,
            })
            .collect(),
        ..ChangeSet::default()
    };
    store.commit(many).await?;
    // Concurrent claimers never get the same job.
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            store.claim_jobs(&format!("w{w}"), now, lease, 8).await
        }));
    }
    let mut ids = Vec::new();
    let mut first = None;
    for (w, t) in tasks.into_iter().enumerate() {
        let claimed = t.await??;
        assert!(claimed.len() <= 8);
        if first.is_none() && !claimed.is_empty() {
            first = Some((format!("w{w}"), claimed[0].clone()));
        }
        ids.extend(claimed.iter().map(|j| j.id));
    }
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((ids.len(), total), (21, 21));
    let Some((worker, job)) = first else {
        return Err("no job claimed".into());
    };
    assert_eq!(job.attempts, 1);
    store.fail_job(job.id, &worker, "boom", None).await?;
    let done = ChangeSet {
        complete_job: Some((job.id, worker)),
        ..ChangeSet::default()
    };
    assert!(matches!(
        store.commit(done).await,
        Err(StoreError::LeaseLost)
    ));
    let counts = store.job_counts(Timestamp::now()).await?;
    assert_eq!(counts, vec![("dead".into(), 1), ("running".into(), 20)]);
    Ok(())
}

async fn keys(store: &Arc<PostgresStore>) -> TestResult {
    let key = ApiKeyRecord {
        id: "k1".into(),
        name: "smoke".into(),
        role: juchu_domain::Role::Admin,
        secret_hash: "ab".repeat(32),
        created_at: Timestamp::now(),
    };
    store.insert_api_key(&key).await?;
    assert!(matches!(
        store.insert_api_key(&key).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.api_key_by_hash(&key.secret_hash).await?.map(|k| k.id),
        Some("k1".into())
    );

    // Racing requests with one idempotency key: one reserves, the rest see it in progress.
    let now = Timestamp::now();
    let stale = now - jiff::SignedDuration::from_secs(600);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            store.idempotency_begin("k1", "idem", "h", now, stale).await
        }));
    }
    let mut reserved = 0;
    for t in tasks {
        match t.await?? {
            IdempotencyState::Reserved => reserved += 1,
            IdempotencyState::InProgress => {}
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    assert_eq!(reserved, 1);
    store.idempotency_finish("k1", "idem", 201, b"{}").await?;
    assert_eq!(
        store
            .idempotency_begin("k1", "idem", "h2", now, stale)
            .await?,
        IdempotencyState::Done {
            hash: "h".into(),
            status: 201,
            body: b"{}".to_vec()
        }
    );
    Ok(())
}

async fn races(store: &Arc<PostgresStore>) -> TestResult {
    let before = store.stock_levels(None, Some("TKY")).await?;
    // The same two stock rows, given in opposite orders by concurrent change sets: the store
    // locks them in one order, so none of these deadlocks (a deadlock would surface as Conflict).
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let (a, b) = (stock("TKY", "SKU-A", 1, 0), stock("TKY", "SKU-B", 1, 0));
                let stock = if (t + i) % 2 == 0 {
                    vec![(None, a), (None, b)]
                } else {
                    vec![(None, b), (None, a)]
                };
                store
                    .commit(ChangeSet {
                        stock,
                        ..ChangeSet::default()
                    })
                    .await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let after = store.stock_levels(None, Some("TKY")).await?;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.on_hand, b.on_hand + 80);
    }

    // Concurrent intakes of one external id: one wins, the others name the winner.
    let mut tasks = Vec::new();
    for n in 0..4 {
        let order = new_order("EXT-RACE", 200_000 + n)?;
        let id = order.id;
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            let change = ChangeSet {
                orders: vec![OrderWrite {
                    order,
                    expected_version: None,
                }],
                ..ChangeSet::default()
            };
            (id, store.commit(change).await)
        }));
    }
    let (mut winners, mut losers) = (Vec::new(), Vec::new());
    for t in tasks {
        match t.await? {
            (id, Ok(())) => winners.push(id.to_string()),
            (_, Err(StoreError::DuplicateOrder { existing })) => losers.push(existing),
            (_, Err(e)) => return Err(e.into()),
        }
    }
    assert_eq!(winners.len(), 1);
    assert!(losers.iter().all(|l| *l == winners[0]), "{losers:?}");
    Ok(())
}
