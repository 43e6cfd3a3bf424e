//! Shipments: one parcel from one warehouse (配送分割 makes several per order).

use crate::carrier::Carrier;
use crate::ids::{BatchId, LineId, ShipmentId};
use crate::money::Money;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Pending,
    Instructed,
    /// After instruction the order's cancellation is a request: the warehouse confirms (the
    /// shipment is `cancelled`, the order cancelled) or refuses (back to `instructed`).
    CancelRequested,
    Shipped,
    Delivered,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Shipment {
    pub id: ShipmentId,
    pub warehouse: String,
    pub batch_id: Option<BatchId>,
    pub status: ShipmentStatus,
    pub carrier: Option<Carrier>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The part of the order's total this shipment carries (what is captured when it ships).
    pub amount: Money,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub instructed_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub shipped_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    pub lines: Vec<ShipmentLine>,
    /// 同梱: this shipment travels inside another order's parcel (that shipment's id); it ships
    /// and is delivered with it, under its tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_into: Option<ShipmentId>,
    /// 同梱: the shipments of other orders packed into this parcel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub combined_with: Vec<ShipmentId>,
    /// The cancellation the warehouse is asked to confirm or refuse (status `cancel_requested`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_request: Option<crate::cancel::CancelRequest>,
    /// 計上: when this shipment's revenue was booked (its `revenue.recognized` event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revenue_recognized_at: Option<Timestamp>,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 6] = [
        ShipmentStatus::Pending,
        ShipmentStatus::Instructed,
        ShipmentStatus::CancelRequested,
        ShipmentStatus::Shipped,
        ShipmentStatus::Delivered,
        ShipmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Pending => "pending",
            ShipmentStatus::Instructed => "instructed",
            ShipmentStatus::CancelRequested => "cancel_requested",
            ShipmentStatus::Shipped => "shipped",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ShipmentStatus> {
        ShipmentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Not yet shipped and not cancelled: the warehouse still has it to pick, pack or stop.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ShipmentStatus::Pending | ShipmentStatus::Instructed | ShipmentStatus::CancelRequested
        )
    }
}

impl Shipment {
    /// The parcel this shipment goes in: its own, or the one it is packed into.
    pub fn parcel(&self) -> ShipmentId {
        self.combined_into.unwrap_or(self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShipmentLine {
    pub line_id: LineId,
    pub sku: String,
    pub quantity: i64,
}
