//! `Store` for PostgreSQL: each method delegates to the module that owns its SQL.

use crate::{MIGRATOR, PostgresStore};
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::{BatchId, Order, OrderId, OrderStatus, ShipmentId};
use juchu_store::*;

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))
    }
    fn backend(&self) -> &'static str {
        "postgres"
    }
    async fn put_sku(&self, sku: &SkuRecord) -> Result<bool> {
        self.put_sku_impl(sku).await
    }
    async fn get_skus(&self, codes: &[String]) -> Result<Vec<SkuRecord>> {
        self.get_skus_impl(codes).await
    }
    async fn list_skus(&self) -> Result<Vec<SkuRecord>> {
        self.list_skus_impl().await
    }
    async fn put_warehouse(&self, w: &WarehouseRecord) -> Result<bool> {
        self.put_warehouse_impl(w).await
    }
    async fn list_warehouses(&self) -> Result<Vec<WarehouseRecord>> {
        self.list_warehouses_impl().await
    }
    async fn stock_levels(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
    ) -> Result<Vec<StockLevel>> {
        self.stock_levels_impl(sku, warehouse).await
    }
    async fn stock_movements(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockMovement>> {
        self.stock_movements_impl(sku, warehouse, limit).await
    }
    async fn next_order_number(&self) -> Result<i64> {
        self.next_order_number_impl().await
    }
    async fn get_order(&self, id: OrderId) -> Result<Option<Order>> {
        self.get_order_impl(id).await
    }
    async fn order_by_external_id(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<OrderId>> {
        self.order_by_external_id_impl(channel, external_id).await
    }
    async fn order_by_shipment(&self, id: ShipmentId) -> Result<Option<OrderId>> {
        self.order_by_shipment_impl(id).await
    }
    async fn orders_by_tracking(&self, tracking: &str, limit: i64) -> Result<Vec<OrderId>> {
        self.orders_by_tracking_impl(tracking, limit).await
    }
    async fn shipments_by_status(
        &self,
        status: juchu_domain::shipment::ShipmentStatus,
        after: Option<ShipmentId>,
        limit: i64,
    ) -> Result<Vec<(ShipmentId, Order)>> {
        self.shipments_by_status_impl(status, after, limit).await
    }
    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>> {
        self.list_orders_impl(filter).await
    }
    async fn count_orders(&self) -> Result<Vec<(OrderStatus, i64)>> {
        self.count_orders_impl().await
    }
    async fn count_holds(&self) -> Result<Vec<(juchu_domain::HoldCode, i64)>> {
        self.count_holds_impl().await
    }
    async fn order_events(&self, id: OrderId) -> Result<Vec<EventRecord>> {
        self.order_events_impl(id).await
    }
    async fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<EventRecord>> {
        self.events_of_kinds_impl(kinds, from, to).await
    }
    async fn waiting_orders(&self, limit: i64) -> Result<Vec<OrderId>> {
        self.waiting_orders_impl(limit).await
    }
    async fn allocated_orders(
        &self,
        warehouse: Option<&str>,
        include_partial: bool,
        limit: i64,
    ) -> Result<Vec<OrderId>> {
        self.allocated_orders_impl(warehouse, include_partial, limit)
            .await
    }
    async fn batch(&self, id: BatchId) -> Result<Option<BatchRecord>> {
        self.batch_impl(id).await
    }
    async fn batch_orders(&self, id: BatchId) -> Result<Vec<Order>> {
        self.batch_orders_impl(id).await
    }
    async fn recent_batches(&self, limit: i64) -> Result<Vec<BatchSummary>> {
        self.recent_batches_impl(limit).await
    }
    async fn get_purchase_order(
        &self,
        id: juchu_domain::PurchaseOrderId,
    ) -> Result<Option<juchu_domain::purchasing::PurchaseOrder>> {
        self.get_purchase_order_impl(id).await
    }
    async fn list_purchase_orders(
        &self,
        filter: &PurchaseOrderFilter,
    ) -> Result<Vec<juchu_domain::purchasing::PurchaseOrder>> {
        self.list_purchase_orders_impl(filter).await
    }
    async fn purchasing_snapshot(&self) -> Result<PurchasingSnapshot> {
        self.purchasing_snapshot_impl().await
    }
    async fn commit(&self, change: ChangeSet) -> Result<()> {
        self.commit_impl(change).await
    }
    async fn claim_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Job>> {
        self.claim_jobs_impl(worker, now, lease_until, limit).await
    }
    async fn renew_jobs(&self, worker: &str, ids: &[i64], lease_until: Timestamp) -> Result<u64> {
        self.renew_jobs_impl(worker, ids, lease_until).await
    }
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        self.fail_job_impl(id, worker, error, retry_at).await
    }
    async fn job_counts(&self, now: Timestamp) -> Result<Vec<(String, i64)>> {
        self.job_counts_impl(now).await
    }
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        self.insert_api_key_impl(key).await
    }
    async fn api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>> {
        self.api_key_by_hash_impl(secret_hash).await
    }
    async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        hash: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<IdempotencyState> {
        self.idempotency_begin_impl(scope, key, hash, now, stale_before)
            .await
    }
    async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()> {
        self.idempotency_finish_impl(scope, key, status, body).await
    }
    async fn idempotency_abandon(&self, scope: &str, key: &str) -> Result<()> {
        self.idempotency_abandon_impl(scope, key).await
    }
    async fn idempotency_touch(&self, scope: &str, key: &str, now: Timestamp) -> Result<()> {
        self.idempotency_touch_impl(scope, key, now).await
    }
    async fn check_invariants(&self) -> Result<Vec<String>> {
        self.check_invariants_impl().await
    }
}
