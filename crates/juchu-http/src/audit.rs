//! Request ids and the audit trail of the API (docs/security.md "Audit log").
//!
//! Every request gets an `X-Request-Id` (the caller's, when it sent a sane one) on its response and
//! in its log span. Every mutating request (POST, PUT, PATCH, DELETE) to a known route whose
//! caller is identified — by an API key, or by a webhook signature — is recorded after its
//! response, whatever its outcome: who, the route template, the target (the first path parameter, or what the handler
//! names), the status and the request id. Recording only queues the entry (`App::audit_request`);
//! the audit writer stores them in batches.

use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What the handler learnt about the request for its audit entry: who (the `Auth` extractor, a
/// webhook's signature check) and, where the path does not say it, the target (a created id).
#[derive(Clone, Default)]
pub struct AuditNote(Arc<Mutex<Note>>);

#[derive(Default)]
struct Note {
    actor: Option<String>,
    target: Option<String>,
}

impl AuditNote {
    pub fn actor(&self, label: String) {
        if let Ok(mut n) = self.0.lock() {
            n.actor = Some(label);
        }
    }

    pub fn target(&self, target: impl Into<String>) {
        if let Ok(mut n) = self.0.lock() {
            n.target = Some(target.into());
        }
    }

    fn take(&self) -> Note {
        self.0
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuditNote {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<AuditNote>()
            .cloned()
            .unwrap_or_default())
    }
}

/// A request id the caller sent that is safe to log and echo: 1–100 visible ASCII characters.
fn sane(v: &HeaderValue) -> bool {
    (1..=100).contains(&v.len()) && v.as_bytes().iter().all(|b| b.is_ascii_graphic())
}

/// Outermost layer: makes sure the request has an `X-Request-Id` (so the log span and the audit
/// entry carry it) and answers with it.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = match req.headers().get(REQUEST_ID_HEADER) {
        Some(v) if sane(v) => v.clone(),
        _ => HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .unwrap_or(HeaderValue::from_static("-")),
    };
    req.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(REQUEST_ID_HEADER, id);
    resp
}

fn mutating(m: &Method) -> bool {
    *m == Method::POST || *m == Method::PUT || *m == Method::PATCH || *m == Method::DELETE
}

/// Records the audit entry of a mutating request after its response.
pub async fn record(
    State(s): State<AppState>,
    matched: Option<MatchedPath>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let (Some(matched), true) = (matched, mutating(req.method())) else {
        return next.run(req).await;
    };
    let action = format!("{} {}", req.method(), matched.as_str());
    let from_path = params
        .ok()
        .and_then(|p| p.iter().next().map(|(_, v)| v.to_owned()));
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bearer = req.headers().get(header::AUTHORIZATION).cloned();
    let note = AuditNote::default();
    req.extensions_mut().insert(note.clone());
    let resp = next.run(req).await;
    let status = resp.status();
    let Note { actor, target } = note.take();
    let actor = match actor {
        Some(a) => Some(a),
        // The handler did not run (an idempotent replay, a body too large, …): the key says who.
        None if status != StatusCode::UNAUTHORIZED => key_actor(&s, bearer.as_ref()).await,
        None => None,
    };
    // A caller nobody could identify is not recorded: anyone can send those, and metrics count them.
    if let Some(actor) = actor {
        s.app.audit_request(
            &actor,
            &action,
            target.or(from_path).as_deref(),
            status.as_u16(),
            request_id.as_deref(),
        );
    }
    resp
}

async fn key_actor(s: &AppState, bearer: Option<&HeaderValue>) -> Option<String> {
    let secret = crate::auth::bearer_secret(bearer?)?;
    let auth = match s.key_cache.get(secret) {
        Some(a) => a,
        None => {
            let key = s.app.authenticate(secret).await.ok()??;
            crate::auth::Auth {
                key_id: key.id,
                role: key.role,
            }
        }
    };
    Some(auth.actor().label())
}
