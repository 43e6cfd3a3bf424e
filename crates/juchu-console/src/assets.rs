//! The console's CSS and JavaScript, compiled into the binary (no CDN, no web fonts).

use crate::routes::Routes;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");

pub fn router() -> Routes {
    Routes::default()
        .get("/static/console.css", || async {
            file("text/css; charset=utf-8", CSS)
        })
        .get("/static/console.js", || async {
            file("text/javascript; charset=utf-8", JS)
        })
}

/// A static file, cached for an hour.
fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}
