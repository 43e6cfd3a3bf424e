//! The worker: claims jobs with a lease, runs them, and records each job's completion in the same
//! transaction as its effects, so that a job's work commits once even with several workers.

use crate::{App, AppError, payments};
use jiff::SignedDuration;
use juchu_domain::{Actor, OrderId};
use juchu_store::{ChangeSet, Job, StoreError};
use std::time::Duration;
use tokio::sync::watch;

/// How many orders' jobs one worker runs at once (see [`Worker::run_batch`]).
const LANES: usize = 8;

/// What a job does to its order: the effects to commit and the jobs that follow.
type Step = Result<(juchu_domain::lifecycle::Effects, Vec<juchu_store::NewJob>), AppError>;

/// How many times a job's order step re-reads and re-applies after a concurrent change.
const STEP_RETRIES: usize = 8;

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

    /// Runs a claimed batch. The jobs of one order run one after another, in claim order, in a lane
    /// of their own; lanes of different orders run side by side (up to [`LANES`]), so that their
    /// commits share a transaction where the store groups commits. Jobs that name no order (stock
    /// arrivals, month close, replenishment) run after the lanes, one by one.
    async fn run_batch(&self, jobs: &[Job], now: jiff::Timestamp) {
        use futures::StreamExt;
        let (of_orders, rest): (Vec<&Job>, Vec<&Job>) =
            jobs.iter().partition(|j| order_id(j).is_ok());
        let lanes = crate::lanes::by_key(of_orders, |j| order_id(j).ok());
        futures::stream::iter(lanes)
            .for_each_concurrent(LANES, |lane| async move {
                for job in lane {
                    self.run_job(job, now).await;
                }
            })
            .await;
        for job in rest {
            self.run_job(job, now).await;
        }
    }

    /// Runs one job and records its outcome (done, or failed with a retry time or dead).
    async fn run_job(&self, job: &Job, now: jiff::Timestamp) {
        use std::sync::atomic::Ordering::Relaxed;
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
        F: Fn(&mut juchu_domain::Order, &App, &Actor) -> Step,
    {
        let id = order_id(job)?;
        let actor = Actor::system(&job.kind);
        // Someone else changed the order between our read and our commit (an operator, a
        // customer's cancel): read it again and re-apply, as `App::change_order` does.
        for _ in 0..STEP_RETRIES {
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
            match self.app.store.commit(cs).await {
                Ok(()) => {
                    self.app.jobs_ready.notify_one();
                    return Ok(());
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
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
        let Some(order) = self.app.store.get_order(order_id(job)?).await? else {
            return self.complete(job).await;
        };
        // Taken in its own statement before the order commits; asking again returns the same one.
        let account = self.app.assign_account(&order).await?;
        let review = self.app.review_for(&order).await?;
        // The providers' answer, asked before the commit with keys that make asking again safe.
        // A cancelled order is asked about again when an earlier attempt may have been authorised
        // before it died: the same key returns that authorisation, which is then voided.
        use juchu_domain::OrderStatus::{Cancelled, Received};
        let remote = match self.app.providers.clone() {
            Some(p)
                if order.status == Received || (order.status == Cancelled && job.attempts > 1) =>
            {
                crate::provider_payments::authorize(&p, &order).await?
            }
            _ => None,
        };
        let receipt = |o: &mut juchu_domain::Order, app: &App, actor: &Actor| {
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
        };
        if self.receive_and_allocate(job, order, &receipt).await? {
            return Ok(());
        }
        self.order_step(job, receipt).await
    }

    /// The common case of receipt in one commit: receipt, then allocation of the whole order from
    /// the stock free now, with the job's completion. Returns false, having written nothing, when
    /// that is not the case — the order is held, waits for payment, cannot be allocated in full
    /// from stock (the `order.allocate` job then also asks for replenishment), or the stock or the
    /// order changed before the commit — and the caller takes the step-by-step path. `order` is
    /// the order as read before the provider call: the commit's version check refuses it if it
    /// has changed since.
    async fn receive_and_allocate<F>(
        &self,
        job: &Job,
        mut order: juchu_domain::Order,
        receipt: &F,
    ) -> Result<bool, AppError>
    where
        F: Fn(&mut juchu_domain::Order, &App, &Actor) -> Step,
    {
        let actor = Actor::system(&job.kind);
        let expected = order.version;
        let Ok((fx, mut jobs)) = receipt(&mut order, &self.app, &actor) else {
            return Ok(false);
        };
        let queued = jobs.len();
        jobs.retain(|j| j.kind != "order.allocate");
        if jobs.len() == queued {
            return Ok(false); // not ready for allocation
        }
        // Allocation is recorded as the allocation job records it (events, stock movements).
        let allocator = Actor::system("allocate");
        let Some(planned) = self
            .app
            .plan_allocation(&mut order, None, &allocator)
            .await?
        else {
            return Ok(false);
        };
        if order.status != juchu_domain::OrderStatus::Allocated {
            return Ok(false);
        }
        let fx = crate::review::merge(fx, planned.effects);
        let mut cs = crate::orders::order_change(&order, expected, fx, &allocator);
        cs.jobs.extend(jobs);
        cs.jobs.extend(planned.jobs);
        cs.complete_job = Some((job.id, self.opts.id.clone()));
        match self.app.store.commit(cs).await {
            Ok(()) => {
                self.app.jobs_ready.notify_one();
                Ok(true)
            }
            Err(
                StoreError::InsufficientStock { .. }
                | StoreError::VersionConflict { .. }
                | StoreError::Conflict(_),
            ) => Ok(false),
            Err(e) => Err(e.into()),
        }
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
