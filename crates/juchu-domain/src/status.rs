//! The order status graph of DOMAIN.md §2 — the one place that says which moves are allowed.
//!
//! `received → unallocated → (partially_allocated ↔) allocated → shipping_instructed → shipped →
//! delivered → recognized`, and `cancelled` from any status before `shipped`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// 受注
    Received,
    /// 未引当
    Unallocated,
    /// 中途引当
    PartiallyAllocated,
    /// 引当済
    Allocated,
    /// 出荷指示済
    ShippingInstructed,
    /// 出荷済
    Shipped,
    /// 着荷済
    Delivered,
    /// 計上済
    Recognized,
    /// キャンセル
    Cancelled,
}

impl OrderStatus {
    /// Every status in flow order (cancelled last).
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Received,
        OrderStatus::Unallocated,
        OrderStatus::PartiallyAllocated,
        OrderStatus::Allocated,
        OrderStatus::ShippingInstructed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Recognized,
        OrderStatus::Cancelled,
    ];

    /// Whether the graph allows `self → to`. Exhaustive on purpose: a new status must be placed here.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        match self {
            Received => matches!(to, Unallocated | Cancelled),
            Unallocated => matches!(to, PartiallyAllocated | Allocated | Cancelled),
            PartiallyAllocated => matches!(to, Allocated | Unallocated | Cancelled),
            Allocated => matches!(
                to,
                ShippingInstructed | PartiallyAllocated | Unallocated | Cancelled
            ),
            ShippingInstructed => matches!(to, Shipped | Cancelled),
            Shipped => matches!(to, Delivered),
            Delivered => matches!(to, Recognized),
            Recognized => false,
            Cancelled => false,
        }
    }

    /// Flow rank: how far along the main flow a status is (cancelled has none).
    pub fn rank(self) -> Option<u8> {
        use OrderStatus::*;
        match self {
            Received => Some(0),
            Unallocated => Some(1),
            PartiallyAllocated => Some(2),
            Allocated => Some(3),
            ShippingInstructed => Some(4),
            Shipped => Some(5),
            Delivered => Some(6),
            Recognized => Some(7),
            Cancelled => None,
        }
    }

    /// `self` comes before `other` in the flow (cancelled is before nothing).
    pub fn is_before(self, other: OrderStatus) -> bool {
        match (self.rank(), other.rank()) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        }
    }

    /// Statuses in which an order waits for stock.
    pub fn awaits_allocation(self) -> bool {
        matches!(
            self,
            OrderStatus::Unallocated | OrderStatus::PartiallyAllocated
        )
    }

    pub fn as_str(self) -> &'static str {
        use OrderStatus::*;
        match self {
            Received => "received",
            Unallocated => "unallocated",
            PartiallyAllocated => "partially_allocated",
            Allocated => "allocated",
            ShippingInstructed => "shipping_instructed",
            Shipped => "shipped",
            Delivered => "delivered",
            Recognized => "recognized",
            Cancelled => "cancelled",
        }
    }

    /// The seed's Japanese name.
    pub fn label_ja(self) -> &'static str {
        use OrderStatus::*;
        match self {
            Received => "受注",
            Unallocated => "未引当",
            PartiallyAllocated => "中途引当",
            Allocated => "引当済",
            ShippingInstructed => "出荷指示済",
            Shipped => "出荷済",
            Delivered => "着荷済",
            Recognized => "計上済",
            Cancelled => "キャンセル",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn main_flow_is_allowed_step_by_step() {
        let flow = [
            Received,
            Unallocated,
            Allocated,
            ShippingInstructed,
            Shipped,
            Delivered,
            Recognized,
        ];
        for w in flow.windows(2) {
            assert!(w[0].can_become(w[1]), "{} → {}", w[0], w[1]);
            // Only a release of stock goes back (allocated → unallocated).
            if w[1] != Allocated {
                assert!(
                    !w[1].can_become(w[0]),
                    "{} → {} must be refused",
                    w[1],
                    w[0]
                );
            }
        }
        assert!(!Shipped.can_become(Allocated));
        assert!(!ShippingInstructed.can_become(Allocated));
    }

    #[test]
    fn cancel_only_before_shipped() {
        for s in OrderStatus::ALL {
            let expected = s.is_before(Shipped);
            assert_eq!(s.can_become(Cancelled), expected, "{s} → cancelled");
        }
    }

    #[test]
    fn terminal_statuses_go_nowhere() {
        for to in OrderStatus::ALL {
            assert!(!Recognized.can_become(to));
            assert!(!Cancelled.can_become(to));
        }
    }

    #[test]
    fn parses_its_own_names() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
        assert!("shipping".parse::<OrderStatus>().is_err());
    }
}
