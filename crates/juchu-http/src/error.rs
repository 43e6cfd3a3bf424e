//! `ApiError` → `application/problem+json` (RFC 9457) through one code table.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use juchu_app::AppError;
use juchu_domain::{FieldError, OrderStatus};
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    PayloadTooLarge,
    IdempotencyKeyReused,
    RequestInProgress,
    /// A webhook without a valid signature (missing or malformed headers, wrong MAC).
    InvalidSignature(String),
    /// A signed webhook whose timestamp is outside the tolerance.
    StaleTimestamp(String),
    /// A signed webhook delivery id seen before.
    ReplayedDelivery(String),
    /// An error axum answered by itself (405, a path that does not parse, …), with its status.
    Status(StatusCode, String),
    App(AppError),
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:juchu:problem:<code>`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Machine-readable code: bad_request, unauthorized, forbidden, not_found, validation_failed,
    /// invalid_transition, version_conflict, insufficient_stock, duplicate_order, idempotency_key_reused,
    /// request_in_progress, conflict, payload_too_large, method_not_allowed, invalid_signature,
    /// stale_timestamp, replayed_delivery, internal.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<OrderStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

fn problem(status: StatusCode, code: &str, detail: String) -> Problem {
    Problem {
        kind: format!("urn:juchu:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        errors: Vec::new(),
        order_id: None,
        current_status: None,
        current_version: None,
    }
}

impl ApiError {
    pub fn to_problem(&self) -> Problem {
        use StatusCode as S;
        match self {
            ApiError::BadRequest(d) => problem(S::BAD_REQUEST, "bad_request", d.clone()),
            ApiError::Unauthorized => problem(
                S::UNAUTHORIZED,
                "unauthorized",
                "send `Authorization: Bearer <api key>`; the key was missing or unknown".into(),
            ),
            ApiError::Forbidden(d) => problem(S::FORBIDDEN, "forbidden", d.clone()),
            ApiError::NotFound(d) => problem(S::NOT_FOUND, "not_found", d.clone()),
            ApiError::PayloadTooLarge => problem(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the request body is larger than {} bytes (1 MiB), the limit of every route",
                    juchu_domain::limits::MAX_BODY_BYTES
                ),
            ),
            ApiError::IdempotencyKeyReused => problem(
                S::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request body".into(),
            ),
            ApiError::RequestInProgress => problem(
                S::CONFLICT,
                "request_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly"
                    .into(),
            ),
            ApiError::InvalidSignature(d) => {
                problem(S::UNAUTHORIZED, "invalid_signature", d.clone())
            }
            ApiError::StaleTimestamp(d) => problem(S::UNAUTHORIZED, "stale_timestamp", d.clone()),
            ApiError::ReplayedDelivery(d) => problem(S::CONFLICT, "replayed_delivery", d.clone()),
            ApiError::Status(status, detail) => {
                let code = match status.as_u16() {
                    401 => "unauthorized",
                    403 => "forbidden",
                    404 => "not_found",
                    405 => "method_not_allowed",
                    413 => "payload_too_large",
                    s if s >= 500 => "internal",
                    _ => "bad_request",
                };
                problem(*status, code, detail.clone())
            }
            ApiError::App(e) => match e {
                AppError::NotFound(what) => {
                    problem(S::NOT_FOUND, "not_found", format!("{what} not found"))
                }
                AppError::Invalid(errors) => {
                    let detail = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    Problem {
                        errors: errors.clone(),
                        ..problem(S::UNPROCESSABLE_ENTITY, "validation_failed", detail)
                    }
                }
                AppError::InvalidTransition { status, detail } => Problem {
                    current_status: *status,
                    ..problem(S::CONFLICT, "invalid_transition", detail.clone())
                },
                AppError::VersionConflict { current } => Problem {
                    current_version: Some(*current),
                    ..problem(S::PRECONDITION_FAILED, "version_conflict", e.to_string())
                },
                AppError::InsufficientStock { .. } => {
                    problem(S::CONFLICT, "insufficient_stock", e.to_string())
                }
                AppError::InsufficientPoints {
                    customer_id,
                    balance,
                    wanted,
                } => {
                    let message = format!(
                        "{wanted} points asked for, but customer {customer_id} has a balance of {balance}"
                    );
                    Problem {
                        errors: vec![FieldError::new("points_used", message.clone())],
                        ..problem(
                            S::UNPROCESSABLE_ENTITY,
                            "validation_failed",
                            format!("points_used: {message}"),
                        )
                    }
                }
                AppError::DuplicateOrder { order_id } => Problem {
                    order_id: Some(order_id.clone()),
                    ..problem(
                        S::CONFLICT,
                        "duplicate_order",
                        format!("an order with this channel and external_id exists: {order_id}"),
                    )
                },
                AppError::Forbidden(d) => problem(S::FORBIDDEN, "forbidden", d.clone()),
                AppError::Busy => problem(S::CONFLICT, "conflict", e.to_string()),
                AppError::Mail(inner) => {
                    tracing::error!(error = %inner, "mail failure");
                    problem(
                        S::BAD_GATEWAY,
                        "mail_failed",
                        "sending an e-mail failed; it has been logged".into(),
                    )
                }
                AppError::Unavailable(d) => {
                    problem(S::SERVICE_UNAVAILABLE, "provider_unavailable", d.clone())
                }
                AppError::Store(inner) => {
                    tracing::error!(error = %inner, "storage failure");
                    problem(
                        S::INTERNAL_SERVER_ERROR,
                        "internal",
                        "an internal error occurred; it has been logged".into(),
                    )
                }
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = self.to_problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
