//! Purchase orders (発注) and the supplier's shipment report of drop-ship ones (直送).

use crate::audit::AuditNote;
use crate::auth::{Auth, roles};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Query, json_body};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use juchu_app::{NewPurchaseOrder, PoExportFormat, PoLineRequest, PurchaseOrderQuery};
use juchu_domain::carrier::Carrier;
use juchu_domain::purchasing::PurchaseOrder;
use juchu_domain::{PurchaseOrderId, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Create, send, cancel and ship purchase orders: operators (and admins).
const PO_WRITE: &[Role] = &[Role::Operator];
/// Goods arriving: operators and warehouses.
const PO_RECEIVE: &[Role] = &[Role::Operator, Role::Warehouse];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(send))
        .routes(routes!(receive))
        .routes(routes!(cancel))
        .routes(routes!(ship))
        .routes(routes!(export))
}

fn po_id(s: &str) -> Result<PurchaseOrderId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("purchase order {s} not found")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    supplier: Option<String>,
    /// draft | sent | partially_received | received | shipped | cancelled
    status: Option<String>,
    /// Drop-ship purchase orders of one order.
    order_id: Option<String>,
    /// 1–500, default 100.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct PurchaseOrderList {
    items: Vec<PurchaseOrder>,
}

#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "purchasing", params(ListParams),
    responses((status = 200, description = "Newest first", body = PurchaseOrderList), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PurchaseOrderList>> {
    auth.require(roles::READ)?;
    let items = s
        .app
        .list_purchase_orders(PurchaseOrderQuery {
            supplier: p.supplier,
            status: p.status,
            order_id: p.order_id,
            limit: p.limit,
        })
        .await?;
    Ok(Json(PurchaseOrderList { items }))
}

#[utoipa::path(post, path = "/api/v1/purchase-orders", tag = "purchasing", request_body = NewPurchaseOrder,
    responses((status = 201, description = "A draft (or sent with `send: true`)", body = PurchaseOrder), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create(
    State(s): State<AppState>,
    auth: Auth,
    note: AuditNote,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PurchaseOrder>)> {
    auth.require(PO_WRITE)?;
    let req: NewPurchaseOrder = json_body(&body)?;
    let po = s.app.create_purchase_order(req, &auth.actor()).await?;
    note.target(po.id.to_string());
    Ok((StatusCode::CREATED, Json(po)))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "purchasing", params(("id" = String, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_one(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PurchaseOrder>> {
    auth.require(roles::READ)?;
    Ok(Json(s.app.purchase_order(po_id(&id)?).await?))
}

#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/send", tag = "purchasing", params(("id" = String, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 409, body = Problem)), security(("bearer" = [])))]
async fn send(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PurchaseOrder>> {
    auth.require(PO_WRITE)?;
    Ok(Json(
        s.app
            .send_purchase_order(po_id(&id)?, &auth.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ReceiptRequest {
    lines: Vec<PoLineRequest>,
}

#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/receipts", tag = "purchasing", params(("id" = String, Path)),
    request_body = ReceiptRequest,
    responses((status = 201, description = "Stock added to the purchase order's warehouse; waiting orders are allocated again", body = PurchaseOrder),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn receive(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PurchaseOrder>)> {
    auth.require(PO_RECEIVE)?;
    let id = po_id(&id)?;
    let req: ReceiptRequest = json_body(&body)?;
    let lines: Vec<(String, i64)> = req.lines.into_iter().map(|l| (l.sku, l.quantity)).collect();
    let po = s
        .app
        .receive_purchase_order(id, &lines, &auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(po)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CancelRequest {
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/cancel", tag = "purchasing", params(("id" = String, Path)),
    request_body = CancelRequest, responses((status = 200, body = PurchaseOrder), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn cancel(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<PurchaseOrder>> {
    auth.require(PO_WRITE)?;
    let id = po_id(&id)?;
    let req: CancelRequest = json_body(&body)?;
    Ok(Json(
        s.app
            .cancel_purchase_order(id, &req.reason, &auth.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ShipRequest {
    carrier: Carrier,
    tracking_number: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    shipped_at: Option<Timestamp>,
}

#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/ship", tag = "purchasing", params(("id" = String, Path)),
    request_body = ShipRequest,
    responses((status = 200, description = "The supplier shipped a drop-ship purchase order: the order's shipment from the supplier ships", body = PurchaseOrder),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn ship(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<PurchaseOrder>> {
    auth.require(roles::SHIPPING)?;
    let id = po_id(&id)?;
    let req: ShipRequest = json_body(&body)?;
    Ok(Json(
        s.app
            .ship_purchase_order(
                id,
                req.carrier,
                &req.tracking_number,
                req.shipped_at,
                &auth.actor(),
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// csv | json (default json)
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}/export", tag = "purchasing", params(("id" = String, Path), ExportParams),
    responses((status = 200, description = "The purchase-order file: JSON, or EDI-style CSV (H + L records)"), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn export(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    auth.require(roles::READ)?;
    let format = PoExportFormat::parse(p.format.as_deref().unwrap_or("json"))?;
    let po = s.app.purchase_order(po_id(&id)?).await?;
    let bytes = juchu_app::export_purchase_order(&po, format)?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(resp)
}
