//! Purchase orders (発注) and drop-shipping (直送), as pure rules: the purchase order and its status
//! flow, what a shortage orders (net of what open purchase orders already cover), when batched
//! purchase orders go out, and how a drop-ship part of an order becomes a purchase order.
//!
//! Status flow: `draft → sent → partially_received → received` for purchase orders delivered to a
//! warehouse; `draft → sent → shipped` for drop-ship ones (the supplier ships to the customer);
//! `cancelled` from `draft` or `sent` before anything arrived or shipped.

mod actions;
mod drop_ship;
mod schedule;
mod shortage;

pub use drop_ship::{DropShipSync, split_drop_ship, sync_drop_ship};
pub use schedule::{PurchaseOrderMode, jst_date, next_send_time};
pub use shortage::{ShortageLine, SkuSupply, shortages};

use crate::carrier::Carrier;
use crate::event::Event;
use crate::ids::{LineId, OrderId, PurchaseOrderId, ShipmentId};
use crate::order::Address;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Drop-ship allocations and shipments name the supplier as their warehouse: `supplier:<code>`.
/// No stock row exists for such a location; stock effects there are never applied.
pub const SUPPLIER_PREFIX: &str = "supplier:";

/// The location of a supplier shipping directly (`supplier:<code>`).
pub fn supplier_location(supplier: &str) -> String {
    format!("{SUPPLIER_PREFIX}{supplier}")
}

/// Whether `warehouse` is a supplier (drop-ship) location rather than a stocked warehouse.
pub fn is_supplier_location(warehouse: &str) -> bool {
    warehouse.starts_with(SUPPLIER_PREFIX)
}

/// The supplier code of a supplier location.
pub fn supplier_of(warehouse: &str) -> Option<&str> {
    warehouse.strip_prefix(SUPPLIER_PREFIX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    Draft,
    Sent,
    PartiallyReceived,
    Received,
    /// Drop-ship only: the supplier reported the shipment to the customer.
    Shipped,
    Cancelled,
}

impl PoStatus {
    pub const ALL: [PoStatus; 6] = [
        PoStatus::Draft,
        PoStatus::Sent,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
        PoStatus::Shipped,
        PoStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::Sent => "sent",
            PoStatus::PartiallyReceived => "partially_received",
            PoStatus::Received => "received",
            PoStatus::Shipped => "shipped",
            PoStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PoStatus> {
        PoStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still expecting goods (or, for drop-ship, a shipment).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PoStatus::Draft | PoStatus::Sent | PoStatus::PartiallyReceived
        )
    }
}

/// Why the purchase order exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoOrigin {
    /// Created by the shortage run for orders waiting for stock.
    Shortage,
    /// Created by an operator.
    Manual,
    /// The drop-ship part of one customer order.
    DropShip,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrder {
    pub id: PurchaseOrderId,
    pub supplier: String,
    /// Where the goods go: a warehouse code, or `supplier:<code>` for drop-ship.
    pub warehouse: String,
    pub status: PoStatus,
    pub origin: PoOrigin,
    pub drop_ship: bool,
    /// Drop-ship: the customer order, its number and its shipping address.
    pub order_id: Option<OrderId>,
    pub order_number: Option<i64>,
    pub ship_to: Option<Address>,
    /// Drop-ship: the order's shipment this purchase order fulfils (set when it is instructed).
    pub shipment_id: Option<ShipmentId>,
    pub carrier: Option<Carrier>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub lines: Vec<PoLine>,
    /// Incremented by every change.
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub shipped_at: Option<Timestamp>,
    /// Every change, oldest first, with who and when.
    pub history: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PoLine {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub received_quantity: i64,
    pub lead_time_days: Option<i32>,
    /// The day the goods are expected (Asia/Tokyo): the sending day plus the SKU's lead time.
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_date: Option<Date>,
    /// Drop-ship: the order line this line fulfils.
    pub line_id: Option<LineId>,
}

impl PoLine {
    pub fn outstanding(&self) -> i64 {
        (self.quantity - self.received_quantity).max(0)
    }
}

/// Why a purchase-order action was refused. Nothing changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the purchase order is {}: {why}", status.as_str())]
    NotAllowed { status: PoStatus, why: String },
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> PurchaseError {
    PurchaseError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The largest quantity one purchase-order line may carry.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
