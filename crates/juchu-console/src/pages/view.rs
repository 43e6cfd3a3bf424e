//! Small helpers of the bulk-work and master-data pages: writing times and yen, reading form
//! numbers, and answering a form post with a redirect and a flash message.

use crate::ctx::{ConsoleState, Flash};
use crate::error::ConsoleError;
use axum::response::Response;
use jiff::Timestamp;
use jiff::tz::{TimeZone, offset};
use juchu_app::AppError;

/// `2026-05-01 14:03` in Japan time (JST has no daylight saving, so +09:00 is exact).
pub fn jst(at: Timestamp) -> String {
    at.to_zoned(TimeZone::fixed(offset(9)))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// `¥1,234`.
pub fn yen(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 5);
    if n < 0 {
        out.push('-');
    }
    out.push('¥');
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The API's name of an enum value (`awaiting_payment`), from its serde form.
pub fn code_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A form's number field: blank is `None`, anything else must parse (else a refusal naming it).
pub fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| {
        AppError::invalid(
            field,
            format!("`{t}` は数値ではありません / is not a number"),
        )
    })
}

/// A form's text field: trimmed, blank is `None`.
pub fn text(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|t| !t.is_empty())
}

/// After a form post: back to `to` with `ok` as the flash message, or with why it was refused.
/// Failures that are not the form's fault (the database) show the error page instead.
pub fn after_post(
    s: &ConsoleState,
    to: &str,
    result: Result<String, AppError>,
) -> Result<Response, ConsoleError> {
    match result {
        Ok(msg) => Ok(s.redirect_flash(to, Flash::ok(msg))),
        Err(e @ (AppError::Store(_) | AppError::Mail(_))) => Err(e.into()),
        Err(e) => Ok(s.redirect_flash(to, Flash::error(e.one_line()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(1980), "¥1,980");
        assert_eq!(yen(-1234567), "-¥1,234,567");
    }
}
