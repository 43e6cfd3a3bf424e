//! The HTTP API of juchu (API.md): axum routes per resource, API keys and roles, problem+json
//! errors, `Idempotency-Key`, OpenAPI 3.1 at `/api/v1/openapi.json` and Swagger UI at `/api/docs`.

mod audit;
mod auth;
mod error;
mod extract;
mod idempotency;
mod limits;
mod openapi_errors;
mod routes;
mod signed;
mod state;

pub use auth::Auth;
pub use error::{ApiError, Problem};
pub use state::AppState;

use axum::Router;
use axum::body::HttpBody;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use juchu_app::App;
use std::time::Instant;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "juchu", description = "受注管理 — order management for Japanese e-commerce. All amounts are integers in yen."),
    modifiers(&BearerAuth),
    tags((name = "orders"), (name = "master"), (name = "stock"), (name = "shipping"), (name = "admin"), (name = "bank"), (name = "accounting"), (name = "points"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().split_for_parts().1;
    complete(&mut doc);
    doc
}

/// What the shared layers add to every route: the request limits and the error statuses.
fn complete(doc: &mut utoipa::openapi::OpenApi) {
    limits::annotate(doc);
    openapi_errors::add_shared_errors(doc);
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::orders::router())
        .merge(routes::master::router())
        .merge(routes::shipping::router())
        .merge(routes::purchasing::router())
        .merge(routes::split::router())
        .merge(routes::bank::router())
        .merge(routes::review::router())
        .merge(routes::modify::router())
        .merge(routes::delivery::router())
        .merge(routes::returns::router())
        .merge(routes::accounting::router())
        .merge(routes::payouts::router())
        .merge(routes::cancel::router())
        .merge(routes::points::router())
        .merge(routes::audit::router())
}

/// The whole HTTP surface for one app.
pub fn router(app: App) -> Router {
    let _ = routes::system::prometheus();
    let state = AppState::new(app);
    let (api, mut doc) = api_router().split_for_parts();
    complete(&mut doc);
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .merge(routes::system::router())
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(middleware::from_fn(problems_only))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .layer(DefaultBodyLimit::max(idempotency::MAX_BODY))
        .layer(middleware::from_fn(declared_body_limit))
        .layer(middleware::from_fn(observe))
        .layer(middleware::from_fn_with_state(state.clone(), audit::record))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
                // The path without the query string (which may carry a customer's name or phone).
                let id = req
                    .headers()
                    .get(audit::REQUEST_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(middleware::from_fn(audit::request_id))
        .with_state(state)
}

/// Errors axum answers by itself (405, a path segment that does not parse, …) in our problem
/// format too, with their status (API.md: errors are `application/problem+json`).
async fn problems_only(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error())
        || resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/problem+json")
    {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut out = ApiError::Status(status, detail).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// What a client may still send after its body was refused: read and dropped, so that it can
/// finish writing and read the 413 instead of seeing the connection reset mid-upload.
const DRAIN_LIMIT: usize = 8 * idempotency::MAX_BODY;

/// Every route, whether or not it reads its body: a declared `Content-Length` beyond the limit
/// gets 413 before anything else runs. (A streamed body is cut at the limit by `DefaultBodyLimit`
/// where a route reads it.)
async fn declared_body_limit(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n <= idempotency::MAX_BODY as u64) {
        return next.run(req).await;
    }
    let mut body = req.into_body();
    let mut drained = 0;
    while drained <= DRAIN_LIMIT {
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => drained += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    ApiError::PayloadTooLarge.into_response()
}

/// Request metrics and a 413 in our error format for oversized bodies.
async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status();
    metrics::counter!("juchu_http_requests_total", "method" => method, "status" => status.as_u16().to_string()).increment(1);
    metrics::histogram!("juchu_http_request_seconds").record(start.elapsed().as_secs_f64());
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE
        && resp
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none_or(|v| v != "application/problem+json")
    {
        return ApiError::PayloadTooLarge.into_response();
    }
    resp
}
