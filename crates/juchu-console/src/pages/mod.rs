//! One module per screen. Each has its own `router()`; this merges them.

pub mod home;
pub mod orders_list;
pub mod session;

use crate::ctx::ConsoleState;
use axum::Router;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .merge(session::router())
        .merge(home::router())
        .merge(orders_list::router())
}
