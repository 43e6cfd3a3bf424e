//! Loyalty points (ポイント, docs/points.md): what an order earns, and the ledger movements that
//! order actions produce. The store applies the movements inside the order's transaction as
//! conditional updates, so a customer's balance never goes negative (DOMAIN.md §4.6).

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::OrderId;
use crate::lifecycle::Effects;
use crate::order::Order;
use crate::status::OrderStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The kind of a ledger row. Credits: `grant`, `restore`, `adjust` with a positive amount;
/// debits: `use`, `revoke`, `expire`, `adjust` with a negative amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointsKind {
    Grant,
    Revoke,
    Use,
    Restore,
    Expire,
    Adjust,
}

impl PointsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PointsKind::Grant => "grant",
            PointsKind::Revoke => "revoke",
            PointsKind::Use => "use",
            PointsKind::Restore => "restore",
            PointsKind::Expire => "expire",
            PointsKind::Adjust => "adjust",
        }
    }

    pub fn parse(s: &str) -> Option<PointsKind> {
        Some(match s {
            "grant" => PointsKind::Grant,
            "revoke" => PointsKind::Revoke,
            "use" => PointsKind::Use,
            "restore" => PointsKind::Restore,
            "expire" => PointsKind::Expire,
            "adjust" => PointsKind::Adjust,
            _ => return None,
        })
    }
}

/// When points are granted (`points_grant_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointsGrantOn {
    /// When the whole order is delivered (着荷), plus `points_grant_delay_days`.
    #[default]
    Delivery,
    /// When the whole order has shipped (出荷), plus `points_grant_delay_days`.
    Shipment,
}

/// One movement of a customer's balance. `amount` is signed: positive credits, negative debits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsChange {
    pub customer_id: String,
    pub kind: PointsKind,
    pub amount: i64,
    pub order_id: Option<OrderId>,
    pub at: Timestamp,
    /// Grants only: when what is left of this grant expires.
    pub expires_at: Option<Timestamp>,
    /// Adjustments: the operator's reason.
    pub note: Option<String>,
}

/// The customer whose ledger an order uses: `customer.id`, when it has one. Orders without a
/// customer id earn nothing, and their `points_used` are taken as given (points of the sales
/// channel, not of this shop's ledger).
pub fn customer_of(order: &Order) -> Option<&str> {
    order
        .customer
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The points an order earns: ⌊rate% × (items still kept − points used)⌋, i.e. rounded down to
/// whole points. Items returned before the grant do not earn; nothing below zero.
pub fn earned(order: &Order, rate_percent: i64) -> i64 {
    if rate_percent <= 0 || order.status == OrderStatus::Cancelled {
        return 0;
    }
    let kept: i128 = order
        .lines
        .iter()
        .map(|l| i128::from(l.unit_price.minor()) * i128::from(l.quantity - l.returned_quantity))
        .sum();
    let base = (kept - i128::from(order.totals.points_used.minor())).max(0);
    i64::try_from(base * i128::from(rate_percent) / 100).unwrap_or(0)
}

impl PointsChange {
    /// A movement of `order`'s customer's balance, when the order has a customer id.
    pub fn for_order(order: &Order, kind: PointsKind, amount: i64, at: Timestamp) -> Option<Self> {
        let customer_id = customer_of(order)?.to_owned();
        (amount != 0).then_some(PointsChange {
            customer_id,
            kind,
            amount,
            order_id: Some(order.id),
            at,
            expires_at: None,
            note: None,
        })
    }
}

impl Order {
    /// Grants the points the order earned at `rate_percent` (once per order): `points.granted`
    /// and a ledger row, in the same change. Refused when the order has no customer id, was
    /// granted already, is not shipped / delivered / recognised, or earns nothing.
    pub fn grant_points(
        &mut self,
        rate_percent: i64,
        expires_at: Option<Timestamp>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let why = if customer_of(self).is_none() {
            Some("the order has no customer id".to_owned())
        } else if self.points.granted > 0 {
            Some("points were granted already".to_owned())
        } else if !matches!(
            self.status,
            OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Recognized
        ) {
            Some(format!("the order is {}", self.status))
        } else {
            None
        };
        let amount = earned(self, rate_percent);
        let why = why.or_else(|| (amount <= 0).then(|| "the order earns no points".to_owned()));
        if let Some(why) = why {
            return Err(DomainError::NotAllowed {
                action: "granting points",
                status: self.status,
                why,
            });
        }
        let mut fx = Effects::default();
        let mut change = PointsChange::for_order(self, PointsKind::Grant, amount, at);
        if let Some(c) = change.as_mut() {
            c.expires_at = expires_at;
        }
        fx.points.extend(change);
        self.points.granted = amount;
        fx.event(
            "points.granted",
            actor,
            at,
            serde_json::json!({"amount": amount, "customer_id": customer_of(self), "expires_at": expires_at}),
        );
        self.touch(at);
        Ok(fx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in [
            PointsKind::Grant,
            PointsKind::Revoke,
            PointsKind::Use,
            PointsKind::Restore,
            PointsKind::Expire,
            PointsKind::Adjust,
        ] {
            assert_eq!(PointsKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PointsKind::parse("gift"), None);
    }
}
