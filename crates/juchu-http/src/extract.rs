//! Parsing at the edge: JSON bodies, ids in paths, `If-Match`.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use juchu_domain::{OrderId, ShipmentId, limits};
use serde::de::DeserializeOwned;

/// Parses a JSON body: malformed JSON → 400 `bad_request`; well-formed JSON of the wrong shape →
/// 422 `validation_failed` naming the field.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest("the request needs a JSON body".into()));
    }
    // Depth, string lengths, list sizes and NUL characters (PostgreSQL cannot store NUL, so no
    // backend takes it), every violation named with its path and limit (docs/hostile-input.md).
    limits::check_json(body)
        .map_err(|errors| ApiError::App(juchu_app::AppError::Invalid(errors)))?;
    let de = &mut serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(de);
    parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        } else {
            let message = inner.to_string();
            // A missing field is reported at its parent; name the field itself.
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(name, _)| name);
            let field = match (path.as_str(), missing) {
                (".", Some(name)) => name.to_owned(),
                (_, Some(name)) => format!("{path}.{name}"),
                (".", None) => "body".to_owned(),
                _ => path,
            };
            ApiError::App(juchu_app::AppError::invalid(&field, message))
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

/// Query parameters: a value of the wrong type → 422 `validation_failed` naming the parameter
/// (axum's own `Query` answers in plain text).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // A NUL can only arrive as `%00`; PostgreSQL cannot compare with it.
        if let Some(param) = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find(|p| p.contains("%00")))
        {
            let name = param.split_once('=').map_or(param, |(k, _)| k);
            return Err(ApiError::App(juchu_app::AppError::invalid(
                name,
                "must not contain NUL characters",
            )));
        }
        // Long values are refused here, before any search or lookup spends time on them.
        if let Ok(axum::extract::Query(pairs)) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            && let Some((name, _)) = pairs
                .iter()
                .find(|(_, v)| v.chars().nth(limits::MAX_QUERY_CHARS).is_some())
        {
            return Err(ApiError::App(juchu_app::AppError::invalid(
                name,
                format!("must be at most {} characters", limits::MAX_QUERY_CHARS),
            )));
        }
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => {
                let text = e.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let (field, message) = detail.split_once(": ").unwrap_or(("query", detail));
                Err(ApiError::App(juchu_app::AppError::invalid(field, message)))
            }
        }
    }
}

/// Uploaded files (tracking import, Zengin statement): at most `MAX_UPLOAD_LINES` lines, so one
/// request cannot hold a connection for minutes; split larger files.
pub fn upload_lines(body: &[u8]) -> Result<(), ApiError> {
    let lines = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    if lines > limits::MAX_UPLOAD_LINES {
        return Err(ApiError::App(juchu_app::AppError::invalid(
            "file",
            format!(
                "{lines} lines; an upload takes at most {} lines, split the file",
                limits::MAX_UPLOAD_LINES
            ),
        )));
    }
    Ok(())
}
