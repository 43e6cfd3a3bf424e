//! `GET /api/v1/audit`: who did what (docs/security.md "Audit log"), for operators.

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use juchu_app::AuditQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

#[derive(Debug, Deserialize, IntoParams)]
struct AuditParams {
    /// Exactly this actor: `api_key:key_…`, `user:…`, `service:bank`, `service:carrier:yamato`.
    actor: Option<String>,
    /// Exactly this action: `POST /api/v1/orders/{id}/cancel` (the route template) or a named one.
    action: Option<String>,
    /// Exactly this target: an order id, a SKU, a key id, …
    target: Option<String>,
    /// RFC 3339, inclusive.
    from: Option<String>,
    /// RFC 3339, exclusive.
    to: Option<String>,
    /// 1–1000, default 100.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AuditEntry {
    id: i64,
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
    actor: String,
    action: String,
    target: Option<String>,
    /// The HTTP status answered.
    outcome: u16,
    request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AuditPage {
    items: Vec<AuditEntry>,
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, description = "Newest first", body = AuditPage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn audit_log(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    auth.require(roles::AUDIT)?;
    let page = s
        .app
        .audit_log(&AuditQuery {
            actor: p.actor,
            action: p.action,
            target: p.target,
            from: p.from,
            to: p.to,
            limit: p.limit,
            cursor: p.cursor,
        })
        .await?;
    Ok(Json(AuditPage {
        items: page
            .items
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                outcome: e.outcome,
                request_id: e.request_id,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
