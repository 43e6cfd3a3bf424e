//! Parsing at the edge: JSON bodies, ids in paths, `If-Match`.

use crate::error::ApiError;
use axum::http::HeaderMap;
use juchu_domain::{OrderId, ShipmentId};
use serde::de::DeserializeOwned;

/// Parses a JSON body: malformed JSON → 400 `bad_request`; well-formed JSON of the wrong shape →
/// 422 `validation_failed` naming the field.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest("the request needs a JSON body".into()));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(de);
    parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        } else {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::App(juchu_app::AppError::invalid(&field, inner.to_string()))
        }
    })
}

pub fn order_id(s: &str) -> Result<OrderId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("order {s} not found")))
}

pub fn shipment_id(s: &str) -> Result<ShipmentId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("shipment {s} not found")))
}

/// `If-Match: 3`, `"3"` or `W/"3"` → `Some(3)`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse::<i64>().map(Some).map_err(|_| {
        ApiError::BadRequest(format!(
            "If-Match must be the order's version (a number), not `{s}`"
        ))
    })
}
