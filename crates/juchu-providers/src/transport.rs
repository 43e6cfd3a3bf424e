//! HTTP with a per-call timeout and retries with exponential backoff.
//!
//! A call is retried on transport errors, timeouts, HTTP 5xx, 408 and 429, and on whatever the
//! provider's decoder calls transient (GMO-PG's `E90`/`E92` "busy" codes). It is never retried on
//! a business answer (a decline, a refused state change). The request is rebuilt from the same
//! closure on every attempt, so a mutating call carries the SAME idempotency key each time and the
//! provider replays its first answer instead of applying the change again.

use crate::config::HttpSettings;
use crate::error::{Provider, ProviderError};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The key that makes a mutating call safe to repeat. The caller keeps it with the work it
/// belongs to (a job, an order event) and passes the same key when that work is tried again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1–64 printable ASCII characters without spaces (what HTTP headers and the providers take).
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidIdempotencyKey(key));
        }
        Ok(IdempotencyKey(key))
    }

    /// A fresh random key (UUID v7).
    pub fn random() -> Self {
        IdempotencyKey(uuid::Uuid::now_v7().simple().to_string())
    }

    /// A key for one step of a multi-step call (`{key}.{step}`), the same for the same step.
    /// When that would pass 64 characters, the key part becomes the first 32 hex digits of its
    /// SHA-256 (`{digest}.{step}`), so distinct keys stay distinct.
    pub fn step(&self, step: &str) -> IdempotencyKey {
        let step: String = step
            .chars()
            .filter(char::is_ascii_graphic)
            .take(31)
            .collect();
        let full = format!("{}.{step}", self.0);
        if full.len() <= 64 {
            return IdempotencyKey(full);
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        IdempotencyKey(format!("{hex}.{step}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key that is empty, too long or not printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency key {0:?} must be 1-64 printable ASCII characters without spaces")]
pub struct InvalidIdempotencyKey(pub String);

/// What a provider answered, before decoding.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// The body as text (lossy for bytes that are not UTF-8).
    pub body: String,
    /// The body as sent (a Shift_JIS statement file, for one).
    pub bytes: Vec<u8>,
}

/// How a decoder judged an answer.
pub enum Verdict<T> {
    /// Final: a value or a typed error. Not retried.
    Done(Result<T, ProviderError>),
    /// Transient (a busy code in a 200 body): retried like a 5xx.
    Retry(String),
}

/// Counts of one client's HTTP attempts (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportStats {
    /// Requests sent, retries included.
    pub attempts: u64,
    /// Attempts that failed transiently (transport error, timeout, 5xx, busy code).
    pub transient_failures: u64,
}

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    transient_failures: AtomicU64,
}

/// An HTTP client for one provider.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    provider: Provider,
    settings: HttpSettings,
    counters: Arc<Counters>,
}

impl HttpTransport {
    pub fn new(provider: Provider, settings: HttpSettings) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.timeout())
            .build()
            .map_err(|e| {
                ProviderError::invalid(provider, "client setup", format!("HTTP client: {e}"))
            })?;
        Ok(HttpTransport {
            client,
            provider,
            settings,
            counters: Arc::default(),
        })
    }

    pub fn stats(&self) -> TransportStats {
        TransportStats {
            attempts: self.counters.attempts.load(Ordering::Relaxed),
            transient_failures: self.counters.transient_failures.load(Ordering::Relaxed),
        }
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The longest delay before attempt `attempt + 1` (attempt counts from 1); the delay slept
    /// is between half of it and all of it.
    pub fn backoff(&self, attempt: u32) -> Duration {
        backoff(&self.settings, attempt)
    }

    /// Sends the request `build` makes, up to `max_attempts` times, and decodes the answer.
    pub async fn call<T>(
        &self,
        operation: &'static str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        decode: impl Fn(&RawResponse) -> Verdict<T>,
    ) -> Result<T, ProviderError> {
        let max = self.settings.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=max {
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let sent = build(&self.client)
                .timeout(self.settings.timeout())
                .send()
                .await;
            let transient = match sent {
                Err(e) => describe(&e),
                Ok(response) => {
                    let status = response.status().as_u16();
                    match response.bytes().await {
                        Err(e) => describe(&e),
                        Ok(bytes) => {
                            let body = String::from_utf8_lossy(&bytes).into_owned();
                            if status >= 500 || status == 408 || status == 429 {
                                format!("HTTP {status}: {}", snippet(&body))
                            } else {
                                let raw = RawResponse {
                                    status,
                                    body,
                                    bytes: bytes.to_vec(),
                                };
                                match decode(&raw) {
                                    Verdict::Done(result) => return result,
                                    Verdict::Retry(detail) => detail,
                                }
                            }
                        }
                    }
                }
            };
            self.counters
                .transient_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                provider = %self.provider,
                operation,
                attempt,
                max_attempts = max,
                error = %transient,
                "provider call failed; retrying with the same idempotency key"
            );
            last = transient;
            if attempt < max {
                tokio::time::sleep(jittered(self.backoff(attempt))).await;
            }
        }
        Err(ProviderError::Unavailable {
            provider: self.provider,
            operation,
            attempts: max,
            detail: last,
        })
    }
}

/// The longest wait before attempt `attempt + 1`: `initial × 2^(attempt−1)`, capped.
pub(crate) fn backoff(settings: &HttpSettings, attempt: u32) -> Duration {
    let factor = 2u64.saturating_pow(attempt.saturating_sub(1));
    let ms = settings
        .initial_backoff_ms
        .saturating_mul(factor)
        .min(settings.max_backoff_ms);
    Duration::from_millis(ms)
}

/// The wait actually slept: between half of [`backoff`] and all of it ("equal jitter").
pub(crate) fn jittered(max: Duration) -> Duration {
    use rand::Rng;
    let half = max / 2;
    let extra_ms = rand::rng().random_range(0..=(max - half).as_millis() as u64);
    half + Duration::from_millis(extra_ms)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("timed out: {e}")
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        format!("transport error: {e}")
    }
}

/// The first 200 characters of a body, for error messages.
pub(crate) fn snippet(body: &str) -> String {
    let mut s: String = body.chars().take(200).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = HttpSettings {
            timeout_ms: 1000,
            max_attempts: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
        };
        let got: Vec<u64> = (1..=6).map(|a| backoff(&s, a).as_millis() as u64).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn idempotency_keys_are_checked_and_steps_are_stable() {
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("has space").is_err());
        assert!(IdempotencyKey::new("x".repeat(65)).is_err());
        let k = IdempotencyKey::new("order-1.capture-1").unwrap();
        assert_eq!(k.step("entry").as_str(), "order-1.capture-1.entry");
        assert_eq!(k.step("entry"), k.step("entry"));
        let long = IdempotencyKey::new("k".repeat(64)).unwrap();
        let step = long.step("exec");
        assert_eq!(step.as_str().len(), 32 + ".exec".len());
        assert!(step.as_str().ends_with(".exec"));
        assert_eq!(step, long.step("exec"));
        // Two long keys that share their end stay apart.
        let other = IdempotencyKey::new(format!("x{}", "k".repeat(63))).unwrap();
        assert_ne!(other.step("exec"), step);
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_backoff() {
        for _ in 0..200 {
            let d = jittered(Duration::from_millis(100));
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(100));
        }
        assert_eq!(jittered(Duration::ZERO), Duration::ZERO);
    }
}
