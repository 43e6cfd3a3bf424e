//! Shop policies (API.md "Defaults the sandbox and policies start with"). Every field has a default,
//! so a shop needs no configuration to start.

use crate::actor::Actor;
use crate::status::OrderStatus;
use crate::tax::Rounding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Policies {
    /// Rounding of consumption tax (once per rate per order).
    pub tax_rounding: Rounding,
    /// Customers (storefront keys) may cancel while the order is before this status.
    pub customer_cancel_before: OrderStatus,
    /// Operators may cancel while the order is before this status (never later than `shipped`).
    pub operator_cancel_before: OrderStatus,
    /// Days a bank transfer may take before the order is due.
    pub bank_transfer_due_days: i32,
    /// Whether stock is reserved for bank-transfer orders before they are paid (they never ship unpaid).
    pub allocate_before_payment: bool,
    /// `[bank]`: virtual-account pool, cool-off, reminder and webhook secret.
    pub bank: crate::bank::BankPolicy,
    /// What books a shipment's revenue: its delivery (着荷基準, default) or its shipment (出荷基準).
    pub recognition_on: crate::recognition::RecognitionOn,
    /// Revenue is recognised this many days after the trigger (0: at once).
    pub recognition_delay_days: i32,
    /// 月次締め: on this day of each month (1–28, 00:00 Asia/Tokyo) the previous month is closed
    /// with its summary; 0 turns the job off (months can still be closed over the API).
    pub month_close_day: i32,
    /// A shipment with no delivery event this many days after shipping is deemed delivered
    /// (みなし着荷); 0 turns it off.
    pub deemed_delivery_days: i32,
    /// Deferred payment: seconds between polls of a credit check that is still 審査中.
    pub deferred_poll_seconds: i32,
    /// 分納: instructing ships the allocated part of a partially allocated order, split off into
    /// its own order (the rest waits for stock); off, only fully allocated orders are instructed.
    pub partial_shipments: bool,
    /// 同梱: orders of the same customer to the same address, instructed together from the same
    /// warehouse, go in one parcel (cash-on-delivery orders never combine).
    pub combine_shipments: bool,
    /// Purchase orders for shortages: `immediate` (sent at once) or `batched` (collected per
    /// supplier in a draft and sent at `purchase_order_times`).
    pub purchase_orders: crate::purchasing::PurchaseOrderMode,
    /// Times of day (Asia/Tokyo, `"HH:MM"`) at which batched purchase orders are sent.
    #[schema(value_type = Vec<String>)]
    pub purchase_order_times: Vec<jiff::civil::Time>,
    /// The warehouse purchase orders deliver to; by default the first warehouse by priority.
    pub purchase_order_warehouse: Option<String>,
    /// Customers may modify while the order is before this status.
    pub customer_modify_before: OrderStatus,
    /// Operators may modify while the order is before this status (never after `shipping_instructed`).
    pub operator_modify_before: OrderStatus,
    /// When stock is short: `partial` reserves what exists, `all_or_nothing` waits until it can fill
    /// every line (DOMAIN.md §2.3).
    pub allocation: crate::allocation::AllocationMode,
    /// Order review rules (`[review]`); the initial value of the rules stored in the database.
    pub review: crate::review::ReviewRules,
    /// Points earned: this percent of the item total less the points used, rounded down.
    pub points_rate_percent: i64,
    /// Points are granted on `delivery` (default) or `shipment` of the whole order.
    pub points_grant_on: crate::points::PointsGrantOn,
    /// Points are granted this many days after the trigger (0: at once).
    pub points_grant_delay_days: i32,
    /// What is left of a grant expires this many days after it (0: never).
    pub points_expiry_days: i32,
    /// Signed webhooks (bank deposits, carrier events): a delivery whose `X-Juchu-Timestamp` is
    /// further than this many seconds from the server's clock is refused (docs/security.md).
    pub webhook_tolerance_secs: i64,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            tax_rounding: Rounding::Down,
            customer_cancel_before: OrderStatus::Allocated,
            operator_cancel_before: OrderStatus::Shipped,
            bank_transfer_due_days: 7,
            allocate_before_payment: true,
            bank: crate::bank::BankPolicy::default(),
            recognition_on: crate::recognition::RecognitionOn::Delivery,
            recognition_delay_days: 0,
            month_close_day: 5,
            deemed_delivery_days: 14,
            deferred_poll_seconds: 300,
            partial_shipments: false,
            combine_shipments: false,
            purchase_orders: crate::purchasing::PurchaseOrderMode::Immediate,
            purchase_order_times: vec![
                jiff::civil::time(10, 0, 0, 0),
                jiff::civil::time(15, 0, 0, 0),
            ],
            purchase_order_warehouse: None,
            customer_modify_before: OrderStatus::Allocated,
            operator_modify_before: OrderStatus::ShippingInstructed,
            allocation: crate::allocation::AllocationMode::Partial,
            review: crate::review::ReviewRules::default(),
            points_rate_percent: 1,
            points_grant_on: crate::points::PointsGrantOn::Delivery,
            points_grant_delay_days: 0,
            points_expiry_days: 0,
            webhook_tolerance_secs: 300,
        }
    }
}

impl Policies {
    /// The status before which `actor` may cancel.
    pub fn cancel_before(&self, actor: &Actor) -> OrderStatus {
        let limit = if actor.is_customer() {
            self.customer_cancel_before
        } else {
            self.operator_cancel_before
        };
        // Nobody cancels a shipped order: that is a return.
        if OrderStatus::Shipped.is_before(limit) {
            OrderStatus::Shipped
        } else {
            limit
        }
    }
}
