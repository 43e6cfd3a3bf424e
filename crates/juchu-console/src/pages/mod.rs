//! One module per screen. Each has its own `router()`; this merges them.

pub mod bulk;
pub mod bulk_upload;
pub mod home;
pub mod master;
pub mod master_purchasing;
pub mod master_review;
pub mod master_skus;
pub mod master_stock;
pub mod orders_list;
pub mod session;
pub mod view;

use crate::ctx::ConsoleState;
use axum::Router;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .merge(session::router())
        .merge(home::router())
        .merge(bulk::router())
        .merge(master::router())
        .merge(orders_list::router())
}
