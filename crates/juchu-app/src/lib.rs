//! Use cases of juchu: one transaction each, through the storage ports. Also the worker that runs
//! the automatic steps of the flow (DOMAIN.md §2) from the job table.

pub(crate) mod accounting;
mod allocation;
mod audit;
mod bank;
mod cancel;
mod carriers;
mod clock;
mod drop_ship;
mod error;
mod export;
mod instruct;
mod keys;
mod lanes;
pub mod mail;
mod master;
mod master_cache;
mod modify;
mod order_list;
mod orders;
mod payments;
mod payouts;
mod po_export;
mod points;
mod provider_payments;
mod purchasing;
mod replenish;
mod returns;
pub mod review;
mod shipping;
mod split;
mod statement_rows;
mod users;
mod worker;
/// Moved to juchu-formats with the other file formats (and so that it can be fuzzed alone).
pub use juchu_formats::zengin_read as zengin;
/// Moved to juchu-formats so the sandbox bank can write statements without depending on the app.
pub use juchu_formats::zengin_write;

pub use accounting::{
    JournalFormat, JournalSummary, MonthCloseView, RateSummary, month_range, parse_date,
};
pub use audit::{AuditPage, AuditQuery};
pub use bank::{DepositResult, NewDeposit, StatementImport};
pub use cancel::{ShipmentQuery, ShipmentView};
pub use carriers::{
    CarrierEvent, DeliveryStatus, EventOutcome, ImportSummary, ImportedRow, RowResult,
    TrackingImport, shipment_key,
};
pub use clock::{Clock, FakeClock, SystemClock};
pub use error::AppError;
pub use export::{ExportFormat, export_batch};
pub use juchu_store::{HoldFilter, OrderSort};
pub use keys::{NewApiKey, hash_secret};
pub use master::{NewSku, NewWarehouse, StockAdjustment};
pub use order_list::{OrderListParams, OrderQuery};
pub use payouts::{PayoutAccount, PayoutView};
pub use po_export::{PO_HEADER_COLUMNS, PO_LINE_COLUMNS, PoExportFormat, export_purchase_order};
pub use points::{CustomerPoints, PointsEntryView};
pub use purchasing::{NewPurchaseOrder, PoLineRequest, PurchaseOrderQuery};
pub use shipping::{InstructedBatch, InstructionResult, SkippedOrder};
pub use statement_rows::{StatementOutcome, StatementRow};
pub use users::{LiveSession, MIN_PASSWORD_CHARS, NewSession, UserView};
pub use worker::{Worker, WorkerOptions, WorkerStats};

use juchu_domain::policy::Policies;
use juchu_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

/// Everything a use case needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub policies: Arc<Policies>,
    /// Shipper and carrier account codes for label files (`[carriers]` in the config file).
    pub carriers: Arc<juchu_formats::CarrierConfig>,
    /// Account names and tax categories of the journal files (`[accounting]` in the config file).
    pub accounting: Arc<juchu_formats::AccountingConfig>,
    /// Payment providers over HTTP (`[providers]`); none: the in-process rules of `payments.rs`.
    pub providers: Option<Arc<juchu_providers::Providers>>,
    /// Wakes the in-process worker when new jobs are enqueued.
    pub jobs_ready: Arc<Notify>,
    /// Customer e-mails (`[shop]`, `[mail]`); not configured by default (mail jobs are skipped).
    pub mailer: Arc<mail::Mailer>,
    /// Audit entries waiting for the audit writer.
    pub(crate) audit: Arc<audit::AuditQueue>,
    /// Master data the receipt reads for every order, kept for a second (`master_cache.rs`).
    pub(crate) master: Arc<master_cache::MasterCache>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, policies: Policies) -> Self {
        App {
            store,
            clock,
            policies: Arc::new(policies),
            carriers: Arc::default(),
            accounting: Arc::default(),
            providers: None,
            jobs_ready: Arc::new(Notify::new()),
            mailer: Arc::default(),
            audit: Arc::default(),
            master: Arc::default(),
        }
    }

    pub fn with_providers(mut self, providers: juchu_providers::Providers) -> Self {
        self.providers = Some(Arc::new(providers));
        self
    }

    pub fn with_accounting(mut self, accounting: juchu_formats::AccountingConfig) -> Self {
        self.accounting = Arc::new(accounting);
        self
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
