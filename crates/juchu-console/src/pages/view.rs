//! Small helpers of the bulk-work and master-data pages: reading form numbers, and answering a
//! form post with a redirect and a flash message.

use crate::ctx::{ConsoleState, Flash};
use crate::error::ConsoleError;
use axum::response::Response;
use juchu_app::AppError;

/// The API's name of an enum value (`awaiting_payment`), from its serde form.
pub fn code_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A form's number field: blank is `None`, anything else must parse (else a refusal naming it).
pub fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, AppError> {
    crate::pages::form::parse_field(field, text, "は数値ではありません / is not a number")
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
