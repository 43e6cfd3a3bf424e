//! The operator console (受注管理画面, issue 8): server-rendered HTML served by `juchu serve` at `/`,
//! Japanese first with an English toggle, no external network (CSS and the little JavaScript there
//! is are served from this crate). It calls `juchu_app::App` directly and holds no rules of its own:
//! every action goes through the same use case as the API.
//!
//! Layout: `ctx` (the signed-in user, language, CSRF token, flash: what every page gets), `routes`
//! (the router and the list of its routes, built together), `config` (`[console]`), `cookies`,
//! `ratelimit` (failed logins), `i18n`, `assets` (static files), and one module per screen under
//! `pages/`.

// Parts of the page context (roles, actor, some errors) wait for the screens that use them.

mod assets;
mod config;
mod cookies;
mod ctx;
mod error;
mod format;
mod i18n;
mod pages;
mod ratelimit;
mod routes;

pub use config::ConsoleConfig;
pub use ctx::ConsoleState;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use error::ConsoleError;
use juchu_app::App;

/// The console's routes (`/`, `/login`, `/orders`, …) with the default `[console]` settings.
pub fn router(app: App) -> Router {
    router_with(app, ConsoleConfig::default())
}

/// The console's routes. Merged beside the API router by `juchu serve`; it has no fallback of its
/// own, so unknown paths reach the API's 404.
pub fn router_with(app: App, config: ConsoleConfig) -> Router {
    let state = ConsoleState::new(app, config);
    all_routes()
        .router
        .layer(middleware::from_fn_with_state(state.clone(), headers))
        .with_state(state)
}

/// Every route of the console as `(METHOD, path template)`, e.g. `("POST", "/orders/{id}/cancel")`:
/// the list the router is built with (`routes::Routes`), for the authorisation matrix test.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    all_routes().list
}

fn all_routes() -> routes::Routes {
    assets::router().merge(pages::router())
}

/// Renders a page template (a template error is a bug: 500 with the error page).
pub(crate) fn render<T: Template>(t: &T) -> Result<Html<String>, ConsoleError> {
    t.render()
        .map(Html)
        .map_err(|e| ConsoleError::Internal(format!("template: {e}")))
}

/// Headers of every console response: no framing, no sniffing, only our own scripts, pages not
/// cached (signed-in data stays off shared disks and the back button after logout); and the
/// flash cookie, once a page has shown it, is deleted.
async fn headers(State(s): State<ConsoleState>, req: Request, next: Next) -> Response {
    let had_flash = cookies::get(req.headers(), cookies::FLASH).is_some();
    let mut r = next.run(req).await;
    let html = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = r.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    if html {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if had_flash && !cookies::sets(h, cookies::FLASH) {
            h.append(
                header::SET_COOKIE,
                cookies::clear(&s.config, cookies::FLASH),
            );
        }
    }
    r
}
