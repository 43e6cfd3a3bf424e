//! Cancellation after shipping instruction (DOMAIN.md §2, issue 5 part 5). Once an order is
//! `shipping_instructed` the warehouse may already be picking it, so a cancel the policy allows
//! becomes a request: the open shipments go `cancel_requested`, stock and payment stay as they
//! are, and the warehouse answers per shipment:
//! - confirm: the shipment is `cancelled`; when no shipment of the request is left waiting, the
//!   order is cancelled through the ordinary path ([`Order::cancel`]'s effects: stock released,
//!   payment voided or refunded, events);
//! - refuse: the request is refused as a whole; every shipment of it goes back to `instructed`
//!   and the order continues;
//! - ship anyway: the shipment ships and the request is refused automatically (an event says so).

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::ShipmentId;
use crate::lifecycle::Effects;
use crate::order::Order;
use crate::shipment::ShipmentStatus;
use crate::status::OrderStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// A cancellation waiting for the warehouse: why, who asked, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CancelRequest {
    pub reason: String,
    pub requested_by: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
}

impl Order {
    /// Whether a cancel now is a request to the warehouse rather than a cancellation.
    pub(crate) fn cancel_needs_warehouse(&self) -> bool {
        self.status == OrderStatus::ShippingInstructed
            && self
                .shipments
                .iter()
                .any(|s| s.status == ShipmentStatus::Instructed)
    }

    /// Puts every instructed shipment in `cancel_requested`; nothing else changes.
    pub(crate) fn request_cancel(
        &mut self,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let request = CancelRequest {
            reason: reason.to_owned(),
            requested_by: actor.clone(),
            requested_at: at,
        };
        let mut ids = Vec::new();
        for s in &mut self.shipments {
            if s.status == ShipmentStatus::Instructed {
                s.status = ShipmentStatus::CancelRequested;
                s.cancel_request = Some(request.clone());
                ids.push(s.id);
            }
        }
        self.cancel_request = Some(request);
        let mut fx = Effects::default();
        fx.event(
            "order.cancel_requested",
            actor,
            at,
            json!({"reason": reason, "shipments": ids,
                   "note": "the warehouse confirms or refuses; stock and payment are unchanged until then"}),
        );
        self.touch(at);
        Ok(fx)
    }

    fn requested_shipment(
        &self,
        id: ShipmentId,
        action: &'static str,
    ) -> Result<usize, DomainError> {
        let idx = self.shipment_index(id)?;
        let status = self.shipments[idx].status;
        if status == ShipmentStatus::CancelRequested {
            return Ok(idx);
        }
        let why = match (status, self.status) {
            (ShipmentStatus::Cancelled, OrderStatus::Cancelled) => {
                "the cancellation was confirmed already and the order is cancelled".to_owned()
            }
            (ShipmentStatus::Cancelled, _) => {
                "this shipment's cancellation was confirmed already".to_owned()
            }
            (ShipmentStatus::Instructed, _) => {
                "no cancellation is requested for it (never asked, or refused already)".to_owned()
            }
            (ShipmentStatus::Shipped | ShipmentStatus::Delivered, _) => {
                "it has shipped; use a return".to_owned()
            }
            (ShipmentStatus::Pending, _) => "it is not instructed".to_owned(),
            (ShipmentStatus::CancelRequested, _) => String::new(),
        };
        Err(DomainError::NotAllowed {
            action,
            status: self.status,
            why: format!("shipment {id} is {}; {why}", status.as_str()),
        })
    }

    /// The warehouse confirms it stopped shipment `id`: the shipment is cancelled, and the order
    /// with it once no shipment of the request is left waiting.
    pub fn confirm_cancel(
        &mut self,
        id: ShipmentId,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.requested_shipment(id, "confirming a cancellation")?;
        let mut fx = Effects::default();
        self.shipments[idx].status = ShipmentStatus::Cancelled;
        fx.event(
            "shipment.cancel_confirmed",
            actor,
            at,
            json!({"shipment_id": id}),
        );
        if self
            .shipments
            .iter()
            .any(|s| s.status == ShipmentStatus::CancelRequested)
        {
            self.touch(at);
            return Ok(fx);
        }
        let request = self.cancel_request.take();
        let reason = request
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_else(|| "cancellation confirmed by the warehouse".to_owned());
        let done = self.finish_cancel(&reason, request.as_ref(), actor, at)?;
        fx.events.extend(done.events);
        fx.stock.extend(done.stock);
        Ok(fx)
    }

    /// The warehouse refuses: the request is withdrawn as a whole and the order ships.
    pub fn refuse_cancel(
        &mut self,
        id: ShipmentId,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        self.requested_shipment(id, "refusing a cancellation")?;
        let mut fx = Effects::default();
        self.withdraw_cancel_request(id, reason, false, &mut fx, actor, at);
        self.touch(at);
        Ok(fx)
    }

    /// Clears the pending request: its shipments (also those confirmed already, whose stock is
    /// still reserved) go back to `instructed`.
    pub(crate) fn withdraw_cancel_request(
        &mut self,
        id: ShipmentId,
        reason: &str,
        automatic: bool,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) {
        let mut reinstated = Vec::new();
        for s in &mut self.shipments {
            let of_request = s.status == ShipmentStatus::CancelRequested
                || (s.status == ShipmentStatus::Cancelled && s.cancel_request.is_some());
            if of_request {
                s.status = ShipmentStatus::Instructed;
                s.cancel_request = None;
                reinstated.push(s.id);
            }
        }
        let request = self.cancel_request.take();
        fx.event(
            "order.cancel_refused",
            actor,
            at,
            json!({"shipment_id": id, "reason": reason, "automatic": automatic,
                   "request": request, "shipments": reinstated}),
        );
    }
}
