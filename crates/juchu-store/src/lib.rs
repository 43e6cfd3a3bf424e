//! Storage ports. Every backend (SQLite, PostgreSQL) implements [`Store`] and must pass the same
//! conformance suite (`juchu-testkit`). No SQL here.

mod accounting;
mod audit;
pub mod bank;
mod carriers;
pub mod codec;
mod error;
mod order_filter;
mod points;
mod purchasing;
mod records;
mod review;
mod users;

pub use accounting::{AccountingStore, MonthClose};
pub use audit::{AuditFilter, AuditRecord, AuditStore};
pub use bank::{AccountPool, BankStore, DepositRecord};
pub use carriers::{CarrierEventRecord, CarrierStore};
pub use error::StoreError;
pub use order_filter::{HoldFilter, OrderCursor, OrderFilter, OrderSort};
pub use points::PointsStore;
pub use purchasing::*;
pub use records::*;
pub use review::{BlacklistRecord, ReviewStore};
pub use users::{SessionRecord, UserRecord, UserStore};

use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::{Order, OrderId, OrderStatus, ShipmentId};

pub type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
pub trait Store:
    CarrierStore
    + BankStore
    + ReviewStore
    + PointsStore
    + AccountingStore
    + UserStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
    /// Applies the migrations of this backend.
    async fn migrate(&self) -> Result<()>;
    /// A short name for logs and benchmarks: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    // Master data.
    /// Inserts or replaces a SKU; `true` when it was created.
    async fn put_sku(&self, sku: &SkuRecord) -> Result<bool>;
    async fn get_skus(&self, codes: &[String]) -> Result<Vec<SkuRecord>>;
    async fn list_skus(&self) -> Result<Vec<SkuRecord>>;
    /// Inserts or replaces a warehouse; `true` when it was created.
    async fn put_warehouse(&self, w: &WarehouseRecord) -> Result<bool>;
    async fn list_warehouses(&self) -> Result<Vec<WarehouseRecord>>;
    async fn stock_levels(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
    ) -> Result<Vec<StockLevel>>;
    async fn stock_movements(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockMovement>>;

    // Orders.
    /// The next order number (may leave gaps when a creation fails).
    async fn next_order_number(&self) -> Result<i64>;
    async fn get_order(&self, id: OrderId) -> Result<Option<Order>>;
    async fn order_by_external_id(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<OrderId>>;
    async fn order_by_shipment(&self, id: ShipmentId) -> Result<Option<OrderId>>;
    /// The orders with a shipment of this tracking number (at most `limit`; 同梱 parcels share one).
    async fn orders_by_tracking(&self, tracking: &str, limit: i64) -> Result<Vec<OrderId>>;
    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>>;
    async fn count_orders(&self) -> Result<Vec<(OrderStatus, i64)>>;
    /// Orders on hold (not cancelled) per hold reason; an order with two reasons counts in both.
    async fn count_holds(&self) -> Result<Vec<(juchu_domain::HoldCode, i64)>>;
    async fn order_events(&self, id: OrderId) -> Result<Vec<EventRecord>>;
    /// Events of these kinds with `from <= at < to`, across all orders, in commit order (the
    /// accounting journal reads its entries this way).
    async fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<EventRecord>>;
    /// Orders waiting for stock with no holds, first come first served (priority, then ordered_at).
    async fn waiting_orders(&self, limit: i64) -> Result<Vec<OrderId>>;
    /// Allocated, hold-free orders, optionally only those with stock in one warehouse.
    /// Hold-free orders ready to instruct, by priority and age: `allocated` ones, and with
    /// `include_partial` also `partially_allocated` ones (分納).
    async fn allocated_orders(
        &self,
        warehouse: Option<&str>,
        include_partial: bool,
        limit: i64,
    ) -> Result<Vec<OrderId>>;
    /// Shipments in `status` with their orders, oldest shipment first, those after shipment
    /// `after` (the last one of the previous page), at most `limit`.
    async fn shipments_by_status(
        &self,
        status: juchu_domain::shipment::ShipmentStatus,
        after: Option<ShipmentId>,
        limit: i64,
    ) -> Result<Vec<(ShipmentId, Order)>>;
    async fn batch(&self, id: juchu_domain::BatchId) -> Result<Option<BatchRecord>>;
    /// Orders with a shipment in a batch.
    async fn batch_orders(&self, id: juchu_domain::BatchId) -> Result<Vec<Order>>;
    /// The newest batches first (batch ids are time-ordered), at most `limit`.
    async fn recent_batches(&self, limit: i64) -> Result<Vec<BatchSummary>>;

    // Purchase orders (発注).
    async fn get_purchase_order(
        &self,
        id: juchu_domain::PurchaseOrderId,
    ) -> Result<Option<juchu_domain::purchasing::PurchaseOrder>>;
    /// Newest first.
    async fn list_purchase_orders(
        &self,
        filter: &PurchaseOrderFilter,
    ) -> Result<Vec<juchu_domain::purchasing::PurchaseOrder>>;
    /// Waiting orders, stock and open purchase orders read in one snapshot, with the purchasing version.
    async fn purchasing_snapshot(&self) -> Result<PurchasingSnapshot>;

    /// Applies a change set in one transaction: all of it or nothing.
    async fn commit(&self, change: ChangeSet) -> Result<()>;

    // Jobs (outbox).
    /// Claims up to `limit` due jobs for `worker` with a lease until `lease_until`.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Job>>;
    /// Extends to `lease_until` the leases `worker` holds on the jobs `ids` it is still running;
    /// returns how many it still held (a job completed or taken over is left alone).
    async fn renew_jobs(&self, worker: &str, ids: &[i64], lease_until: Timestamp) -> Result<u64>;
    /// Records a failure: retry at `retry_at`, or dead-letter when `None`.
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;
    /// Jobs per status: `pending` (due), `scheduled` (pending, due later), `running`, `dead`.
    async fn job_counts(&self, now: Timestamp) -> Result<Vec<(String, i64)>>;

    // API keys.
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()>;
    async fn api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>>;

    // Idempotency.
    /// Reserves `(scope, key)` for a request with body hash `hash`, or reports what is already there.
    async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        hash: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<IdempotencyState>;
    async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()>;
    async fn idempotency_abandon(&self, scope: &str, key: &str) -> Result<()>;
    /// A sign of life of the request that reserved `(scope, key)`: its reservation counts from
    /// `now`, so only the reservations of requests that died go stale.
    async fn idempotency_touch(&self, scope: &str, key: &str, now: Timestamp) -> Result<()>;

    /// Checks DOMAIN.md §4.1–4.2 against the stored data; empty when all is well.
    async fn check_invariants(&self) -> Result<Vec<String>>;
}
