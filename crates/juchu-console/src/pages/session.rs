//! Login, logout and the session cookie (SKELETON: to be replaced by the real implementation).

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use axum::Router;
use axum::http::request::Parts;

pub fn router() -> Router<ConsoleState> {
    Router::new()
}

/// The signed-in page context of a request, or a redirect to the login page.
pub async fn page_of(parts: &Parts, _state: &ConsoleState) -> Result<Page, ConsoleError> {
    Err(ConsoleError::Login {
        next: parts.uri.path().to_owned(),
    })
}
