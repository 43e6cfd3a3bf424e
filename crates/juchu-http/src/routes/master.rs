//! SKUs, warehouses, stock, API keys and admin checks.

use crate::audit::AuditNote;
use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{Query, json_body};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use juchu_app::{NewApiKey, NewSku, NewWarehouse, StockAdjustment};
use juchu_domain::{Role, TaxRate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_sku))
        .routes(routes!(list_skus))
        .routes(routes!(put_warehouse))
        .routes(routes!(list_warehouses))
        .routes(routes!(adjust_stock))
        .routes(routes!(get_stock))
        .routes(routes!(stock_movements))
        .routes(routes!(create_api_key))
        .routes(routes!(invariants))
        .routes(routes!(jobs))
}

#[derive(Debug, Serialize, ToSchema)]
struct SkuView {
    sku: String,
    name: String,
    tax_rate: TaxRate,
    supplier: Option<String>,
    drop_ship: bool,
    lead_time_days: Option<i32>,
}

fn created(was_created: bool) -> StatusCode {
    if was_created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

#[utoipa::path(put, path = "/api/v1/skus/{sku}", tag = "master", params(("sku" = String, Path)), request_body = NewSku,
    responses((status = 201, body = SkuView), (status = 200, body = SkuView), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn put_sku(
    State(s): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SkuView>)> {
    auth.require(roles::MASTER_WRITE)?;
    let req: NewSku = json_body(&body)?;
    let view = SkuView {
        sku: code.clone(),
        name: req.name.trim().to_owned(),
        tax_rate: req.tax_rate,
        supplier: req.supplier.clone(),
        drop_ship: req.drop_ship,
        lead_time_days: req.lead_time_days,
    };
    let was_created = s.app.put_sku(&code, req).await?;
    Ok((created(was_created), Json(view)))
}

#[utoipa::path(get, path = "/api/v1/skus", tag = "master", responses((status = 200, body = Vec<SkuView>)), security(("bearer" = [])))]
async fn list_skus(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<SkuView>>> {
    auth.require(roles::READ)?;
    let skus = s.app.list_skus().await?;
    Ok(Json(
        skus.into_iter()
            .map(|k| SkuView {
                sku: k.code,
                name: k.name,
                tax_rate: k.tax_rate,
                supplier: k.supplier,
                drop_ship: k.drop_ship,
                lead_time_days: k.lead_time_days,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct WarehouseView {
    code: String,
    name: String,
    priority: i32,
    prefectures: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/warehouses/{code}", tag = "master", params(("code" = String, Path)), request_body = NewWarehouse,
    responses((status = 201, body = WarehouseView), (status = 200, body = WarehouseView), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn put_warehouse(
    State(s): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<WarehouseView>)> {
    auth.require(roles::MASTER_WRITE)?;
    let req: NewWarehouse = json_body(&body)?;
    let view = WarehouseView {
        code: code.clone(),
        name: req.name.trim().to_owned(),
        priority: req.priority,
        prefectures: req.prefectures.clone(),
    };
    let was_created = s.app.put_warehouse(&code, req).await?;
    Ok((created(was_created), Json(view)))
}

#[utoipa::path(get, path = "/api/v1/warehouses", tag = "master", responses((status = 200, body = Vec<WarehouseView>)), security(("bearer" = [])))]
async fn list_warehouses(
    State(s): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<WarehouseView>>> {
    auth.require(roles::READ)?;
    let ws = s.app.list_warehouses().await?;
    Ok(Json(
        ws.into_iter()
            .map(|w| WarehouseView {
                code: w.code,
                name: w.name,
                priority: w.priority,
                prefectures: w.prefectures,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct StockItem {
    warehouse: String,
    sku: String,
    on_hand: i64,
    allocated: i64,
    available: i64,
}

impl From<juchu_store::StockLevel> for StockItem {
    fn from(l: juchu_store::StockLevel) -> Self {
        StockItem {
            available: l.on_hand - l.allocated,
            warehouse: l.warehouse,
            sku: l.sku,
            on_hand: l.on_hand,
            allocated: l.allocated,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "stock", request_body = StockAdjustment,
    responses((status = 201, body = StockItem), (status = 409, description = "insufficient_stock", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn adjust_stock(
    State(s): State<AppState>,
    auth: Auth,
    note: AuditNote,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<StockItem>)> {
    auth.require(roles::STOCK_WRITE)?;
    let req: StockAdjustment = json_body(&body)?;
    note.target(req.sku.clone());
    let level = s
        .app
        .adjust_stock(req, &format!("api_key:{}", auth.key_id))
        .await?;
    Ok((StatusCode::CREATED, Json(level.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StockParams {
    sku: Option<String>,
    warehouse: Option<String>,
    /// Movements only: 1–1000, default 100.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct StockList {
    items: Vec<StockItem>,
}

#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockParams), responses((status = 200, body = StockList)), security(("bearer" = [])))]
async fn get_stock(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<StockParams>,
) -> ApiResult<Json<StockList>> {
    auth.require(roles::READ)?;
    let levels = s
        .app
        .stock(p.sku.as_deref(), p.warehouse.as_deref())
        .await?;
    Ok(Json(StockList {
        items: levels.into_iter().map(StockItem::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct Movement {
    id: i64,
    at: String,
    warehouse: String,
    sku: String,
    on_hand_delta: i64,
    allocated_delta: i64,
    reason: String,
    order_id: Option<String>,
    /// The purchase order a receipt came from.
    po_id: Option<String>,
    actor: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct MovementList {
    items: Vec<Movement>,
}

#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "stock", params(StockParams),
    responses((status = 200, description = "The stock ledger, newest first", body = MovementList)), security(("bearer" = [])))]
async fn stock_movements(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<StockParams>,
) -> ApiResult<Json<MovementList>> {
    auth.require(roles::READ)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(juchu_app::AppError::invalid("limit", "must be between 1 and 1000").into());
    }
    let rows = s
        .app
        .store
        .stock_movements(p.sku.as_deref(), p.warehouse.as_deref(), limit)
        .await
        .map_err(juchu_app::AppError::from)?;
    let items = rows
        .into_iter()
        .map(|m| Movement {
            id: m.id,
            at: m.at.to_string(),
            warehouse: m.warehouse,
            sku: m.sku,
            on_hand_delta: m.on_hand_delta,
            allocated_delta: m.allocated_delta,
            reason: m.reason,
            order_id: m.order_id.map(|id| id.to_string()),
            po_id: m.po_id.map(|id| id.to_string()),
            actor: m.actor,
        })
        .collect();
    Ok(Json(MovementList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ApiKeyRequest {
    name: String,
    role: String,
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "admin", request_body = ApiKeyRequest,
    responses((status = 201, description = "The secret is shown once", body = NewApiKey), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn create_api_key(
    State(s): State<AppState>,
    auth: Auth,
    note: AuditNote,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<NewApiKey>)> {
    auth.require(roles::ADMIN)?;
    let req: ApiKeyRequest = json_body(&body)?;
    let role: Role = req
        .role
        .parse()
        .map_err(|m: String| juchu_app::AppError::invalid("role", m))?;
    let key = s.app.create_api_key(&req.name, role).await?;
    // The new key's id, never its secret.
    note.target(key.id.clone());
    Ok((StatusCode::CREATED, Json(key)))
}

#[derive(Debug, Serialize, ToSchema)]
struct InvariantReport {
    ok: bool,
    problems: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/invariants", tag = "admin",
    responses((status = 200, description = "DOMAIN.md §4.1–4.2 checked against the database", body = InvariantReport)), security(("bearer" = [])))]
async fn invariants(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<InvariantReport>> {
    auth.require(roles::ADMIN)?;
    let problems = s
        .app
        .store
        .check_invariants()
        .await
        .map_err(juchu_app::AppError::from)?;
    Ok(Json(InvariantReport {
        ok: problems.is_empty(),
        problems,
    }))
}

#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin",
    responses((status = 200, description = "Jobs per status: pending (due now), scheduled (due later), running, dead", body = Object)), security(("bearer" = [])))]
async fn jobs(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<serde_json::Value>> {
    auth.require(roles::MONITOR)?;
    let counts = s
        .app
        .store
        .job_counts(s.app.now())
        .await
        .map_err(juchu_app::AppError::from)?;
    let map: serde_json::Map<String, serde_json::Value> =
        counts.into_iter().map(|(k, v)| (k, v.into())).collect();
    Ok(Json(serde_json::Value::Object(map)))
}
