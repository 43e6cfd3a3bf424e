//! Shipping instructions, shipments shipped and delivered.

use crate::auth::{Auth, roles};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Query, if_match, json_body, shipment_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use juchu_app::{ExportFormat, InstructionResult};
use juchu_domain::carrier::Carrier;
use juchu_domain::{BatchId, Order};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(instruct))
        .routes(routes!(export))
        .routes(routes!(ship))
        .routes(routes!(deliver))
        .merge(super::carriers::router())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct InstructRequest {
    warehouse: Option<String>,
    order_ids: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/api/v1/shipping-instructions", tag = "shipping", request_body = InstructRequest,
    responses((status = 201, description = "One batch per warehouse, one shipment per warehouse and order", body = InstructionResult), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn instruct(
    State(s): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InstructionResult>)> {
    auth.require(roles::SHIPPING)?;
    let req: InstructRequest = if body.is_empty() {
        InstructRequest::default()
    } else {
        json_body(&body)?
    };
    let ids = match req.order_ids {
        Some(list) => Some(
            list.iter()
                .map(|s| {
                    s.parse().map_err(|_| {
                        juchu_app::AppError::invalid(
                            "order_ids",
                            format!("`{s}` is not an order id"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let result = s
        .app
        .instruct_shipping(req.warehouse.as_deref(), ids.as_deref(), &auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(result)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// json | csv | yamato-b2 | sagawa-ehiden | japanpost-yupri | clickpost (the carrier layouts in Shift_JIS)
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/shipping-instructions/{id}/export", tag = "shipping", params(("id" = String, Path), ExportParams),
    responses((status = 200, description = "The warehouse file"), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn export(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    auth.require(roles::SHIPPING)?;
    let format = ExportFormat::parse(p.format.as_deref().unwrap_or("json"))?;
    let id: BatchId = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("shipping instruction {id} not found")))?;
    let bytes = s.app.export_shipping(id, format).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(resp)
}

#[derive(Debug, Deserialize, ToSchema)]
struct ShipRequest {
    carrier: Carrier,
    tracking_number: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    shipped_at: Option<Timestamp>,
}

#[utoipa::path(post, path = "/api/v1/shipments/{id}/ship", tag = "shipping", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = ShipRequest, responses((status = 200, body = Order), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn ship(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::SHIPPING)?;
    let req: ShipRequest = json_body(&body)?;
    let order = s
        .app
        .ship(
            shipment_id(&id)?,
            req.carrier,
            &req.tracking_number,
            req.shipped_at,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct DeliverRequest {
    #[schema(value_type = Option<String>, format = DateTime)]
    delivered_at: Option<Timestamp>,
}

#[utoipa::path(post, path = "/api/v1/shipments/{id}/deliver", tag = "shipping", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = DeliverRequest, responses((status = 200, body = Order), (status = 409, body = Problem)), security(("bearer" = [])))]
async fn deliver(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::SHIPPING)?;
    let req: DeliverRequest = if body.is_empty() {
        DeliverRequest::default()
    } else {
        json_body(&body)?
    };
    let order = s
        .app
        .deliver(
            shipment_id(&id)?,
            req.delivered_at,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}
