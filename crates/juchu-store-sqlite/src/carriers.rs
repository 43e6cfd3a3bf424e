//! Carrier delivery events (port: `juchu_store::CarrierStore`).

use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use juchu_store::codec::micros;
use juchu_store::{CarrierEventRecord, CarrierStore, Result};

#[async_trait]
impl CarrierStore for SqliteStore {
    async fn carrier_event_seen(&self, carrier: &str, event_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM carrier_events WHERE carrier = ? AND event_id = ?",
        )
        .bind(carrier)
        .bind(event_id)
        .fetch_one(&self.read)
        .await
        .map_err(db_err)?;
        Ok(n > 0)
    }

    async fn record_carrier_event(&self, e: &CarrierEventRecord) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO carrier_events
                 (carrier, event_id, tracking_number, status, event_at, received_at, outcome)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (carrier, event_id) DO NOTHING",
        )
        .bind(&e.carrier)
        .bind(&e.event_id)
        .bind(&e.tracking_number)
        .bind(&e.status)
        .bind(micros(e.at))
        .bind(micros(e.received_at))
        .bind(&e.outcome)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }
}
