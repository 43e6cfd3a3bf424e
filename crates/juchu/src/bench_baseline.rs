//! The database's own baseline for `bench intake`: the rows one order writes (order, event, job),
//! inserted directly with sqlx, one transaction per order, by C concurrent connections.

use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const INSERT_ORDER: &str = "INSERT INTO orders (id, number, channel, external_id, status, version, priority, on_hold, ordered_at, search, doc)
     VALUES ($1, $2, 'bench', $3, 'received', 1, 0, $4, $5, $6, $7)";
const INSERT_EVENT: &str =
    "INSERT INTO order_events (order_id, kind, at, event) VALUES ($1, 'order.received', $2, $3)";
const INSERT_JOB: &str = "INSERT INTO jobs (kind, payload, available_at, dedupe_key, created_at) VALUES ('order.receive', $1, $2, $3, $2)";

/// Returns orders/s.
pub async fn run(url: &str, doc: &Value, n: usize, c: usize) -> anyhow::Result<f64> {
    crate::open_store(url).await?; // the same schema, migrated
    let doc = Arc::new(doc.to_string());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    if url.starts_with("sqlite:") {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await?;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&pool)
            .await?;
        let mut tasks = Vec::new();
        for _ in 0..c {
            let (pool, next, doc) = (pool.clone(), next.clone(), doc.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<(), sqlx::Error>(());
                    }
                    let id = uuid::Uuid::now_v7().to_string();
                    let now = jiff::Timestamp::now().as_microsecond();
                    let mut tx = pool.begin().await?;
                    sqlx::query(INSERT_ORDER)
                        .bind(&id)
                        .bind(i as i64)
                        .bind(format!("X{i}"))
                        .bind(false)
                        .bind(now)
                        .bind(format!("{i}"))
                        .bind(doc.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_EVENT)
                        .bind(&id)
                        .bind(now)
                        .bind("{}")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_JOB)
                        .bind(format!("{{\"order_id\":\"{id}\"}}"))
                        .bind(now)
                        .bind(format!("order.receive:{id}"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
            }));
        }
        for t in tasks {
            t.await??;
        }
    } else {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(c as u32)
            .connect(url)
            .await?;
        let mut tasks = Vec::new();
        for _ in 0..c {
            let (pool, next, doc) = (pool.clone(), next.clone(), doc.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<(), sqlx::Error>(());
                    }
                    let id = uuid::Uuid::now_v7().to_string();
                    let now = jiff::Timestamp::now().as_microsecond();
                    let mut tx = pool.begin().await?;
                    sqlx::query(INSERT_ORDER)
                        .bind(&id)
                        .bind(i as i64)
                        .bind(format!("X{i}"))
                        .bind(false)
                        .bind(now)
                        .bind(format!("{i}"))
                        .bind(doc.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_EVENT)
                        .bind(&id)
                        .bind(now)
                        .bind("{}")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_JOB)
                        .bind(format!("{{\"order_id\":\"{id}\"}}"))
                        .bind(now)
                        .bind(format!("order.receive:{id}"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
            }));
        }
        for t in tasks {
            t.await??;
        }
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
