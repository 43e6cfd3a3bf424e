//! The console's CSS and JavaScript, compiled into the binary (no CDN, no web fonts).

use crate::ctx::ConsoleState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route(
            "/static/console.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "max-age=3600"),
                    ],
                    CSS,
                )
                    .into_response()
            }),
        )
        .route(
            "/static/console.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "max-age=3600"),
                    ],
                    JS,
                )
                    .into_response()
            }),
        )
}
