//! Errors of console handlers, as HTML pages (or a redirect to the login page).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use juchu_app::AppError;
use juchu_domain::Role;

#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in (or the session ended): go to the login page, then come back to `next`.
    Login {
        next: String,
    },
    Forbidden(Role),
    /// A form whose CSRF token is missing or wrong.
    Csrf,
    NotFound(String),
    BadRequest(String),
    /// A bug on our side (e.g. a template that failed to render); logged, shown as 500.
    Internal(String),
    App(AppError),
}

impl From<AppError> for ConsoleError {
    fn from(e: AppError) -> Self {
        ConsoleError::App(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            ConsoleError::Login { next } => {
                let to = format!("/login?next={}", urlencode(&next));
                return Redirect::to(&to).into_response();
            }
            ConsoleError::Forbidden(role) => (
                StatusCode::FORBIDDEN,
                "権限がありません / Forbidden",
                format!(
                    "ロール {} ではこの操作はできません。/ The {} role may not do this.",
                    role.as_str(),
                    role.as_str()
                ),
            ),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "フォームの有効期限切れ / Form expired",
                "ページを再読み込みしてもう一度お試しください。/ Reload the page and try again."
                    .to_owned(),
            ),
            ConsoleError::NotFound(what) => {
                (StatusCode::NOT_FOUND, "見つかりません / Not found", what)
            }
            ConsoleError::BadRequest(what) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "入力エラー / Invalid input",
                what,
            ),
            ConsoleError::Internal(what) => {
                tracing::error!(error = %what, "console page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "エラー / Error",
                    "内部エラーが発生しました。/ Something went wrong on our side.".to_owned(),
                )
            }
            ConsoleError::App(e) => app_error(e),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            detail,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, detail_fallback(title)).into_response(),
        }
    }
}

/// The status and message an `AppError` shows as (the API's code table, as HTML).
fn app_error(e: AppError) -> (StatusCode, &'static str, String) {
    let refused = "操作できません / Refused";
    match e {
        AppError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "見つかりません / Not found",
            e.to_string(),
        ),
        AppError::Invalid(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "入力エラー / Invalid input",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        AppError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            "権限がありません / Forbidden",
            e.to_string(),
        ),
        AppError::Busy | AppError::Unavailable(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, refused, e.to_string())
        }
        AppError::Store(_) | AppError::Mail(_) => {
            tracing::error!(error = %e, "console request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "エラー / Error",
                "内部エラーが発生しました。/ Something went wrong on our side.".to_owned(),
            )
        }
        _ => (StatusCode::CONFLICT, refused, e.to_string()),
    }
}

fn detail_fallback(title: &str) -> String {
    title.to_owned()
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
