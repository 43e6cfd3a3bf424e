//! Allocation use cases an operator drives: the priority of an order among those waiting for stock.

use crate::master::stock_arrived_job;
use crate::{App, AppError};
use juchu_domain::{Actor, Order, OrderId};

impl App {
    /// Changes the order's priority (lower first). Orders waiting for stock are served by
    /// (priority, ordered_at), so a waiting order's new priority re-runs allocation for every waiting
    /// order in the new order (the `stock.arrived` job).
    pub async fn set_priority(
        &self,
        id: OrderId,
        priority: i32,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        self.change_order(id, if_match, actor, |o, app| {
            let fx = o.set_priority(priority, actor, app.now())?;
            let jobs = if !fx.events.is_empty() && o.status.awaits_allocation() {
                vec![stock_arrived_job(app)]
            } else {
                vec![]
            };
            Ok((fx, jobs))
        })
        .await
    }
}
