//! Home: the eight statuses of the flow with their counts, and the holds waiting for review.

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use juchu_domain::OrderStatus;

pub fn router() -> Router<ConsoleState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    counts: Vec<(OrderStatus, i64)>,
}

async fn home(State(s): State<ConsoleState>, page: Page) -> Result<Html<String>, ConsoleError> {
    let counts = s.app.order_counts().await?;
    let html = Home { page, counts }
        .render()
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(Html(html))
}
