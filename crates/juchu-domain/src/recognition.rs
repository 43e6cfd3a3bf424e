//! 計上 per shipment (DOMAIN.md §2.8): each shipment's revenue is recognised on the policy's
//! trigger — its delivery (着荷基準) or its shipment (出荷基準), optionally N days later — with a
//! journal entry of its own; the order is `recognized` once it is delivered and every live
//! shipment's revenue is booked.
//!
//! The entries of an order add up exactly to its totals: a shipment booked while others are still
//! open carries its goods per tax rate (tax computed once per rate on them); the last one booked
//! carries the rest of the order — its remaining goods, shipping and fees, points used — so the
//! order's own tax per rate is what the entries add up to.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::ShipmentId;
use crate::journal::{AccountKind, EntryRef, JournalEntry, Side, sale_entry, shipment_entry};
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::Order;
use crate::shipment::{Shipment, ShipmentStatus};
use crate::status::OrderStatus;
use crate::tax::{Rounding, TaxRate};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// What triggers revenue recognition of a shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecognitionOn {
    /// 着荷基準: when the shipment is delivered.
    #[default]
    Delivery,
    /// 出荷基準: when the shipment leaves the warehouse.
    Shipment,
}

impl Order {
    fn goods_by_rate(&self, s: &Shipment) -> Vec<(TaxRate, Money)> {
        let mut out: Vec<(TaxRate, Money)> = Vec::new();
        for sl in &s.lines {
            let Some(l) = self.lines.iter().find(|l| l.id == sl.line_id) else {
                continue;
            };
            let amount = l.unit_price.checked_mul(sl.quantity).unwrap_or(Money::ZERO);
            match out.iter_mut().find(|(r, _)| *r == l.tax_rate) {
                Some((_, a)) => *a += amount,
                None => out.push((l.tax_rate, amount)),
            }
        }
        out
    }

    /// Books one shipment's revenue. Nothing happens for a shipment booked already (a repeated
    /// job). The order becomes `recognized` when it is delivered and this was the last one.
    pub fn recognize_shipment(
        &mut self,
        id: ShipmentId,
        rounding: Rounding,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let mut fx = Effects::default();
        if self.book_shipment(id, rounding, &mut fx, actor, at)? {
            self.finish_recognition(&mut fx, actor, at)?;
            self.touch(at);
        }
        Ok(fx)
    }

    /// Books one shipment's entry into `fx`; `false` when it was booked already.
    pub(crate) fn book_shipment(
        &mut self,
        id: ShipmentId,
        rounding: Rounding,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<bool, DomainError> {
        let Some(idx) = self.shipments.iter().position(|s| s.id == id) else {
            return Err(DomainError::NotFound(format!("shipment {id}")));
        };
        let s = &self.shipments[idx];
        if s.revenue_recognized_at.is_some() {
            return Ok(false);
        }
        if !matches!(
            s.status,
            ShipmentStatus::Shipped | ShipmentStatus::Delivered
        ) {
            return Err(DomainError::NotAllowed {
                action: "recognising a shipment's revenue",
                status: self.status,
                why: format!("shipment {id} is {}", s.status.as_str()),
            });
        }
        let head = EntryRef::of(self);
        let last = self
            .live_shipments()
            .all(|x| x.id == id || x.revenue_recognized_at.is_some());
        let entry = if last {
            let booked: Vec<JournalEntry> = self
                .live_shipments()
                .filter(|x| x.id != id)
                .map(|x| shipment_entry(&head, &self.goods_by_rate(x), rounding, at))
                .collect();
            remainder(sale_entry(&head, &self.totals, at), &booked)
        } else {
            shipment_entry(&head, &self.goods_by_rate(s), rounding, at)
        };
        self.shipments[idx].revenue_recognized_at = Some(at);
        fx.event(
            "revenue.recognized",
            actor,
            at,
            json!({"shipment_id": id, "journal": entry}),
        );
        Ok(true)
    }

    /// The order is recognised once delivered with every live shipment's revenue booked.
    pub(crate) fn finish_recognition(
        &mut self,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), DomainError> {
        if self.status == OrderStatus::Delivered
            && self
                .live_shipments()
                .all(|x| x.revenue_recognized_at.is_some())
        {
            fx.event(
                "order.recognized",
                actor,
                at,
                json!({"total": self.totals.total, "tax": self.totals.tax}),
            );
            self.transition(OrderStatus::Recognized, fx, actor, at)?;
        }
        Ok(())
    }

    /// Whether every live shipment's revenue is booked.
    pub fn all_revenue_recognized(&self) -> bool {
        self.live_shipments()
            .all(|x| x.revenue_recognized_at.is_some())
    }
}

/// The whole order's entry less what earlier shipments booked (per rate, and the receivable).
fn remainder(mut whole: JournalEntry, booked: &[JournalEntry]) -> JournalEntry {
    for b in booked {
        for bl in &b.lines {
            let target = whole
                .lines
                .iter_mut()
                .find(|l| l.side == bl.side && l.account == bl.account && l.rate == bl.rate);
            if let Some(t) = target {
                t.amount -= bl.amount;
                t.tax -= bl.tax;
            }
        }
    }
    whole.lines.retain(|l| {
        l.amount != Money::ZERO || l.account == AccountKind::Receivable && l.side == Side::Debit
    });
    whole
}
