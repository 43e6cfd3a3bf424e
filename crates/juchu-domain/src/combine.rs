//! 同梱: orders of the same customer to the same address, instructed together from the same
//! warehouse, travel in one parcel. Each order keeps its own shipment, payment, status and
//! accounting; the shipments only share the parcel — one label, one tracking number.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{OrderId, ShipmentId};
use crate::lifecycle::Effects;
use crate::order::Order;
use crate::payment::PaymentMethod;
use crate::shipment::{Shipment, ShipmentStatus};
use jiff::Timestamp;
use serde_json::json;

/// What must match for two shipments to share a parcel: warehouse and batch, the customer, and
/// the address and recipient (compared without spaces and case). `None` for shipments that never
/// combine: cash on delivery (one amount to collect per label) and shipments already combined.
pub fn parcel_key(o: &Order, s: &Shipment) -> Option<String> {
    if o.payment.method == PaymentMethod::Cod
        || s.status != ShipmentStatus::Instructed
        || s.combined_into.is_some()
        || !s.combined_with.is_empty()
    {
        return None;
    }
    let norm = |x: &str| -> String {
        x.chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != 'ー' && *c != '－')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let customer = o
        .customer
        .id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| norm(&o.customer.email));
    let a = &o.shipping_address;
    Some(format!(
        "{}|{}|{}|{}|{}{}{}{}|{}",
        s.warehouse,
        s.batch_id.map(|b| b.to_string()).unwrap_or_default(),
        customer,
        norm(&a.postal_code),
        norm(&a.prefecture),
        norm(&a.city),
        norm(&a.line1),
        norm(a.line2.as_deref().unwrap_or("")),
        norm(&a.name),
    ))
}

impl Order {
    /// This order's shipment `id` is the parcel the `members` (other orders' shipments) travel in.
    pub fn lead_parcel(
        &mut self,
        id: ShipmentId,
        members: &[(OrderId, ShipmentId)],
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        if self.shipments[idx].status != ShipmentStatus::Instructed {
            return Err(self.refuse(
                self.status,
                "only an instructed shipment can take others in",
            ));
        }
        self.shipments[idx]
            .combined_with
            .extend(members.iter().map(|(_, s)| *s));
        let mut fx = Effects::default();
        fx.event(
            "shipment.combined",
            actor,
            at,
            json!({"parcel": id, "members": members.iter().map(|(o, s)| json!({"order_id": o, "shipment_id": s})).collect::<Vec<_>>()}),
        );
        self.touch(at);
        Ok(fx)
    }

    /// This order's shipment `id` travels in the parcel `lead` of order `lead_order`.
    pub fn join_parcel(
        &mut self,
        id: ShipmentId,
        lead_order: OrderId,
        lead: ShipmentId,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        if self.shipments[idx].status != ShipmentStatus::Instructed {
            return Err(self.refuse(self.status, "only an instructed shipment can be combined"));
        }
        self.shipments[idx].combined_into = Some(lead);
        let mut fx = Effects::default();
        fx.event(
            "shipment.combined",
            actor,
            at,
            json!({"shipment_id": id, "parcel": lead, "parcel_order_id": lead_order}),
        );
        self.touch(at);
        Ok(fx)
    }
}

impl Order {
    /// 同梱: shipment `gone` (another order's, whose cancellation was confirmed) leaves the parcel
    /// this order's shipment `id` is part of. A member whose parcel leader left ships on its own.
    pub fn leave_parcel(
        &mut self,
        id: ShipmentId,
        gone: ShipmentId,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        let s = &mut self.shipments[idx];
        let was_member = s.combined_into == Some(gone);
        let was_lead = s.combined_with.contains(&gone);
        if !was_member && !was_lead {
            return Ok(Effects::default());
        }
        if was_member {
            s.combined_into = None;
        }
        s.combined_with.retain(|x| *x != gone);
        let mut fx = Effects::default();
        fx.event(
            "shipment.uncombined",
            actor,
            at,
            json!({"shipment_id": id, "left": gone, "parcel": s.parcel(),
                   "reason": "the other order's cancellation was confirmed"}),
        );
        self.touch(at);
        Ok(fx)
    }
}
