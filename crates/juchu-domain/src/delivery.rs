//! Delivery records beyond the carrier's event: deemed delivery N days after shipping without an
//! event (policy), and an operator's correction of a wrong delivery record, with a reason.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::ShipmentId;
use crate::lifecycle::Effects;
use crate::order::Order;
use crate::payment::{PaymentMethod, PaymentStatus};
use crate::shipment::ShipmentStatus;
use crate::status::OrderStatus;
use jiff::Timestamp;
use serde_json::json;

/// What an operator says about a delivery record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryCorrection {
    /// The parcel arrived at this time (records a missing delivery, or moves a wrong date).
    DeliveredAt(Timestamp),
    /// The parcel has not arrived after all: the shipment goes back to `shipped`.
    NotDelivered,
}

impl Order {
    /// The policy's deemed delivery: a shipment still `shipped` `days` after shipping is recorded as
    /// delivered now. Refused (so the job ends quietly) once the carrier or an operator has spoken.
    pub fn deem_delivered(
        &mut self,
        id: ShipmentId,
        days: i32,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        if self.shipments[idx].status != ShipmentStatus::Shipped {
            return Err(self.refuse(
                OrderStatus::Delivered,
                format!("shipment {id} is no longer waiting for delivery"),
            ));
        }
        let mut fx = self.deliver(id, at, actor, at)?;
        fx.event(
            "shipment.deemed_delivered",
            actor,
            at,
            json!({"shipment_id": id, "days_after_shipping": days}),
        );
        Ok(fx)
    }

    /// An operator corrects a delivery record. Refused once revenue is recognised (that needs a
    /// reversal entry, not a correction) and for shipments that have not shipped.
    pub fn correct_delivery(
        &mut self,
        id: ShipmentId,
        correction: DeliveryCorrection,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        let shipment = &self.shipments[idx];
        let before = json!({"status": shipment.status, "delivered_at": shipment.delivered_at});
        if self.status == OrderStatus::Recognized || shipment.revenue_recognized_at.is_some() {
            return Err(DomainError::NotAllowed {
                action: "correcting a delivery",
                status: self.status,
                why: "this shipment's revenue is already recognised; record a return or a reversal instead".into(),
            });
        }
        if let DeliveryCorrection::DeliveredAt(when) = correction {
            if when > at {
                return Err(DomainError::invalid(
                    "delivered_at",
                    format!("{when} is in the future"),
                ));
            }
            if shipment.shipped_at.is_some_and(|shipped| when < shipped) {
                return Err(DomainError::invalid(
                    "delivered_at",
                    format!("{when} is before the shipment shipped"),
                ));
            }
        }
        let mut fx = match (shipment.status, correction.clone()) {
            (ShipmentStatus::Shipped, DeliveryCorrection::DeliveredAt(when)) => {
                self.deliver(id, when, actor, at)?
            }
            (ShipmentStatus::Delivered, DeliveryCorrection::DeliveredAt(when)) => {
                self.shipments[idx].delivered_at = Some(when);
                self.touch(at);
                Effects::default()
            }
            (ShipmentStatus::Delivered, DeliveryCorrection::NotDelivered) => {
                self.undeliver(idx, actor, at)
            }
            (status, _) => {
                return Err(DomainError::NotAllowed {
                    action: "correcting a delivery",
                    status: self.status,
                    why: format!(
                        "shipment {id} is {}; only a shipped or delivered shipment has a delivery to correct",
                        serde_json::to_value(status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    ),
                });
            }
        };
        let s = &self.shipments[idx];
        fx.event(
            "shipment.delivery_corrected",
            actor,
            at,
            json!({
                "shipment_id": id,
                "reason": reason,
                "before": before,
                "after": {"status": s.status, "delivered_at": s.delivered_at},
            }),
        );
        Ok(fx)
    }

    /// Back to `shipped`: the delivery was recorded by mistake. Money collected on delivery (COD)
    /// is taken back out, and a delivered order returns to `shipped`.
    fn undeliver(&mut self, idx: usize, actor: &Actor, at: Timestamp) -> Effects {
        let mut fx = Effects::default();
        let s = &mut self.shipments[idx];
        s.status = ShipmentStatus::Shipped;
        s.delivered_at = None;
        let amount = s.amount;
        if self.payment.method == PaymentMethod::Cod {
            self.payment.captured_amount -= amount;
            if self.payment.captured_amount.minor() <= 0 {
                self.payment.status = PaymentStatus::OnDelivery;
            }
            fx.event(
                "payment.collection_reversed",
                actor,
                at,
                json!({"amount": amount}),
            );
        }
        if self.status == OrderStatus::Delivered {
            // Not a step of the flow: a correction of a wrong record, so it bypasses the graph.
            fx.event(
                "order.status_changed",
                actor,
                at,
                json!({"from": OrderStatus::Delivered, "to": OrderStatus::Shipped, "correction": true}),
            );
            self.status = OrderStatus::Shipped;
        }
        self.touch(at);
        fx
    }
}
