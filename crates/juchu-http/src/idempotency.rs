//! `Idempotency-Key` on any POST: the same key with the same body returns the first response again
//! and does nothing else; the same key with another body → 422 `idempotency_key_reused`.
//!
//! Keys are scoped per API key. A key is reserved before the request runs, so two concurrent
//! requests with one key never both run (the second gets 409 `request_in_progress`). Responses
//! below 500 are kept; a 5xx releases the key so that a retry can run.
//!
//! A running request refreshes its reservation every [`HEARTBEAT`]; a reservation with no sign of
//! life for [`STALE_AFTER`] belongs to a request that died with its server (a crash, a SIGKILL),
//! and a retry takes it over and runs. So after a restart a client's retry waits seconds, not
//! minutes, and a slow request is never run twice.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use juchu_store::IdempotencyState;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The largest request body of any route (413 `payload_too_large` beyond).
pub const MAX_BODY: usize = juchu_domain::limits::MAX_BODY_BYTES;

/// How often a running request refreshes its reservation.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A reservation not refreshed for this long (three heartbeats) is taken over by a retry.
const STALE_AFTER: SignedDuration = SignedDuration::from_secs(15);

pub async fn idempotency(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 => k.to_owned(),
        _ => {
            return ApiError::BadRequest(
                "Idempotency-Key must be 1–255 visible ASCII characters".into(),
            )
            .into_response();
        }
    };
    let scope = {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or(b"");
        hex::encode(&Sha256::digest(auth)[..16])
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let hash = {
        let mut h = Sha256::new();
        h.update(parts.uri.path().as_bytes());
        h.update([0]);
        h.update(&bytes);
        hex::encode(h.finalize())
    };
    let now = s.app.now();
    let stale = now.checked_sub(STALE_AFTER).unwrap_or(now);
    let state = match s
        .app
        .store
        .idempotency_begin(&scope, &key, &hash, now, stale)
        .await
    {
        Ok(st) => st,
        Err(e) => return ApiError::App(e.into()).into_response(),
    };
    match state {
        IdempotencyState::InProgress => ApiError::RequestInProgress.into_response(),
        IdempotencyState::Done { hash: h, .. } if h != hash => {
            ApiError::IdempotencyKeyReused.into_response()
        }
        IdempotencyState::Done { status, body, .. } => replay(status, body),
        IdempotencyState::Reserved => {
            let run = next.run(Request::from_parts(parts, Body::from(bytes)));
            let resp = alive(&s, &scope, &key, run).await;
            let status = resp.status();
            let (rparts, rbody) = resp.into_parts();
            let rbytes = match to_bytes(rbody, 64 * 1024 * 1024).await {
                Ok(b) => b,
                Err(_) => {
                    let _ = s.app.store.idempotency_abandon(&scope, &key).await;
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            let kept = if status.is_server_error() {
                s.app.store.idempotency_abandon(&scope, &key).await
            } else {
                s.app
                    .store
                    .idempotency_finish(&scope, &key, status.as_u16(), &rbytes)
                    .await
            };
            if let Err(e) = kept {
                tracing::warn!(error = %e, "could not record the idempotent response");
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}

/// Runs the request, refreshing its reservation every [`HEARTBEAT`] while it runs.
async fn alive(
    s: &AppState,
    scope: &str,
    key: &str,
    run: impl Future<Output = Response>,
) -> Response {
    tokio::pin!(run);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            resp = &mut run => return resp,
            _ = beat.tick() => {
                if let Err(e) = s.app.store.idempotency_touch(scope, key, s.app.now()).await {
                    tracing::warn!(error = %e, "could not refresh an idempotency reservation");
                }
            }
        }
    }
}

fn replay(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let ct = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
