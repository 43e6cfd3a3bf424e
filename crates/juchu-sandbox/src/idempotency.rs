//! Idempotency keys on every mutating call: header `Idempotency-Key` (or Amazon's
//! `x-amz-pay-idempotency-key`). The first response for (method, path, key) is stored and replayed
//! byte for byte for a repeat, with `Idempotent-Replayed: true`; a repeat with a different body is
//! refused (422). Keys are checked and responses stored under one lock, so two concurrent calls
//! with one key apply once. (GMO's own OrderID uniqueness is handled in card.rs.)

use crate::{S, json_error};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const MAX_BODY: usize = 8 * 1024 * 1024;

pub(crate) struct Stored {
    body_hash: [u8; 32],
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

#[derive(Default)]
pub(crate) struct Store {
    map: HashMap<(String, String, String), Stored>,
}

fn key_of(req: &Request) -> Option<String> {
    let h = req.headers();
    h.get("idempotency-key")
        .or_else(|| h.get("x-amz-pay-idempotency-key"))
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn replay(st: &Stored) -> Response {
    let mut r = (st.status, st.body.clone()).into_response();
    if let Some(ct) = &st.content_type {
        r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

pub(crate) async fn middleware(State(s): State<S>, req: Request, next: Next) -> Response {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(key) = key_of(&req).filter(|_| mutating) else {
        return next.run(req).await;
    };
    if key.len() > 255 {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_idempotency_key",
            "Idempotency-Key must be at most 255 characters",
        );
    }
    let id = (req.method().to_string(), req.uri().path().to_owned(), key);
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &e.to_string(),
            );
        }
    };
    let body_hash: [u8; 32] = Sha256::digest(&bytes).into();
    let _guard = s.apply.lock().await;
    if let Some(st) = s.world().idem.map.get(&id) {
        if st.body_hash != body_hash {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used before with a different request body",
            );
        }
        return replay(st);
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (rparts, rbody) = resp.into_parts();
    let rbytes = match axum::body::to_bytes(rbody, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &e.to_string(),
            );
        }
    };
    // A 5xx is not stored: the call did not apply, so a retry should really run.
    if !rparts.status.is_server_error() {
        s.world().idem.map.insert(
            id,
            Stored {
                body_hash,
                status: rparts.status,
                content_type: rparts.headers.get(header::CONTENT_TYPE).cloned(),
                body: rbytes.clone(),
            },
        );
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
