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
