//! Operator corrections of delivery records (配達記録の訂正).

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{if_match, json_body, shipment_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use jiff::Timestamp;
use juchu_app::AppError;
use juchu_domain::Order;
use juchu_domain::delivery::DeliveryCorrection;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(correct))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CorrectionRequest {
    /// When the parcel really arrived: records a missing delivery or moves a wrong one.
    #[schema(value_type = Option<String>, format = DateTime)]
    delivered_at: Option<Timestamp>,
    /// `false`: the parcel has not arrived after all; the shipment goes back to `shipped`.
    delivered: Option<bool>,
    /// Why the record is corrected (kept in the order's events).
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/shipments/{id}/delivery-correction", tag = "shipping",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = CorrectionRequest,
    responses((status = 200, body = Order), (status = 409, description = "Revenue already recognised, or the shipment has not shipped", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn correct(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: CorrectionRequest = json_body(&body)?;
    let correction = match (req.delivered, req.delivered_at) {
        (Some(false), None) => DeliveryCorrection::NotDelivered,
        (Some(true) | None, Some(at)) => DeliveryCorrection::DeliveredAt(at),
        (Some(false), Some(_)) => {
            return Err(AppError::invalid(
                "delivered_at",
                "give delivered_at, or delivered: false, not both",
            )
            .into());
        }
        (_, None) => {
            return Err(AppError::invalid(
                "delivered_at",
                "give delivered_at (when it arrived), or delivered: false",
            )
            .into());
        }
    };
    let order = s
        .app
        .correct_delivery(
            shipment_id(&id)?,
            correction,
            &req.reason,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}
