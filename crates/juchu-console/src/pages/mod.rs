//! One module per screen. Each has its own `router()`; this merges them.

mod act;
pub mod bulk;
pub mod bulk_upload;
mod form;
pub mod home;
mod labels;
pub mod master;
pub mod master_purchasing;
pub mod master_review;
pub mod master_skus;
pub mod master_stock;
mod order_actions;
mod order_detail;
mod order_events;
mod order_view;
pub mod orders_list;
pub mod session;
mod shipment_actions;
pub mod view;

use crate::routes::Routes;

pub fn router() -> Routes {
    Routes::default()
        .merge(session::router())
        .merge(home::router())
        .merge(bulk::router())
        .merge(master::router())
        .merge(orders_list::router())
        .merge(order_detail::router())
        .merge(order_actions::router())
        .merge(shipment_actions::router())
}
