//! The console's cookies: names, reading them from a request, writing `Set-Cookie` values.
//! Every cookie is `HttpOnly; SameSite=Lax; Path=/` and `Secure` unless `[console]
//! secure_cookies = false`.

use crate::config::ConsoleConfig;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

/// The session's secret (its SHA-256 is the session id in the database).
pub const SESSION: &str = "juchu_session";
/// `ja` or `en`.
pub const LANG: &str = "juchu_lang";
/// A one-shot message shown by the next page (redirect after POST).
pub const FLASH: &str = "juchu_flash";
/// The CSRF token of the forms shown before signing in (login, language): double-submit.
pub const LOGIN_CSRF: &str = "juchu_login";

/// The (percent-decoded) value of cookie `name` in the request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value; `max_age` in seconds (`Some(0)` deletes it, `None`: a browser-session cookie).
pub fn set(cfg: &ConsoleConfig, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(cfg.secure_cookies)
        .build();
    if let Some(s) = max_age {
        c.set_max_age(cookie::time::Duration::seconds(s));
    }
    // Percent-encoded, so any value makes a valid header.
    HeaderValue::from_str(&c.encoded().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Deletes a cookie.
pub fn clear(cfg: &ConsoleConfig, name: &str) -> HeaderValue {
    set(cfg, name, "", Some(0))
}

/// Whether the response already sets cookie `name`.
pub fn sets(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split('=').next() == Some(name))
}
