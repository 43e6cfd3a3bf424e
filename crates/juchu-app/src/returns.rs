//! 返品: return requests and their receipt (restock or dispose, refund, points), through the same
//! single-transaction order change as every other action.

use crate::master::stock_arrived_job;
use crate::{App, AppError};
use juchu_domain::returns::ReturnRequestLine;
use juchu_domain::{Actor, Money, Order, OrderId, ReturnId};

impl App {
    /// Announces a return; with `received` the warehouse already has the goods, and it is received
    /// in the same change.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_return(
        &self,
        id: OrderId,
        lines: &[ReturnRequestLine],
        reason: &str,
        refund_amount: Option<Money>,
        received: bool,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<(Order, ReturnId), AppError> {
        self.check_return_warehouses(lines).await?;
        let created = std::sync::Mutex::new(None);
        let mut tries = 0;
        let order = loop {
            let balance = self.points_balance_for(id).await?;
            let r = self
                .change_order(id, if_match, actor, |o, app| {
                    let now = app.now();
                    let (rid, mut fx) =
                        o.request_return(lines, reason, refund_amount, actor, now)?;
                    if let Ok(mut c) = created.lock() {
                        *c = Some(rid);
                    }
                    let mut jobs = vec![];
                    if received {
                        let more = o.receive_return(rid, app.policies.tax_rounding, actor, now)?;
                        if !more.stock.is_empty() {
                            jobs.push(stock_arrived_job(app));
                        }
                        fx.events.extend(more.events);
                        fx.stock.extend(more.stock);
                        fx.points.extend(more.points);
                        crate::points::clamp_revocations(&mut fx, balance);
                    }
                    Ok((fx, jobs))
                })
                .await;
            match r {
                // The balance was spent meanwhile: revoke again from what is there now.
                Err(AppError::InsufficientPoints { .. }) if tries < 4 => tries += 1,
                r => break r?,
            }
        };
        let rid = created
            .lock()
            .ok()
            .and_then(|c| *c)
            .ok_or_else(|| AppError::invalid("lines", "the return was not recorded"))?;
        Ok((order, rid))
    }

    /// The warehouse received a requested return.
    pub async fn receive_return(
        &self,
        id: OrderId,
        rid: ReturnId,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let mut tries = 0;
        loop {
            let balance = self.points_balance_for(id).await?;
            let r = self
                .change_order(id, if_match, actor, |o, app| {
                    let mut fx =
                        o.receive_return(rid, app.policies.tax_rounding, actor, app.now())?;
                    crate::points::clamp_revocations(&mut fx, balance);
                    let jobs = if fx.stock.is_empty() {
                        vec![]
                    } else {
                        vec![stock_arrived_job(app)]
                    };
                    Ok((fx, jobs))
                })
                .await;
            match r {
                // The balance was spent meanwhile: revoke again from what is there now.
                Err(AppError::InsufficientPoints { .. }) if tries < 4 => tries += 1,
                r => return r,
            }
        }
    }

    /// The balance of the order's customer (0 without a customer id), read before a revocation.
    async fn points_balance_for(&self, id: OrderId) -> Result<i64, AppError> {
        let order = self.load_order(id).await?;
        Ok(match juchu_domain::points::customer_of(&order) {
            Some(c) => self.store.points_balance(c).await?,
            None => 0,
        })
    }

    async fn check_return_warehouses(&self, lines: &[ReturnRequestLine]) -> Result<(), AppError> {
        if lines.iter().all(|l| l.warehouse.is_none()) {
            return Ok(());
        }
        let known = self.list_warehouses().await?;
        for (i, l) in lines.iter().enumerate() {
            if let Some(w) = &l.warehouse
                && !known.iter().any(|k| &k.code == w)
            {
                return Err(AppError::invalid(
                    &format!("lines[{i}].warehouse"),
                    format!("no warehouse `{w}`"),
                ));
            }
        }
        Ok(())
    }
}
