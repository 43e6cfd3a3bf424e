//! The accounting journal: entries per period as JSON or 弥生 / freee / マネーフォワード files, and
//! the sales and tax per rate of a month.

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use juchu_app::{AppError, JournalFormat, JournalSummary, month_range, parse_date};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(journal))
        .routes(routes!(summary))
}

#[derive(Debug, Deserialize, IntoParams)]
struct JournalParams {
    /// First day (YYYY-MM-DD, Asia/Tokyo).
    from: Option<String>,
    /// Last day, included (YYYY-MM-DD).
    to: Option<String>,
    /// json | yayoi | freee | moneyforward (the three files are Shift_JIS CSV)
    format: Option<String>,
}

fn required<'a>(field: &str, v: &'a Option<String>) -> Result<&'a str, AppError> {
    v.as_deref()
        .ok_or_else(|| AppError::invalid(field, "is required (YYYY-MM-DD)"))
}

#[utoipa::path(get, path = "/api/v1/accounting/journal", tag = "accounting", params(JournalParams),
    responses((status = 200, description = "Journal entries (JSON) or the accounting system's import file"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn journal(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<JournalParams>,
) -> ApiResult<Response> {
    auth.require(roles::ACCOUNTING)?;
    let format = JournalFormat::parse(p.format.as_deref().unwrap_or("json"))?;
    let from = parse_date("from", required("from", &p.from)?)?;
    let to = parse_date("to", required("to", &p.to)?)?;
    let bytes = s.app.export_journal(from, to, format).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(resp)
}

#[derive(Debug, Deserialize, IntoParams)]
struct SummaryParams {
    /// The month (YYYY-MM, Asia/Tokyo).
    month: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/accounting/summary", tag = "accounting", params(SummaryParams),
    responses((status = 200, body = JournalSummary), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn summary(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<SummaryParams>,
) -> ApiResult<Json<JournalSummary>> {
    auth.require(roles::ACCOUNTING)?;
    let month = p
        .month
        .as_deref()
        .ok_or_else(|| AppError::invalid("month", "is required (YYYY-MM)"))?;
    let (from, to) = month_range(month)?;
    Ok(Json(s.app.journal_summary(from, to).await?))
}
