//! Cancellation after shipping instruction: the warehouse confirms or refuses the request
//! (`juchu_domain::cancel`), and polls the shipments waiting for its answer.

use crate::{App, AppError};
use juchu_domain::shipment::{Shipment, ShipmentStatus};
use juchu_domain::{Actor, Order, OrderId, OrderStatus, ShipmentId};
use serde::Serialize;

/// A shipment with the order it belongs to (`GET /api/v1/shipments`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub order_id: OrderId,
    pub order_number: i64,
    pub order_status: OrderStatus,
    pub external_id: String,
    #[serde(flatten)]
    pub shipment: Shipment,
}

#[derive(Debug, Clone, Default)]
pub struct ShipmentQuery {
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl App {
    /// The warehouse stopped the shipment: it is cancelled, and the order with it (stock released,
    /// payment voided or refunded) once no shipment of the request waits for an answer.
    pub async fn confirm_cancel(
        &self,
        id: ShipmentId,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let order_id = self.shipment_order_id(id).await?;
        let order = self
            .change_order(order_id, if_match, actor, |o, app| {
                let drop_ship = crate::drop_ship::sync_jobs(app, o);
                let fx = o.confirm_cancel(id, actor, app.now())?;
                let mut jobs = if fx.stock.is_empty() {
                    vec![]
                } else {
                    // Released stock may complete orders that wait.
                    vec![crate::master::stock_arrived_job(app)]
                };
                jobs.extend(drop_ship);
                Ok((fx, jobs))
            })
            .await?;
        if order.status == OrderStatus::Cancelled {
            metrics::counter!("juchu_orders_cancelled_total").increment(1);
        }
        // 同梱: the other orders' shipments of its parcel no longer travel with it.
        if let Some(s) = order.shipments.iter().find(|s| s.id == id) {
            let others: Vec<ShipmentId> = s
                .combined_into
                .iter()
                .chain(s.combined_with.iter())
                .copied()
                .collect();
            for other in others {
                if let Err(e) = self.leave_parcel(other, id, actor).await {
                    tracing::warn!(shipment = %other, gone = %id, error = %e, "同梱: could not take the cancelled shipment out of the parcel");
                }
            }
        }
        Ok(order)
    }

    async fn leave_parcel(
        &self,
        shipment: ShipmentId,
        gone: ShipmentId,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let order_id = self.shipment_order_id(shipment).await?;
        self.change_order(order_id, None, actor, |o, app| {
            Ok((o.leave_parcel(shipment, gone, actor, app.now())?, vec![]))
        })
        .await
    }

    /// The warehouse will ship it: the request is withdrawn and the order continues.
    pub async fn refuse_cancel(
        &self,
        id: ShipmentId,
        reason: &str,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid(
                "reason",
                "must be 1–500 characters: say why the shipment cannot be stopped",
            ));
        }
        let order_id = self.shipment_order_id(id).await?;
        self.change_order(order_id, if_match, actor, |o, app| {
            Ok((
                o.refuse_cancel(id, reason.trim(), actor, app.now())?,
                vec![],
            ))
        })
        .await
    }

    async fn shipment_order_id(&self, id: ShipmentId) -> Result<OrderId, AppError> {
        self.store
            .order_by_shipment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))
    }

    /// Shipments in one status (e.g. `cancel_requested`, for the warehouse to poll), oldest
    /// first, and the cursor of the next page.
    pub async fn list_shipments(
        &self,
        q: ShipmentQuery,
    ) -> Result<(Vec<ShipmentView>, Option<String>), AppError> {
        let all = || {
            ShipmentStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let status = match q.status.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(AppError::invalid(
                    "status",
                    format!("is required; one of {}", all()),
                ));
            }
            Some(s) => ShipmentStatus::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    format!("`{s}` is not a shipment status; one of {}", all()),
                )
            })?,
        };
        let limit = q.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 500"));
        }
        let after = match q.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(c.parse::<ShipmentId>().map_err(|_| {
                AppError::invalid("cursor", "is not a cursor from a previous page")
            })?),
        };
        let mut rows = self
            .store
            .shipments_by_status(status, after, limit + 1)
            .await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|(id, _)| id.to_string())
        } else {
            None
        };
        let items = rows
            .into_iter()
            .filter_map(|(id, o)| {
                let shipment = o.shipments.iter().find(|s| s.id == id)?.clone();
                Some(ShipmentView {
                    order_id: o.id,
                    order_number: o.number,
                    order_status: o.status,
                    external_id: o.external_id.clone(),
                    shipment,
                })
            })
            .collect();
        Ok((items, next))
    }
}
