//! What the order list asks the store for: filters, a sort and a keyset cursor (the last row of the
//! previous page), so that any page costs the same at a million orders as the first.

use jiff::Timestamp;
use juchu_domain::payment::{PaymentMethod, PaymentStatus};
use juchu_domain::{HoldCode, OrderId, OrderStatus};

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<String>,
    /// Normalised search text (see `juchu_domain::order::normalize_search`).
    pub q: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub payment_status: Option<PaymentStatus>,
    pub hold: Option<HoldFilter>,
    /// Orders with stock allocated in, or a shipment from, this warehouse.
    pub warehouse: Option<String>,
    /// `ordered_at >= ordered_from`.
    pub ordered_from: Option<Timestamp>,
    /// `ordered_at < ordered_before`.
    pub ordered_before: Option<Timestamp>,
    pub sort: OrderSort,
    pub ascending: bool,
    /// Rows after this one in the sort order.
    pub after: Option<OrderCursor>,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldFilter {
    /// On hold for any reason.
    Any,
    /// Not on hold.
    None,
    /// On hold for this reason (among others).
    Code(HoldCode),
}

/// Sort keys of the order list; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    /// By id, i.e. by the time juchu took the order in (ids are time-ordered UUIDs).
    #[default]
    Created,
    OrderedAt,
    Number,
    Total,
}

impl OrderSort {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSort::Created => "created",
            OrderSort::OrderedAt => "ordered_at",
            OrderSort::Number => "number",
            OrderSort::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<OrderSort> {
        [
            OrderSort::Created,
            OrderSort::OrderedAt,
            OrderSort::Number,
            OrderSort::Total,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// The last row of a page: its sort key (microseconds for `ordered_at`, the number, the total in
/// yen; unused for `created`) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    pub key: i64,
    pub id: OrderId,
}
