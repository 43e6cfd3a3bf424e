//! The order and its parts, in the shape of the public API (API.md "The order JSON").

use crate::ids::{LineId, OrderId};
use crate::money::{Currency, Money};
use crate::payment::Payment;
use crate::shipment::Shipment;
use crate::status::OrderStatus;
use crate::tax::{TaxLine, TaxRate};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    /// Human order number, unique and increasing.
    pub number: i64,
    pub channel: String,
    pub external_id: String,
    pub status: OrderStatus,
    /// Incremented by every change; send it back in `If-Match`.
    pub version: i64,
    pub parent_id: Option<OrderId>,
    #[schema(value_type = String, format = DateTime)]
    pub ordered_at: Timestamp,
    pub currency: Currency,
    /// Operator-set priority for allocation (lower first; default 0).
    pub priority: i32,
    pub holds: Vec<Hold>,
    pub customer: Customer,
    pub shipping_address: Address,
    pub billing_address: Option<Address>,
    pub delivery: Option<Delivery>,
    pub notes: Option<String>,
    pub lines: Vec<Line>,
    pub fees: Vec<Fee>,
    pub totals: Totals,
    pub payment: Payment,
    pub allocations: Vec<Allocation>,
    pub shipments: Vec<Shipment>,
    pub points: Points,
    /// Returns (返品) of shipped goods, in the order they were requested.
    #[serde(default)]
    pub returns: Vec<crate::returns::Return>,
    /// A cancellation asked for after shipping instruction, waiting for the warehouse to confirm
    /// or refuse it (`null` when none is pending).
    #[serde(default)]
    pub cancel_request: Option<crate::cancel::CancelRequest>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: Option<String>,
    pub name: String,
    pub kana: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    /// Language of the customer's e-mails: `ja` (default) or `en`.
    #[serde(default = "default_locale")]
    pub locale: String,
}

/// The locale of a customer who did not say: Japanese.
pub fn default_locale() -> String {
    "ja".to_owned()
}

/// Locales juchu writes e-mails in.
pub const LOCALES: [&str; 2] = ["ja", "en"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub name: String,
    /// Seven digits, without the hyphen.
    pub postal_code: String,
    pub prefecture: String,
    pub city: String,
    pub line1: String,
    pub line2: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct Delivery {
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<Date>,
    /// Carrier time-slot code, e.g. `0812`, `1416`, `1921`.
    pub time_slot: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Line {
    pub id: LineId,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    /// Tax-inclusive unit price.
    pub unit_price: Money,
    pub tax_rate: TaxRate,
    pub allocated_quantity: i64,
    pub shipped_quantity: i64,
    pub returned_quantity: i64,
}

impl Line {
    /// Tax-inclusive amount of the line.
    pub fn amount(&self) -> Money {
        self.unit_price
            .checked_mul(self.quantity)
            .unwrap_or(Money::ZERO)
    }

    /// Quantity still waiting for stock.
    pub fn unallocated_quantity(&self) -> i64 {
        self.quantity - self.allocated_quantity - self.shipped_quantity
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Fee {
    /// e.g. `cod` (代引手数料), `gift_wrap`.
    pub kind: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct Totals {
    /// Σ quantity × unit_price (tax-inclusive).
    pub items: Money,
    pub shipping_fee: Money,
    /// Σ fees.
    pub fees: Money,
    pub discount: Money,
    pub points_used: Money,
    /// items + shipping_fee + fees − discount − points_used.
    pub total: Money,
    /// Consumption tax per rate, computed once per rate for the order.
    pub tax: Vec<TaxLine>,
}

/// Stock of one warehouse reserved for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    pub line_id: LineId,
    pub sku: String,
    pub warehouse: String,
    pub quantity: i64,
    /// Why this warehouse was chosen.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct Points {
    pub granted: i64,
    pub revoked: i64,
}

/// A reason the order may not move on by itself until an operator releases it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hold {
    pub code: HoldCode,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub placed_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldCode {
    /// 備考: the customer wrote notes that someone must read.
    Notes,
    /// 離島: the address is in a remote area.
    RemoteArea,
    /// A blacklist match.
    Blacklist,
    /// A total at or above the review threshold.
    HighAmount,
    /// The card or credit check was declined.
    PaymentDeclined,
    /// The fraud screening flagged the payment.
    FraudReview,
    /// Placed by an operator.
    Manual,
    /// The carrier could not deliver (不在持戻り, address unknown…): an operator contacts the customer.
    DeliveryFailed,
    /// The parcel came back to the shop (返送): an operator decides on re-shipping or a return.
    ReturnedToSender,
    /// A review rule saw a suspicious pattern (first order with a high amount, many units, …).
    Suspicious,
    /// The address does not match its postal code (postal data).
    AddressMismatch,
    /// The requested delivery date is too soon or too far.
    DeliveryDate,
    /// Bank transfer: the deposits do not add up to the total (under- or over-payment).
    PaymentMismatch,
    /// Deferred payment: the credit check has no result yet (審査中); released when it approves.
    PaymentPending,
}

impl HoldCode {
    pub const ALL: [HoldCode; 14] = [
        HoldCode::Notes,
        HoldCode::RemoteArea,
        HoldCode::Blacklist,
        HoldCode::HighAmount,
        HoldCode::PaymentDeclined,
        HoldCode::FraudReview,
        HoldCode::Manual,
        HoldCode::DeliveryFailed,
        HoldCode::ReturnedToSender,
        HoldCode::Suspicious,
        HoldCode::AddressMismatch,
        HoldCode::DeliveryDate,
        HoldCode::PaymentMismatch,
        HoldCode::PaymentPending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldCode::Notes => "notes",
            HoldCode::RemoteArea => "remote_area",
            HoldCode::Blacklist => "blacklist",
            HoldCode::HighAmount => "high_amount",
            HoldCode::PaymentDeclined => "payment_declined",
            HoldCode::FraudReview => "fraud_review",
            HoldCode::Manual => "manual",
            HoldCode::DeliveryFailed => "delivery_failed",
            HoldCode::ReturnedToSender => "returned_to_sender",
            HoldCode::PaymentMismatch => "payment_mismatch",
            HoldCode::PaymentPending => "payment_pending",
            HoldCode::Suspicious => "suspicious",
            HoldCode::AddressMismatch => "address_mismatch",
            HoldCode::DeliveryDate => "delivery_date",
        }
    }

    pub fn parse(s: &str) -> Option<HoldCode> {
        HoldCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl Order {
    pub fn line(&self, id: LineId) -> Option<&Line> {
        self.lines.iter().find(|l| l.id == id)
    }

    /// The status the lines' allocations put an order in while it waits for or holds stock
    /// (split and modification recompute it).
    pub fn allocation_status(&self) -> OrderStatus {
        if self.lines.iter().all(|l| l.unallocated_quantity() == 0) {
            OrderStatus::Allocated
        } else if self.lines.iter().any(|l| l.allocated_quantity > 0) {
            OrderStatus::PartiallyAllocated
        } else {
            OrderStatus::Unallocated
        }
    }

    pub fn has_holds(&self) -> bool {
        !self.holds.is_empty()
    }

    /// Lower-cased text that `q` searches: number, external id, names, kana, e-mail, phones, tracking numbers.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> =
            vec![&self.external_id, &self.customer.name, &self.customer.email];
        parts.extend(self.customer.kana.as_deref());
        parts.extend(self.customer.phone.as_deref());
        parts.push(&self.shipping_address.name);
        parts.extend(self.shipping_address.phone.as_deref());
        parts.extend(
            self.shipments
                .iter()
                .filter_map(|s| s.tracking_number.as_deref()),
        );
        let mut text = self.number.to_string();
        for p in parts {
            text.push('\u{1f}');
            text.push_str(&normalize_search(p));
        }
        text
    }
}

/// Normalisation shared by stored search text and queries: lower case, no hyphens or spaces.
pub fn normalize_search(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | ' ' | '　' | 'ー' | '－'))
        .flat_map(char::to_lowercase)
        .collect()
}
