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
        .routes(routes!(closes, close))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Closes {
    items: Vec<juchu_app::MonthCloseView>,
}

#[utoipa::path(get, path = "/api/v1/accounting/closes", tag = "accounting",
    responses((status = 200, body = Closes)), security(("bearer" = [])))]
async fn closes(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Closes>> {
    auth.require(roles::ACCOUNTING)?;
    Ok(Json(Closes {
        items: s.app.month_closes().await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CloseRequest {
    /// YYYY-MM (Asia/Tokyo), a month that has ended.
    month: String,
}

#[utoipa::path(post, path = "/api/v1/accounting/closes", tag = "accounting", request_body = CloseRequest,
    responses((status = 201, body = juchu_app::MonthCloseView), (status = 409, description = "Closed already", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn close(
    State(s): State<AppState>,
    auth: Auth,
    body: axum::body::Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<juchu_app::MonthCloseView>)> {
    auth.require(roles::ACCOUNTING)?;
    let req: CloseRequest = crate::extract::json_body(&body)?;
    let closed = s.app.close_month(&req.month, &auth.actor()).await?;
    Ok((axum::http::StatusCode::CREATED, Json(closed)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
#[into_params(parameter_in = Query)]
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
