//! Signed webhooks, server side (docs/security.md "Webhook signatures"): the signature
//! (juchu_formats::webhook), the timestamp tolerance, and replays refused.

use crate::audit::AuditNote;
use crate::error::ApiError;
use crate::state::AppState;
use axum::http::HeaderMap;
use jiff::{SignedDuration, Timestamp};
use juchu_app::AppError;
use juchu_formats::webhook;

/// Whether the request claims to be signed (then no API key is looked for).
pub fn is_signed(headers: &HeaderMap) -> bool {
    headers.contains_key(webhook::SIGNATURE_HEADER)
}

/// Accepts one delivery from `source` (`bank`, `carrier:yamato`, …) signed with `secret`: the
/// signature must match, the timestamp be within `webhook_tolerance_secs` of the server's clock,
/// and the delivery id be new. The caller is then noted for the audit log as `service:{source}`.
pub async fn accept(
    s: &AppState,
    note: &AuditNote,
    source: &str,
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    if secret.is_empty() {
        return Err(ApiError::InvalidSignature(format!(
            "no webhook secret is configured for {source}, so no delivery can be verified"
        )));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let ts = webhook::verify(
        secret.as_bytes(),
        header(webhook::TIMESTAMP_HEADER),
        header(webhook::DELIVERY_HEADER),
        header(webhook::SIGNATURE_HEADER),
        body,
    )
    .map_err(|e| ApiError::InvalidSignature(e.to_string()))?;
    note.actor(format!("service:{source}"));
    // The sender's clock against the real one, not the app's clock (tests move that one to run
    // deadlines; transport freshness is about now).
    let now = Timestamp::now();
    let tolerance = s.app.policies.webhook_tolerance_secs.max(0);
    if !webhook::fresh(ts, now.as_second(), tolerance) {
        return Err(ApiError::StaleTimestamp(format!(
            "{} {ts} is {} s away from the server's clock; at most {tolerance} s are accepted \
             (sign every attempt when it is sent)",
            webhook::TIMESTAMP_HEADER,
            now.as_second().abs_diff(ts),
        )));
    }
    let id = header(webhook::DELIVERY_HEADER).unwrap_or_default().trim();
    // A delivery can be replayed while its timestamp is fresh: at most 2 × tolerance after it
    // was first received. Older records can go.
    let forget_before = now
        .checked_sub(SignedDuration::from_secs(2 * tolerance))
        .unwrap_or(now);
    let first = s
        .app
        .store
        .claim_webhook_delivery(source, id, now, forget_before)
        .await
        .map_err(AppError::from)?;
    if !first {
        return Err(ApiError::ReplayedDelivery(format!(
            "delivery {id} was received before; a new attempt needs a new {}",
            webhook::DELIVERY_HEADER
        )));
    }
    Ok(())
}
