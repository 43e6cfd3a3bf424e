//! 注文確認: the review rules (`/api/v1/review/rules`), the blacklist and postal-code lookup.

use crate::audit::AuditNote;
use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::json_body;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use juchu_domain::review::{BlacklistKind, ReviewRules};
use juchu_store::BlacklistRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(add_blacklist, list_blacklist))
        .routes(routes!(delete_blacklist))
        .routes(routes!(postal_code))
}

#[utoipa::path(get, path = "/api/v1/review/rules", tag = "review",
    responses((status = 200, description = "The review rules in force", body = ReviewRules)),
    security(("bearer" = [])))]
async fn get_rules(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<ReviewRules>> {
    // The fraud screen's thresholds: for those who set them, not for a storefront (which acts for
    // customers) to learn how to stay under them.
    auth.require(roles::ORDER_REVIEW)?;
    Ok(Json(s.app.review_rules().await?))
}

#[utoipa::path(put, path = "/api/v1/review/rules", tag = "review", request_body = ReviewRules,
    responses((status = 200, description = "The rules now in force for every process; keys left out take their defaults", body = ReviewRules),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_rules(
    State(s): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> ApiResult<Json<ReviewRules>> {
    auth.require(roles::ORDER_REVIEW)?;
    let rules: ReviewRules = json_body(&body)?;
    s.app.put_review_rules(&rules).await?;
    Ok(Json(rules))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewBlacklistEntry {
    kind: BlacklistKind,
    value: String,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct BlacklistView {
    id: String,
    kind: BlacklistKind,
    /// Stored normalised: half-width, lower case, without spaces (and hyphens for phones and
    /// addresses).
    value: String,
    reason: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: jiff::Timestamp,
    created_by: String,
}

impl From<BlacklistRecord> for BlacklistView {
    fn from(r: BlacklistRecord) -> Self {
        BlacklistView {
            id: r.id,
            kind: r.kind,
            value: r.value,
            reason: r.reason,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct BlacklistList {
    items: Vec<BlacklistView>,
}

#[utoipa::path(post, path = "/api/v1/blacklist", tag = "review", request_body = NewBlacklistEntry,
    responses((status = 201, body = BlacklistView), (status = 409, description = "Listed already", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn add_blacklist(
    State(s): State<AppState>,
    auth: Auth,
    note: AuditNote,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BlacklistView>)> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: NewBlacklistEntry = json_body(&body)?;
    let rec = s
        .app
        .add_blacklist(req.kind, &req.value, &req.reason, &auth.actor())
        .await?;
    note.target(rec.id.clone());
    Ok((StatusCode::CREATED, Json(rec.into())))
}

#[utoipa::path(get, path = "/api/v1/blacklist", tag = "review",
    responses((status = 200, body = BlacklistList)), security(("bearer" = [])))]
async fn list_blacklist(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<BlacklistList>> {
    auth.require(roles::ORDER_REVIEW)?;
    let items = s.app.list_blacklist().await?;
    Ok(Json(BlacklistList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/blacklist/{id}", tag = "review", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn delete_blacklist(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require(roles::ORDER_REVIEW)?;
    s.app.delete_blacklist(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
struct Town {
    town: String,
    /// JIS X0402 municipality code.
    jis: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct PostalView {
    postal_code: String,
    prefecture: String,
    city: String,
    towns: Vec<Town>,
}

#[utoipa::path(get, path = "/api/v1/postal-codes/{code}", tag = "review", params(("code" = String, Path, description = "1000001 or 100-0001")),
    responses((status = 200, body = PostalView), (status = 404, description = "Unknown code or no postal data loaded", body = Problem),
        (status = 422, description = "The code is not 7 digits (with or without the hyphen)", body = Problem)),
    security(("bearer" = [])))]
async fn postal_code(
    State(s): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<PostalView>> {
    auth.require(roles::READ)?;
    let rows = s.app.postal_lookup(&code).await?;
    let first = rows.first().cloned();
    let (prefecture, city, postal_code) = first
        .map(|e| (e.prefecture, e.city, e.code))
        .unwrap_or_default();
    Ok(Json(PostalView {
        postal_code,
        prefecture,
        city,
        towns: rows
            .into_iter()
            .map(|e| Town {
                town: e.town,
                jis: e.jis,
            })
            .collect(),
    }))
}
