//! Home: the eight statuses of the flow with their counts (links to the filtered list), the other
//! statuses smaller, and the holds waiting for review grouped by reason — the day's work at a glance.

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use crate::i18n::{hold_label, status_label};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::State;
use axum::response::Html;

pub fn router() -> Routes {
    Routes::default().get("/", home)
}

/// One count with its name and the list it links to.
struct Tile {
    label: &'static str,
    code: &'static str,
    count: i64,
    href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    flow: Vec<Tile>,
    other: Vec<Tile>,
    holds: Vec<Tile>,
}

async fn home(State(s): State<ConsoleState>, page: Page) -> Result<Html<String>, ConsoleError> {
    let counts = s.app.order_counts().await?;
    let holds = s.app.hold_counts().await?;
    let (flow, other): (Vec<_>, Vec<_>) = counts
        .into_iter()
        .map(|(st, n)| Tile {
            label: status_label(page.lang, st),
            code: st.as_str(),
            count: n,
            href: format!("/orders?status={}", st.as_str()),
        })
        .partition(|t| t.code != "cancelled");
    let holds: Vec<Tile> = holds
        .into_iter()
        .map(|(c, n)| Tile {
            label: hold_label(page.lang, c),
            code: c.as_str(),
            count: n,
            href: format!("/orders?hold={}", c.as_str()),
        })
        .collect();
    render(&Home {
        page,
        flow,
        other,
        holds,
    })
}
