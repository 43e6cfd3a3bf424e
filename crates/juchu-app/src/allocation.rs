//! Allocation (引当): of one order, of every order waiting for stock, and an order's priority among them.

use crate::master::stock_arrived_job;
use crate::{App, AppError};
use juchu_domain::allocation::{self, Availability, WarehouseInfo};
use juchu_domain::lifecycle::Effects;
use juchu_domain::{Actor, Order, OrderId};
use juchu_store::{NewJob, StoreError};

/// An allocation applied to an order in memory, not yet committed.
pub(crate) struct PlannedAllocation {
    pub effects: Effects,
    /// Jobs that follow it (drop-ship orders to suppliers).
    pub jobs: Vec<NewJob>,
    /// Units taken per (warehouse, SKU).
    pub taken: Vec<((String, String), i64)>,
}

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

impl App {
    /// 引当: reserves what stock allows for one waiting order. Returns whether it reserved any.
    pub async fn allocate(&self, id: OrderId) -> Result<bool, AppError> {
        self.allocate_within(id, None).await
    }

    /// Plans the allocation of `order` from the stock free now (no more than `cap` when given)
    /// and applies it to the order in memory. Returns the effects, the jobs that follow and what
    /// it takes per (warehouse, SKU); none when nothing can be allocated.
    pub(crate) async fn plan_allocation(
        &self,
        order: &mut Order,
        cap: Option<&Availability>,
        actor: &Actor,
    ) -> Result<Option<PlannedAllocation>, AppError> {
        if !order.ready_for_allocation(&self.policies) {
            return Ok(None);
        }
        let warehouses = self
            .master
            .warehouses
            .get_or_load(|| async {
                Ok::<_, AppError>(
                    self.store
                        .list_warehouses()
                        .await?
                        .into_iter()
                        .map(|w| WarehouseInfo {
                            code: w.code,
                            priority: w.priority,
                            prefectures: w.prefectures,
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .await?;
        let mut available = Availability::new();
        let mut skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        for sku in skus {
            for s in self.store.stock_levels(Some(sku), None).await? {
                available.insert((s.warehouse, s.sku), s.on_hand - s.allocated);
            }
        }
        if let Some(cap) = cap {
            for (key, free) in available.iter_mut() {
                *free = (*free).min(cap.get(key).copied().unwrap_or(0));
            }
        }
        // Drop-ship lines go to their supplier; the planner sees the stocked lines only.
        let (stocked, drop_ship) = self.split_drop_ship(order).await?;
        let plan = allocation::plan_with(
            stocked.as_ref().unwrap_or(order),
            &warehouses,
            &available,
            self.policies.allocation,
        );
        let plan: Vec<_> = plan.into_iter().chain(drop_ship).collect();
        if plan.is_empty() {
            return Ok(None);
        }
        let taken = plan
            .iter()
            .map(|a| ((a.warehouse.clone(), a.sku.clone()), a.quantity))
            .collect();
        let effects = order.apply_allocation(plan, actor, self.now())?;
        let jobs = crate::drop_ship::sync_jobs(self, order);
        Ok(Some(PlannedAllocation {
            effects,
            jobs,
            taken,
        }))
    }

    /// [`App::allocate`], taking no more than `cap` (free units per warehouse and SKU) and
    /// subtracting what it reserved from it.
    async fn allocate_within(
        &self,
        id: OrderId,
        mut cap: Option<&mut Availability>,
    ) -> Result<bool, AppError> {
        let actor = Actor::system("allocate");
        for _ in 0..16 {
            let Some(mut order) = self.store.get_order(id).await? else {
                return Err(AppError::NotFound(format!("order {id}")));
            };
            let expected = order.version;
            let Some(planned) = self
                .plan_allocation(&mut order, cap.as_deref(), &actor)
                .await?
            else {
                return Ok(false);
            };
            let mut cs = crate::orders::order_change(&order, expected, planned.effects, &actor);
            cs.jobs.extend(planned.jobs);
            match self.store.commit(cs).await {
                Ok(()) => {
                    if let Some(cap) = cap.as_deref_mut() {
                        for (key, n) in planned.taken {
                            *cap.entry(key).or_default() -= n;
                        }
                    }
                    return Ok(true);
                }
                // Someone took the stock or changed the order meanwhile: plan again on fresh data.
                Err(
                    StoreError::InsufficientStock { .. }
                    | StoreError::VersionConflict { .. }
                    | StoreError::Conflict(_),
                ) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }

    /// Re-runs allocation for every waiting order by (priority, ordered_at). An order that cannot be
    /// filled does not stop later ones from taking stock it cannot use. The run shares out the stock
    /// free when it starts: stock arriving meanwhile is left to the next run (its own
    /// `stock.arrived`), which starts again from the first waiting order, so a later order never
    /// takes it ahead of an earlier one.
    pub async fn allocate_waiting(&self) -> Result<usize, AppError> {
        let mut cap: Availability = self
            .store
            .stock_levels(None, None)
            .await?
            .into_iter()
            .map(|s| ((s.warehouse, s.sku), s.on_hand - s.allocated))
            .collect();
        let mut changed = 0;
        for id in self.store.waiting_orders(10_000).await? {
            if self.allocate_within(id, Some(&mut cap)).await? {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
