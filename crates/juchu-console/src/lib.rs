//! The operator console (受注管理画面, issue 8): server-rendered HTML served by `juchu serve` at `/`,
//! Japanese first with an English toggle, no external network (CSS and the little JavaScript there
//! is are served from this crate). It calls `juchu_app::App` directly and holds no rules of its own:
//! every action goes through the same use case as the API.
//!
//! Layout: `ctx` (the signed-in user, language, CSRF token: what every page gets), `i18n`,
//! `assets` (static files), and one module per screen under `pages/`.

// The skeleton defines what the pages will use; removed once they all land.
#![allow(dead_code)]

mod assets;
mod ctx;
mod error;
mod i18n;
mod pages;

pub use ctx::ConsoleState;

use axum::Router;
use juchu_app::App;

/// The console's routes (`/`, `/login`, `/orders`, …). Merged beside the API router by
/// `juchu serve`; it has no fallback of its own, so unknown paths reach the API's 404.
pub fn router(app: App) -> Router {
    let state = ConsoleState::new(app);
    Router::new()
        .merge(assets::router())
        .merge(pages::router())
        .with_state(state)
}
