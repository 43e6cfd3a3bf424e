use jiff::Timestamp;
use juchu_domain::stock::StockChange;
use juchu_domain::{BatchId, Event, Order, OrderId, Role, TaxRate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuRecord {
    pub code: String,
    pub name: String,
    pub tax_rate: TaxRate,
    pub supplier: Option<String>,
    pub drop_ship: bool,
    /// Days from sending a purchase order until the goods arrive.
    pub lead_time_days: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseRecord {
    pub code: String,
    pub name: String,
    pub priority: i32,
    pub prefectures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub warehouse: String,
    pub sku: String,
    pub on_hand: i64,
    pub allocated: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    pub id: i64,
    pub at: Timestamp,
    pub warehouse: String,
    pub sku: String,
    pub on_hand_delta: i64,
    pub allocated_delta: i64,
    pub reason: String,
    pub order_id: Option<OrderId>,
    /// The purchase order whose receipt this is.
    pub po_id: Option<juchu_domain::PurchaseOrderId>,
    pub actor: String,
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub seq: i64,
    pub order_id: OrderId,
    pub event: Event,
}

#[derive(Debug, Clone)]
pub struct BatchRecord {
    pub id: BatchId,
    pub warehouse: String,
    pub created_at: Timestamp,
}

/// A batch with how far along its shipments are (the console's list of files to download).
#[derive(Debug, Clone)]
pub struct BatchSummary {
    pub batch: BatchRecord,
    /// Shipments in the batch, cancelled ones not counted.
    pub shipments: i64,
    /// Of those, shipped or delivered.
    pub shipped: i64,
}

/// An order to write: a new one (`expected_version: None`) or a change to the stored one, which
/// must still have `expected_version`.
#[derive(Debug, Clone)]
pub struct OrderWrite {
    pub order: Order,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub available_at: Timestamp,
    /// At most one *pending* job per key: enqueueing a second is a no-op.
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Everything one command changes, applied atomically by [`crate::Store::commit`].
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    pub orders: Vec<OrderWrite>,
    /// Events, each tied to an order, written in the same transaction.
    pub events: Vec<(OrderId, Event)>,
    /// Stock changes, applied as conditional updates (never below zero, never allocated > on_hand);
    /// each is also a row in the stock ledger.
    pub stock: Vec<(Option<OrderId>, StockChange)>,
    /// Who made the stock changes (for the ledger).
    pub actor: String,
    pub jobs: Vec<NewJob>,
    pub batches: Vec<BatchRecord>,
    /// The job this change completes, with the worker that holds its lease.
    pub complete_job: Option<(i64, String)>,
    /// Purchase orders written and the stock they receive (see `crate::PurchasingChanges`).
    pub purchasing: crate::PurchasingChanges,
    /// Loyalty points movements: each is a ledger row, and debits are conditional updates that
    /// fail the whole commit with `InsufficientPoints` rather than take a balance below zero.
    pub points: Vec<juchu_domain::points::PointsChange>,
    /// A bank deposit stored in the same transaction as the order it pays, so it is never counted
    /// without being applied; a `dedupe_key` seen before fails the commit with `DuplicateDeposit`.
    pub deposit: Option<crate::DepositRecord>,
    /// The virtual account of an order that expects no more money (paid, or cancelled), freed at
    /// this time in the same transaction as the change that settled it: a crash in between cannot
    /// leave a cancelled order holding an account.
    pub release_account: Option<(OrderId, Timestamp)>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
            && self.events.is_empty()
            && self.stock.is_empty()
            && self.jobs.is_empty()
            && self.batches.is_empty()
            && self.complete_job.is_none()
            && self.purchasing.is_empty()
            && self.points.is_empty()
            && self.deposit.is_none()
            && self.release_account.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// The key is now reserved for this request.
    Reserved,
    /// A request with this key is still running.
    InProgress,
    /// A finished request with this key: same body hash or not, and its response.
    Done {
        hash: String,
        status: u16,
        body: Vec<u8>,
    },
}

/// One row of a customer's points ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsEntry {
    pub id: i64,
    pub customer_id: String,
    pub at: Timestamp,
    pub kind: juchu_domain::points::PointsKind,
    /// Signed: positive credits, negative debits.
    pub amount: i64,
    pub order_id: Option<OrderId>,
    pub expires_at: Option<Timestamp>,
    /// Grants, restorations and positive adjustments: what is left of them (debits take from the
    /// soonest-expiring first).
    pub remaining: i64,
    pub note: Option<String>,
}
