//! Signed webhooks (docs/security.md "Webhook signatures"): how a sender signs one delivery and how
//! juchu checks it. One implementation for both sides, so the sandbox bank, the tests and the
//! server cannot drift apart.
//!
//! A delivery carries three headers:
//! - `X-Juchu-Timestamp`: Unix time in seconds when this attempt was sent;
//! - `X-Juchu-Delivery`: an id unique to this attempt (`[A-Za-z0-9_:-]`, 1–200 characters);
//! - `X-Juchu-Signature`: `sha256=` and the hex HMAC-SHA256, under the shared secret, of
//!   `{timestamp}.{delivery}.{raw body}`.
//!
//! The timestamp and the delivery id are inside the signed bytes, so neither can be changed without
//! the secret; neither may contain a `.`, so the three parts cannot be shifted against each other.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "X-Juchu-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Juchu-Delivery";
pub const SIGNATURE_HEADER: &str = "X-Juchu-Signature";
/// How far a timestamp may be from the receiver's clock, either way, by default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
pub const MAX_DELIVERY_ID: usize = 200;

/// Why a delivery is not accepted as signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the {0} header is malformed: {1}")]
    Malformed(&'static str, &'static str),
    #[error("the signature does not match the body, timestamp and delivery id")]
    Mismatch,
}

/// `None` only if the MAC refused the key, which HMAC never does (it takes keys of any length).
fn mac(secret: &[u8], timestamp: i64, delivery: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(delivery.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `X-Juchu-Signature` value for one delivery.
pub fn sign(secret: &[u8], timestamp: i64, delivery: &str, body: &[u8]) -> String {
    match mac(secret, timestamp, delivery, body) {
        Some(m) => format!("sha256={}", hex::encode(m.finalize().into_bytes())),
        None => String::new(),
    }
}

/// Whether `id` is a well-formed delivery id.
pub fn valid_delivery_id(id: &str) -> bool {
    (1..=MAX_DELIVERY_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':' || b == b'-')
}

/// Checks the three header values (`None`: header absent) against `secret` and `body`; returns
/// the timestamp. The tag is compared in constant time (`Mac::verify_slice`). Freshness and replay
/// are the receiver's to check, with its clock and its record of deliveries.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    delivery: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<i64, Unverified> {
    let ts = timestamp
        .ok_or(Unverified::Missing(TIMESTAMP_HEADER))?
        .trim();
    let delivery = delivery.ok_or(Unverified::Missing(DELIVERY_HEADER))?.trim();
    let sig = signature
        .ok_or(Unverified::Missing(SIGNATURE_HEADER))?
        .trim();
    if ts.is_empty() || ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Unverified::Malformed(
            TIMESTAMP_HEADER,
            "expected Unix time in seconds",
        ));
    }
    let ts: i64 = ts
        .parse()
        .map_err(|_| Unverified::Malformed(TIMESTAMP_HEADER, "expected Unix time in seconds"))?;
    if !valid_delivery_id(delivery) {
        return Err(Unverified::Malformed(
            DELIVERY_HEADER,
            "expected 1–200 characters of A–Z, a–z, 0–9, `_`, `:` or `-`",
        ));
    }
    let hex_tag = sig.strip_prefix("sha256=").unwrap_or(sig);
    let tag = hex::decode(hex_tag).map_err(|_| {
        Unverified::Malformed(SIGNATURE_HEADER, "expected sha256= and 64 hex digits")
    })?;
    if secret.is_empty() {
        return Err(Unverified::Mismatch);
    }
    mac(secret, ts, delivery, body)
        .ok_or(Unverified::Mismatch)?
        .verify_slice(&tag)
        .map_err(|_| Unverified::Mismatch)?;
    Ok(ts)
}

/// Whether a delivery signed at `timestamp` may still be accepted at `now` (both Unix seconds).
pub fn fresh(timestamp: i64, now: i64, tolerance_secs: i64) -> bool {
    now.abs_diff(timestamp) <= tolerance_secs.max(0).unsigned_abs()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"event_id":"dep-1"}"#;

    #[test]
    fn a_signed_delivery_verifies_and_any_change_breaks_it() {
        let sig = sign(b"s3cret", 1_700_000_000, "d-1", BODY);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        let ok = |ts: &str, d: &str, s: &str, body: &[u8]| {
            verify(b"s3cret", Some(ts), Some(d), Some(s), body)
        };
        assert_eq!(ok("1700000000", "d-1", &sig, BODY), Ok(1_700_000_000));
        assert_eq!(ok("1700000000", "d-1", &sig[7..], BODY), Ok(1_700_000_000));
        assert_eq!(
            ok("1700000001", "d-1", &sig, BODY),
            Err(Unverified::Mismatch)
        );
        assert_eq!(
            ok("1700000000", "d-2", &sig, BODY),
            Err(Unverified::Mismatch)
        );
        assert_eq!(
            ok("1700000000", "d-1", &sig, b"{}"),
            Err(Unverified::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some("1700000000"), Some("d-1"), Some(&sig), BODY),
            Err(Unverified::Mismatch)
        );
        assert_eq!(
            verify(b"", Some("1700000000"), Some("d-1"), Some(&sig), BODY),
            Err(Unverified::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_named() {
        let sig = sign(b"k", 1, "d", BODY);
        assert_eq!(
            verify(b"k", None, Some("d"), Some(&sig), BODY),
            Err(Unverified::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(b"k", Some("1"), None, Some(&sig), BODY),
            Err(Unverified::Missing(DELIVERY_HEADER))
        );
        assert_eq!(
            verify(b"k", Some("1"), Some("d"), None, BODY),
            Err(Unverified::Missing(SIGNATURE_HEADER))
        );
        for ts in ["", "-1", "1.5", "abc", "9999999999999"] {
            assert!(matches!(
                verify(b"k", Some(ts), Some("d"), Some(&sig), BODY),
                Err(Unverified::Malformed(TIMESTAMP_HEADER, _))
            ));
        }
        for d in ["", "a.b", "a b", &"x".repeat(201)] {
            assert!(matches!(
                verify(b"k", Some("1"), Some(d), Some(&sig), BODY),
                Err(Unverified::Malformed(DELIVERY_HEADER, _))
            ));
        }
        assert!(matches!(
            verify(b"k", Some("1"), Some("d"), Some("sha256=zz"), BODY),
            Err(Unverified::Malformed(SIGNATURE_HEADER, _))
        ));
    }

    #[test]
    fn freshness_is_symmetric_and_inclusive() {
        assert!(fresh(1000, 1300, 300));
        assert!(fresh(1300, 1000, 300));
        assert!(!fresh(1000, 1301, 300));
        assert!(!fresh(1301, 1000, 300));
        assert!(fresh(5, 5, 0));
    }
}
