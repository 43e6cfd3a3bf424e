//! The worker: claims jobs with a lease, runs them, and records each job's completion in the same
//! transaction as its effects, so that a job's work commits once even with several workers.

use crate::{App, AppError, payments};
use jiff::SignedDuration;
use juchu_domain::allocation::{self, Availability, WarehouseInfo};
use juchu_domain::{Actor, OrderId};
use juchu_store::{ChangeSet, Job, StoreError};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Unique per process: leases name it.
    pub id: String,
    pub batch: i64,
    /// How long a claimed job is ours without a sign of life. The worker renews the leases of its
    /// batch every third of this while it runs, so a long batch keeps its jobs, and the jobs of a
    /// worker that died (a crash, a SIGKILL) go to another one this long after its last renewal.
    pub lease: SignedDuration,
    pub idle_poll: Duration,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            id: format!("worker-{}", uuid::Uuid::now_v7().simple()),
            batch: 32,
            lease: SignedDuration::from_secs(15),
            idle_poll: Duration::from_millis(200),
            max_attempts: 8,
        }
    }
}

pub struct Worker {
    app: App,
    opts: WorkerOptions,
    stats: WorkerStats,
}

/// What one worker did: jobs claimed, completed and failed (for logs and the multi-process tests).
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub claimed: std::sync::atomic::AtomicU64,
    pub done: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
}

fn order_id(job: &Job) -> Result<OrderId, AppError> {
    job.payload
        .get("order_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::invalid("payload", format!("job {} has no order_id", job.id)))
}

impl Worker {
    pub fn new(app: App, opts: WorkerOptions) -> Self {
        Worker {
            app,
            opts,
            stats: WorkerStats::default(),
        }
    }

    pub fn stats(&self) -> &WorkerStats {
        &self.stats
    }

    /// Runs until `stop` turns true; returns what it did.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> WorkerStats {
        tracing::info!(worker = %self.opts.id, "worker started");
        while !*stop.borrow() {
            let n = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming jobs failed");
                    0
                }
            };
            if n == 0 {
                tokio::select! {
                    _ = self.app.jobs_ready.notified() => {}
                    _ = tokio::time::sleep(self.opts.idle_poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        use std::sync::atomic::Ordering::Relaxed;
        tracing::info!(
            worker = %self.opts.id,
            claimed = self.stats.claimed.load(Relaxed),
            done = self.stats.done.load(Relaxed),
            failed = self.stats.failed.load(Relaxed),
            "worker stopped"
        );
        self.stats
    }

    /// Claims one batch of due jobs and runs them; returns how many it claimed.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let now = self.app.now();
        let until = now.saturating_add(self.opts.lease).unwrap_or(now);
        let jobs = self
            .app
            .store
            .claim_jobs(&self.opts.id, now, until, self.opts.batch)
            .await?;
        self.stats
            .claimed
            .fetch_add(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if jobs.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
        let work = self.run_batch(&jobs, now);
        tokio::pin!(work);
        let every = (self.opts.lease.unsigned_abs() / 3).max(Duration::from_millis(100));
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                () = &mut work => return Ok(jobs.len()),
                _ = renew.tick() => self.renew(&ids).await,
            }
        }
    }

    /// Extends the leases of the batch still running (see [`WorkerOptions::lease`]).
    async fn renew(&self, ids: &[i64]) {
        let now = self.app.now();
        let until = now.saturating_add(self.opts.lease).unwrap_or(now);
        if let Err(e) = self.app.store.renew_jobs(&self.opts.id, ids, until).await {
            tracing::warn!(error = %e, "renewing job leases failed");
        }
    }

    async fn run_batch(&self, jobs: &[Job], now: jiff::Timestamp) {
        use std::sync::atomic::Ordering::Relaxed;
        for job in jobs {
            let outcome = self.handle(job).await;
            let kind = job.kind.clone();
            match outcome {
                Ok(()) => {
                    self.stats.done.fetch_add(1, Relaxed);
                    metrics::counter!("juchu_jobs_total", "kind" => kind, "outcome" => "done")
                        .increment(1)
                }
                Err(e) => {
                    self.stats.failed.fetch_add(1, Relaxed);
                    let dead = job.attempts >= self.opts.max_attempts;
                    let backoff = SignedDuration::from_secs(1i64 << job.attempts.clamp(0, 12));
                    let retry_at =
                        (!dead).then(|| self.app.now().saturating_add(backoff).unwrap_or(now));
                    tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, dead, error = %e, "job failed");
                    metrics::counter!("juchu_jobs_total", "kind" => kind, "outcome" => if dead { "dead" } else { "retry" }).increment(1);
                    if let Err(e) = self
                        .app
                        .store
                        .fail_job(job.id, &self.opts.id, &e.to_string(), retry_at)
                        .await
                    {
                        tracing::warn!(job = job.id, error = %e, "recording the failure failed");
                    }
                }
            }
        }
    }

    async fn handle(&self, job: &Job) -> Result<(), AppError> {
        match job.kind.as_str() {
            "order.receive" => self.receive(job).await,
            "order.allocate" => {
                self.app.allocate(order_id(job)?).await?;
                self.app.request_replenishment(order_id(job)?).await?;
                self.complete(job).await
            }
            "stock.arrived" => {
                self.app.allocate_waiting().await?;
                self.complete(job).await
            }
            "order.recognize" => self.recognize(job).await,
            "shipment.recognize" => self.recognize_shipment(job).await,
            "accounting.close" => {
                self.app.run_month_close().await?;
                let cs = ChangeSet {
                    complete_job: Some((job.id, self.opts.id.clone())),
                    jobs: crate::accounting::month_close_job(&self.app)
                        .into_iter()
                        .collect(),
                    ..ChangeSet::default()
                };
                Ok(self.app.store.commit(cs).await?)
            }
            "payment.provider" => self.provider_call(job).await,
            "payment.deferred_poll" => self.deferred_poll(job).await,
            "purchasing.replenish" => {
                self.app.replenish().await?;
                self.complete(job).await
            }
            "purchasing.send" => {
                self.app.send_batched_purchase_orders().await?;
                self.complete(job).await
            }
            "purchasing.sync" => {
                self.app.sync_drop_ship(order_id(job)?).await?;
                self.complete(job).await
            }
            "shipment.deem_delivered" => self.deem_delivered(job).await,
            crate::mail::MAIL_JOB => {
                self.app.send_mail(job).await?;
                self.complete(job).await
            }
            // Loyalty points (docs/points.md).
            "points.grant" => {
                self.order_step(job, |o, app, actor| app.grant_points(o, actor))
                    .await
            }
            "points.expire" => self.app.expire_points(job, &self.opts.id).await,
            "bank.remind" | "bank.expire" => {
                self.app.bank_deadline(&job.kind, order_id(job)?).await?;
                self.complete(job).await
            }
            other => Err(AppError::invalid(
                "kind",
                format!("unknown job kind `{other}`"),
            )),
        }
    }

    /// Marks a job done on its own (its work committed separately and is idempotent).
    async fn complete(&self, job: &Job) -> Result<(), AppError> {
        let cs = ChangeSet {
            complete_job: Some((job.id, self.opts.id.clone())),
            ..ChangeSet::default()
        };
        Ok(self.app.store.commit(cs).await?)
    }

    /// Commits an order change together with the job's completion, or completes the job alone
    /// when the order has already moved on.
    async fn order_step<F>(&self, job: &Job, f: F) -> Result<(), AppError>
    where
        F: Fn(
            &mut juchu_domain::Order,
            &App,
            &Actor,
        )
            -> Result<(juchu_domain::lifecycle::Effects, Vec<juchu_store::NewJob>), AppError>,
    {
        let id = order_id(job)?;
        let actor = Actor::system(&job.kind);
        let Some(mut order) = self.app.store.get_order(id).await? else {
            return self.complete(job).await;
        };
        let expected = order.version;
        let (fx, jobs) = match f(&mut order, &self.app, &actor) {
            Ok(step) => step,
            Err(AppError::InvalidTransition { .. }) => return self.complete(job).await,
            Err(e) => return Err(e),
        };
        let mut cs = crate::orders::order_change(&order, expected, fx, &actor);
        cs.jobs.extend(jobs);
        cs.complete_job = Some((job.id, self.opts.id.clone()));
        self.app.store.commit(cs).await?;
        self.app.jobs_ready.notify_one();
        Ok(())
    }

    /// The provider call behind a money event (`provider_payments`), then its answer on the order.
    async fn provider_call(&self, job: &Job) -> Result<(), AppError> {
        let Some((kind, detail, auth, refused)) = self.app.run_provider_job(&job.payload).await?
        else {
            return self.complete(job).await;
        };
        self.order_step(job, |o, app, actor| {
            let fx = o.record_provider_answer(
                &kind,
                detail.clone(),
                auth.clone(),
                refused,
                actor,
                app.now(),
            );
            Ok((fx, vec![]))
        })
        .await
    }

    /// A deferred credit check that was 審査中: ask again; approved → allocate, declined → held,
    /// still pending → ask again later.
    async fn deferred_poll(&self, job: &Job) -> Result<(), AppError> {
        let (Some(p), Some(o)) = (
            self.app.providers.clone(),
            self.app.store.get_order(order_id(job)?).await?,
        ) else {
            return self.complete(job).await;
        };
        let reference = o.payment.authorization_id.clone().unwrap_or_default();
        if o.payment.status != juchu_domain::payment::PaymentStatus::Pending || reference.is_empty()
        {
            return self.complete(job).await;
        }
        let result = crate::provider_payments::poll_deferred(&p, &reference).await?;
        self.order_step(job, |o, app, actor| {
            use crate::provider_payments::PollResult;
            let verdict = match &result {
                PollResult::Approved => Ok(()),
                PollResult::Declined(reason) => Err(reason.clone()),
                PollResult::StillPending => {
                    return Ok((
                        Default::default(),
                        vec![crate::provider_payments::poll_job(app, o)],
                    ));
                }
            };
            let fx = o.settle_pending_payment(verdict, actor, app.now())?;
            let jobs = crate::orders::allocate_if_ready(app, o);
            Ok((fx, jobs))
        })
        .await
    }

    /// 受注 → 未引当: the payment work of receipt, then allocation if nothing holds the order.
    async fn receive(&self, job: &Job) -> Result<(), AppError> {
        // Taken in its own statement before the order commits; asking again returns the same one.
        let account = self.app.assign_account_for(order_id(job)?).await?;
        let review = self.app.review_for(order_id(job)?).await?;
        // The providers' answer, asked before the commit with keys that make asking again safe.
        // A cancelled order is asked about again when an earlier attempt may have been authorised
        // before it died: the same key returns that authorisation, which is then voided.
        use juchu_domain::OrderStatus::{Cancelled, Received};
        let remote = match self.app.providers.clone() {
            Some(p) => match self.app.store.get_order(order_id(job)?).await? {
                Some(o) if o.status == Received || (o.status == Cancelled && job.attempts > 1) => {
                    crate::provider_payments::authorize(&p, &o).await?
                }
                _ => None,
            },
            None => None,
        };
        self.order_step(job, |o, app, actor| {
            // Cancelled while the call was on its way: release what the provider holds.
            if let (Cancelled, Some(outcome)) = (o.status, &remote) {
                return Ok((
                    o.void_late_authorization(outcome, actor, app.now())?,
                    vec![],
                ));
            }
            if account.is_some() {
                o.payment.virtual_account.clone_from(&account);
            }
            let reviewed = crate::review::apply(o, review.as_ref(), app, actor);
            let outcome = match remote.clone() {
                Some(outcome) => outcome,
                None => payments::authorize(o, &app.policies, app.now()),
            };
            let fx = crate::review::merge(reviewed, o.complete_receipt(outcome, actor, app.now())?);
            let mut jobs = crate::orders::allocate_if_ready(app, o);
            jobs.extend(crate::bank::deadline_jobs(app, o));
            if o.payment.status == juchu_domain::payment::PaymentStatus::Pending {
                jobs.push(crate::provider_payments::poll_job(app, o));
            }
            Ok((fx, jobs))
        })
        .await
    }

    /// みなし着荷: no delivery event arrived within the policy's days.
    async fn deem_delivered(&self, job: &Job) -> Result<(), AppError> {
        let shipment: juchu_domain::ShipmentId = job
            .payload
            .get("shipment_id")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| AppError::invalid("payload", "shipment_id is missing"))?;
        self.order_step(job, |o, app, actor| {
            let now = app.now();
            let fx = o.deem_delivered(shipment, app.policies.deemed_delivery_days, actor, now)?;
            Ok((fx, crate::shipping::recognition_jobs(app, o, now)))
        })
        .await
    }

    /// 計上: revenue recognised on delivery (the default policy).
    async fn recognize(&self, job: &Job) -> Result<(), AppError> {
        self.order_step(job, |o, app, actor| {
            Ok((
                o.recognize(app.policies.tax_rounding, actor, app.now())?,
                vec![],
            ))
        })
        .await
    }

    /// 計上 of one shipment (its trigger + the policy's days have come).
    async fn recognize_shipment(&self, job: &Job) -> Result<(), AppError> {
        let shipment: juchu_domain::ShipmentId = job
            .payload
            .get("shipment_id")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| AppError::invalid("payload", "shipment_id is missing"))?;
        self.order_step(job, |o, app, actor| {
            let fx = o.recognize_shipment(shipment, app.policies.tax_rounding, actor, app.now())?;
            Ok((fx, vec![]))
        })
        .await
    }
}

impl App {
    /// 引当: reserves what stock allows for one waiting order. Returns whether it reserved any.
    pub async fn allocate(&self, id: OrderId) -> Result<bool, AppError> {
        self.allocate_within(id, None).await
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
            if !order.ready_for_allocation(&self.policies) {
                return Ok(false);
            }
            let warehouses: Vec<WarehouseInfo> = self
                .store
                .list_warehouses()
                .await?
                .into_iter()
                .map(|w| WarehouseInfo {
                    code: w.code,
                    priority: w.priority,
                    prefectures: w.prefectures,
                })
                .collect();
            let mut available = Availability::new();
            let mut skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
            skus.sort_unstable();
            skus.dedup();
            for sku in skus {
                for s in self.store.stock_levels(Some(sku), None).await? {
                    available.insert((s.warehouse, s.sku), s.on_hand - s.allocated);
                }
            }
            if let Some(cap) = cap.as_deref() {
                for (key, free) in available.iter_mut() {
                    *free = (*free).min(cap.get(key).copied().unwrap_or(0));
                }
            }
            // Drop-ship lines go to their supplier; the planner sees the stocked lines only.
            let (stocked, drop_ship) = self.split_drop_ship(&order).await?;
            let plan = allocation::plan_with(
                stocked.as_ref().unwrap_or(&order),
                &warehouses,
                &available,
                self.policies.allocation,
            );
            let plan: Vec<_> = plan.into_iter().chain(drop_ship).collect();
            if plan.is_empty() {
                return Ok(false);
            }
            let taken: Vec<((String, String), i64)> = plan
                .iter()
                .map(|a| ((a.warehouse.clone(), a.sku.clone()), a.quantity))
                .collect();
            let expected = order.version;
            let fx = order.apply_allocation(plan, &actor, self.now())?;
            let mut cs = crate::orders::order_change(&order, expected, fx, &actor);
            cs.jobs.extend(crate::drop_ship::sync_jobs(self, &order));
            match self.store.commit(cs).await {
                Ok(()) => {
                    if let Some(cap) = cap.as_deref_mut() {
                        for (key, n) in taken {
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
