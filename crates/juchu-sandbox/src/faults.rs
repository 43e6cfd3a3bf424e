//! Fault injection on the provider endpoints (everything outside `/_sandbox/`).
//!
//! Per request one seeded roll decides: fail (a 5xx in the provider's error shape, returned BEFORE
//! anything is applied), time out (sleep `timeout_ms` so the client gives up; by default the effect
//! IS applied first — the realistic nasty case, so a retry must find it through its idempotency
//! key — or, with `timeout_applies = false`, nothing is applied and a 504 follows the sleep), or go
//! through. Webhook faults (duplicates, out of order) are rolled in bank.rs when a deposit is sent.
//! A request may force one outcome with the header `X-Sandbox-Fault: fail | timeout`.

use crate::{S, json_error};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Share of provider calls (0.0–1.0) that fail with a 5xx before anything is applied.
    pub failure_rate: f64,
    /// Share of provider calls (0.0–1.0) that time out (sleep `timeout_ms`).
    pub timeout_rate: f64,
    /// How long a timed-out call sleeps before answering (make it longer than the client timeout).
    pub timeout_ms: u64,
    /// Whether a timed-out call is applied before the sleep (default true).
    pub timeout_applies: bool,
    /// Share of deposit webhooks delivered twice.
    pub duplicate_webhook_rate: f64,
    /// Share of deposit webhooks held back and delivered after the next one.
    pub out_of_order_webhook_rate: f64,
    /// A held-back webhook is sent anyway after this long without a next deposit (nothing is lost).
    pub out_of_order_hold_ms: u64,
    /// Seed of the fault RNG: the same seed and the same calls give the same faults.
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            failure_rate: 0.0,
            timeout_rate: 0.0,
            timeout_ms: 5_000,
            timeout_applies: true,
            duplicate_webhook_rate: 0.0,
            out_of_order_webhook_rate: 0.0,
            out_of_order_hold_ms: 2_000,
            seed: None,
        }
    }
}

impl FaultConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("failure_rate", self.failure_rate),
            ("timeout_rate", self.timeout_rate),
            ("duplicate_webhook_rate", self.duplicate_webhook_rate),
            ("out_of_order_webhook_rate", self.out_of_order_webhook_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "faults.{name} must be between 0.0 and 1.0, got {v}"
                ));
            }
        }
        if self.failure_rate + self.timeout_rate > 1.0 {
            return Err("faults.failure_rate + faults.timeout_rate must not exceed 1.0".into());
        }
        if self.timeout_ms > 600_000 {
            return Err("faults.timeout_ms must be at most 600000 (10 minutes)".into());
        }
        if self.out_of_order_hold_ms > 600_000 {
            return Err("faults.out_of_order_hold_ms must be at most 600000 (10 minutes)".into());
        }
        Ok(())
    }
}

pub(crate) async fn get_faults(State(s): State<S>) -> axum::Json<FaultConfig> {
    axum::Json(s.world().cfg.faults.clone())
}

/// `POST /_sandbox/faults`: the fields given replace the current ones; a `seed` re-seeds the RNG.
pub(crate) async fn set_faults(State(s): State<S>, body: axum::body::Bytes) -> Response {
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "expected a JSON object of fault settings",
            );
        }
        Err(e) => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                &e.to_string(),
            );
        }
    };
    let mut w = s.world();
    let mut current = match serde_json::to_value(&w.cfg.faults) {
        Ok(v) => v,
        Err(e) => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &e.to_string(),
            );
        }
    };
    if let (Some(cur), Some(new)) = (current.as_object_mut(), patch.as_object()) {
        for (k, v) in new {
            cur.insert(k.clone(), v.clone());
        }
    }
    let cfg: FaultConfig = match serde_json::from_value(current) {
        Ok(c) => c,
        Err(e) => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                &e.to_string(),
            );
        }
    };
    if let Err(e) = cfg.validate() {
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_faults", &e);
    }
    if patch.get("seed").is_some()
        && let Some(seed) = cfg.seed
    {
        w.rng = rand::rngs::StdRng::seed_from_u64(seed);
    }
    w.cfg.faults = cfg.clone();
    axum::Json(cfg).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Timeout,
}

/// The 5xx a failing provider sends, in that provider's error shape.
fn failure(path: &str, status: StatusCode) -> Response {
    if path.starts_with("/payment/") {
        (status, "ErrCode=E90&ErrInfo=E90000001").into_response()
    } else if path.starts_with("/np/") {
        (
            status,
            axum::Json(serde_json::json!({"errors": [{"codes": ["SANDBOX_FAULT"]}]})),
        )
            .into_response()
    } else if path.starts_with("/amazonpay/") {
        (
            status,
            axum::Json(serde_json::json!({
                "reasonCode": "ServiceUnavailable",
                "message": "sandbox fault injection"
            })),
        )
            .into_response()
    } else {
        json_error(status, "sandbox_fault", "sandbox fault injection")
    }
}

pub(crate) async fn middleware(State(s): State<S>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sandbox/") {
        return next.run(req).await;
    }
    let forced = req
        .headers()
        .get("x-sandbox-fault")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let (outcome, sleep_ms, applies) = {
        let mut w = s.world();
        let f = w.cfg.faults.clone();
        let outcome = match forced.as_deref() {
            Some("fail") => Outcome::Fail,
            Some("timeout") => Outcome::Timeout,
            _ if f.failure_rate + f.timeout_rate <= 0.0 => Outcome::Pass,
            _ => {
                let r: f64 = w.rng.random();
                if r < f.failure_rate {
                    Outcome::Fail
                } else if r < f.failure_rate + f.timeout_rate {
                    Outcome::Timeout
                } else {
                    Outcome::Pass
                }
            }
        };
        (outcome, f.timeout_ms, f.timeout_applies)
    };
    match outcome {
        Outcome::Pass => next.run(req).await,
        Outcome::Fail => failure(&path, StatusCode::SERVICE_UNAVAILABLE),
        Outcome::Timeout if applies => {
            let resp = next.run(req).await;
            tokio::time::sleep(std::time::Duration::from_millis(sleep_ms)).await;
            resp
        }
        Outcome::Timeout => {
            tokio::time::sleep(std::time::Duration::from_millis(sleep_ms)).await;
            failure(&path, StatusCode::GATEWAY_TIMEOUT)
        }
    }
}
