//! Tracking-number import (B2 / e飛伝 / generic CSV) and carrier delivery webhooks.

use crate::audit::AuditNote;
use crate::auth::{Auth, roles};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Query, json_body, upload_lines};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use juchu_app::{AppError, CarrierEvent, EventOutcome, TrackingImport};
use juchu_domain::Actor;
use juchu_domain::carrier::Carrier;
use juchu_formats::TrackingFormat;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The plain shared-secret header of earlier versions: refused with a pointer to signing, since a
/// secret sent as it is can be replayed by anyone who sees one request.
const OLD_SECRET_HEADER: &str = "x-juchu-webhook-secret";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tracking_import))
        .routes(routes!(carrier_webhook))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportParams {
    /// yamato-b2 | sagawa-ehiden | japanpost-history | csv
    format: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/shipments/tracking-import", tag = "shipping", params(ImportParams),
    request_body(content = String, description = "The file: B2 issued data, e飛伝 re-export, ゆうプリR 発送履歴 (also records deliveries) or `shipment_id,carrier,tracking_number[,shipped_at]`; Shift_JIS or UTF-8", content_type = "text/csv"),
    responses((status = 200, description = "Row by row: shipped, already_shipped or error", body = TrackingImport), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn tracking_import(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<TrackingImport>> {
    auth.require(roles::SHIPPING)?;
    upload_lines(&body)?;
    let name = p.format.as_deref().unwrap_or("");
    let format = TrackingFormat::parse(name).ok_or_else(|| {
        AppError::invalid(
            "format",
            format!(
                "`{name}` is not available; use yamato-b2, sagawa-ehiden, japanpost-history or csv"
            ),
        )
    })?;
    let result = s
        .app
        .import_tracking(format, &body, &auth.actor(), &mut |_, _| {})
        .await?;
    Ok(Json(result))
}

#[utoipa::path(post, path = "/webhooks/carriers/{carrier}", tag = "shipping", params(("carrier" = String, Path, description = "yamato, sagawa, japanpost, seino, fukuyama")),
    request_body(content = CarrierEvent, description = "Authenticate with a warehouse/operator API key, or sign the request with `[carriers] webhook_secret`: `X-Juchu-Timestamp`, `X-Juchu-Delivery` and `X-Juchu-Signature` as for `/webhooks/bank/deposits` (docs/security.md)"),
    responses((status = 200, description = "Applied, ignored (out of order) or a duplicate", body = EventOutcome),
        (status = 401, description = "no key, invalid_signature or stale_timestamp", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "replayed_delivery", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn carrier_webhook(
    State(s): State<AppState>,
    auth: Result<Auth, ApiError>,
    note: AuditNote,
    Path(carrier): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<EventOutcome>> {
    let actor = webhook_actor(&s, auth, &note, &headers, &carrier, &body).await?;
    let carrier: Carrier = serde_json::from_value(serde_json::Value::String(carrier.clone()))
        .map_err(|_| ApiError::NotFound(format!("carrier `{carrier}`")))?;
    let ev: CarrierEvent = json_body(&body)?;
    note.target(ev.tracking_number.clone());
    let out = s.app.carrier_event(carrier, &ev, &actor).await?;
    if let Some(order) = out.order_id {
        note.target(order.to_string());
    }
    Ok(Json(out))
}

/// A webhook is from a warehouse/operator API key, or signed with the configured secret.
async fn webhook_actor(
    s: &AppState,
    auth: Result<Auth, ApiError>,
    note: &AuditNote,
    headers: &HeaderMap,
    carrier: &str,
    body: &[u8],
) -> Result<Actor, ApiError> {
    if crate::signed::is_signed(headers) {
        let source = format!("carrier:{carrier}");
        let secret = &s.app.carriers.webhook_secret;
        crate::signed::accept(s, note, &source, secret, headers, body).await?;
        return Ok(Actor::Service { name: source });
    }
    if headers.contains_key(OLD_SECRET_HEADER) {
        return Err(ApiError::InvalidSignature(
            "X-Juchu-Webhook-Secret is no longer accepted: sign the request with the secret \
             (X-Juchu-Timestamp, X-Juchu-Delivery, X-Juchu-Signature; docs/security.md)"
                .into(),
        ));
    }
    let auth = auth?;
    auth.require(roles::SHIPPING)?;
    Ok(auth.actor())
}
