//! Carrier delivery events (webhooks): de-duplicated by (carrier, event id), tolerant of events
//! arriving out of order — a delivered shipment stays delivered whatever older news comes after.

use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::carrier::Carrier;
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{Actor, HoldCode, OrderId, ShipmentId};
use juchu_store::CarrierEventRecord;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CarrierEvent {
    /// The carrier's id for this event; a second event with the same id changes nothing.
    pub event_id: String,
    pub tracking_number: String,
    pub status: DeliveryStatus,
    /// When it happened, per the carrier.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Delivered,
    /// 持戻り: the carrier could not deliver.
    Failed,
    /// 返送: on its way back to the shop.
    Returned,
    InTransit,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Returned => "returned",
            DeliveryStatus::InTransit => "in_transit",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventOutcome {
    /// The event was processed before; nothing changed now.
    pub duplicate: bool,
    /// `delivered`, `held`, or `ignored: …` with the reason.
    pub outcome: String,
    pub order_id: Option<OrderId>,
    pub shipment_id: Option<ShipmentId>,
}

impl App {
    /// Applies a carrier's delivery event: delivered → `App::deliver`; failed / returned → a hold for an
    /// operator (`delivery_failed`, `returned_to_sender`); in transit → nothing to do.
    pub async fn carrier_event(
        &self,
        carrier: Carrier,
        ev: &CarrierEvent,
        actor: &Actor,
    ) -> Result<EventOutcome, AppError> {
        let event_id = ev.event_id.trim();
        if event_id.is_empty() || event_id.len() > 200 {
            return Err(AppError::invalid("event_id", "must be 1–200 characters"));
        }
        let carrier_name = serde_json::to_value(carrier)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if self
            .store
            .carrier_event_seen(&carrier_name, event_id)
            .await?
        {
            return Ok(EventOutcome {
                duplicate: true,
                outcome: "duplicate".into(),
                order_id: None,
                shipment_id: None,
            });
        }
        let tracking: String = ev
            .tracking_number
            .trim()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if tracking.is_empty() {
            return Err(AppError::invalid("tracking_number", "is empty"));
        }
        // The shipments table is indexed by tracking number (migration 0013).
        let mut orders = Vec::new();
        for id in self.store.orders_by_tracking(&tracking, 20).await? {
            orders.extend(self.store.get_order(id).await?);
        }
        // 同梱 parcels share one number: the event goes to the parcel, which carries the others.
        let matching = || {
            orders.iter().flat_map(|o| {
                o.shipments
                    .iter()
                    .filter(|s| {
                        s.carrier == Some(carrier)
                            && s.tracking_number.as_deref() == Some(&tracking)
                    })
                    .map(|s| (o.id, s.clone()))
            })
        };
        let found = matching()
            .find(|(_, s)| s.combined_into.is_none())
            .or_else(|| matching().next());
        // Not recorded: the carrier retries, and the shipment may be imported meanwhile.
        let (order_id, shipment) = found.ok_or_else(|| {
            AppError::NotFound(format!(
                "a {carrier_name} shipment with tracking number {tracking}"
            ))
        })?;
        let outcome = match (ev.status, shipment.status) {
            (DeliveryStatus::InTransit, _) => "ignored: in transit".to_owned(),
            (_, ShipmentStatus::Delivered) => {
                "ignored: the shipment is delivered already".to_owned()
            }
            (DeliveryStatus::Delivered, ShipmentStatus::Shipped) => {
                self.deliver(shipment.id, Some(ev.at), None, actor).await?;
                "delivered".to_owned()
            }
            (DeliveryStatus::Failed | DeliveryStatus::Returned, ShipmentStatus::Shipped) => {
                let (code, what) = if ev.status == DeliveryStatus::Failed {
                    (HoldCode::DeliveryFailed, "could not deliver")
                } else {
                    (HoldCode::ReturnedToSender, "is returning")
                };
                let reason = format!("{carrier_name} {what} {tracking} ({})", ev.at);
                let held = self
                    .change_order(order_id, None, actor, |o, app| {
                        Ok((o.hold_for_carrier(code, &reason, actor, app.now())?, vec![]))
                    })
                    .await;
                match held {
                    Ok(_) => "held".to_owned(),
                    Err(AppError::InvalidTransition { detail, .. }) => format!("ignored: {detail}"),
                    Err(e) => return Err(e),
                }
            }
            (_, other) => format!("ignored: the shipment is {other:?}"),
        };
        self.store
            .record_carrier_event(&CarrierEventRecord {
                carrier: carrier_name,
                event_id: event_id.to_owned(),
                tracking_number: tracking,
                status: ev.status.as_str().to_owned(),
                at: ev.at,
                received_at: self.now(),
                outcome: outcome.clone(),
            })
            .await?;
        Ok(EventOutcome {
            duplicate: false,
            outcome,
            order_id: Some(order_id),
            shipment_id: Some(shipment.id),
        })
    }
}
