//! Bank transfer use cases (DOMAIN.md §2.2): a virtual account from the pool at receipt, deposits
//! (webhook or Zengin statement) matched by account then amount, and the payment deadline.

use crate::zengin::{self, StatementDeposit};
use crate::{App, AppError};
use jiff::ToSpan;
use jiff::tz::TimeZone;
use juchu_domain::lifecycle::Effects;
use juchu_domain::payment::PaymentStatus;
use juchu_domain::{Actor, Event, Money, Order, OrderId};
use juchu_store::{AccountPool, DepositRecord, NewJob, StoreError};
use serde::Serialize;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

/// A deposit as a source reports it.
#[derive(Debug, Clone)]
pub struct NewDeposit {
    /// The source's own key; the same key is never counted twice.
    pub dedupe_key: String,
    pub source: &'static str,
    /// `0310-101-1000001`, or the 7-digit number alone (then the configured pool's bank and branch).
    pub account: String,
    pub amount: i64,
    pub deposited_at: String,
    pub payer_kana: Option<String>,
}

/// What happened to one deposit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepositResult {
    pub account: String,
    pub amount: i64,
    pub deposited_at: String,
    pub payer_kana: Option<String>,
    /// The order whose account it is; absent when unmatched.
    pub order_id: Option<String>,
    /// The order's payment status afterwards (`paid`, or `awaiting_payment` while underpaid).
    pub payment_status: Option<PaymentStatus>,
    /// Seen before (same event id / statement keys): acknowledged, not counted again.
    pub duplicate: bool,
}

/// `POST /api/v1/bank/statements`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementImport {
    pub matched: Vec<DepositResult>,
    pub unmatched: Vec<DepositResult>,
    /// Deposits already imported before (from this file or another).
    pub duplicates: usize,
}

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC)
}

impl App {
    pub fn account_pool(&self) -> AccountPool {
        let b = &self.policies.bank;
        AccountPool {
            bank: b.pool_bank.clone(),
            branch: b.pool_branch.clone(),
            first: b.pool_first,
            last: b.pool_last,
        }
    }

    /// The account for a bank-transfer order in `received` (the same one when asked again);
    /// `None` for other orders and when the pool is exhausted.
    pub(crate) async fn assign_account(
        &self,
        order: &juchu_domain::Order,
    ) -> Result<Option<String>, AppError> {
        if order.payment.method != juchu_domain::payment::PaymentMethod::BankTransfer
            || order.status != juchu_domain::OrderStatus::Received
        {
            return Ok(None);
        }
        let now = self.now();
        let days = i64::from(self.policies.bank.virtual_account_cooloff_days.max(0));
        let reusable_before = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * days))
            .unwrap_or(now);
        Ok(self
            .store
            .assign_virtual_account(order.id, &self.account_pool(), now, reusable_before)
            .await?)
    }

    /// Full account text for what a source gave: a bare number belongs to the configured pool.
    fn account_text(&self, raw: &str) -> String {
        let raw = raw.trim();
        if !raw.is_empty() && raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = raw.parse().unwrap_or(0);
            return self.account_pool().account(n);
        }
        raw.to_owned()
    }

    /// Records a deposit and applies it to the order holding its account. The deposit row is
    /// written first, keyed by the source's own key, so a redelivery finds it and changes nothing.
    pub async fn receive_deposit(&self, d: NewDeposit) -> Result<DepositResult, AppError> {
        if d.amount <= 0 || d.amount > 10_000_000_000_000 {
            return Err(AppError::invalid(
                "amount",
                "must be a positive amount of yen",
            ));
        }
        let account = self.account_text(&d.account);
        let holder = self.store.account_holder(&account).await?;
        let record = DepositRecord {
            id: 0,
            dedupe_key: d.dedupe_key.clone(),
            source: d.source.to_owned(),
            account: account.clone(),
            amount: d.amount,
            deposited_at: d.deposited_at.clone(),
            payer_kana: d.payer_kana.clone(),
            order_id: holder,
            received_at: self.now(),
        };
        let mut out = DepositResult {
            account,
            amount: d.amount,
            deposited_at: d.deposited_at.clone(),
            payer_kana: d.payer_kana.clone(),
            order_id: holder.map(|h| h.to_string()),
            payment_status: None,
            duplicate: false,
        };
        let Some(id) = holder else {
            // Nobody's account: stored for operators to match by hand.
            out.duplicate = !self.store.insert_deposit(&record).await?;
            return Ok(out);
        };
        let actor = Actor::Service {
            name: format!("bank:{}", d.source),
        };
        let amount = Money::yen(d.amount);
        // The deposit row and its effect on the order commit together: a crash cannot leave a
        // deposit stored (so a redelivery is a duplicate) but never applied.
        let refused = AtomicBool::new(false);
        let applied = self
            .change_order_with(
                id,
                None,
                &actor,
                |o, app| {
                    let fx = o
                        .receive_deposit(amount, d.source, &actor, app.now())
                        .inspect_err(|_| refused.store(true, Ordering::Relaxed))?;
                    let jobs = crate::orders::allocate_if_ready(app, o);
                    Ok((fx, jobs))
                },
                |cs| cs.deposit = Some(record.clone()),
            )
            .await;
        match applied {
            Ok(order) => {
                out.payment_status = Some(order.payment.status);
                Ok(out)
            }
            Err(AppError::Store(StoreError::DuplicateDeposit(_))) => {
                out.duplicate = true;
                Ok(out)
            }
            Err(e) => {
                if refused.load(Ordering::Relaxed) {
                    // The order takes no money now: the deposit is still kept, for operators.
                    self.store.insert_deposit(&record).await?;
                }
                Err(e)
            }
        }
    }

    pub async fn list_deposits(
        &self,
        matched: Option<bool>,
        limit: i64,
    ) -> Result<Vec<DepositRecord>, AppError> {
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 1000"));
        }
        Ok(self.store.list_deposits(matched, limit).await?)
    }

    /// Imports a Zengin statement file (種別 01 or 03, Shift_JIS or UTF-8).
    pub async fn import_statement(&self, bytes: &[u8]) -> Result<StatementImport, AppError> {
        let deposits = zengin::parse(bytes).map_err(|e| AppError::invalid("file", e))?;
        let mut out = StatementImport {
            matched: vec![],
            unmatched: vec![],
            duplicates: 0,
        };
        for dep in deposits {
            let r = self.receive_deposit(statement_deposit(dep)).await?;
            if r.duplicate {
                out.duplicates += 1;
            } else if r.order_id.is_some() {
                out.matched.push(r);
            } else {
                out.unmatched.push(r);
            }
        }
        Ok(out)
    }

    /// `bank.remind` / `bank.expire`: the deadline of one bank-transfer order. Both do nothing once
    /// the order no longer waits for money, so a late or repeated job is harmless.
    pub(crate) async fn bank_deadline(&self, kind: &str, id: OrderId) -> Result<(), AppError> {
        let actor = Actor::system(kind);
        let expire = kind == "bank.expire";
        self.change_order(id, None, &actor, |o, app| {
                if !o.awaits_transfer() {
                    return Ok((Effects::default(), vec![]));
                }
                let now = app.now();
                // Part of the money came: cancelling would strand it, so an operator decides.
                if !expire || o.payment.captured_amount > Money::ZERO {
                    let mut fx = Effects::default();
                    let kind = if expire { "payment.overdue" } else { "payment.reminder" };
                    fx.events.push(Event::new(
                        kind,
                        &actor,
                        now,
                        json!({"due_date": o.payment.due_date, "virtual_account": o.payment.virtual_account,
                               "received": o.payment.captured_amount, "due": o.totals.total}),
                    ));
                    o.updated_at = now;
                    o.version += 1;
                    return Ok((fx, vec![]));
                }
                let had_stock = !o.allocations.is_empty();
                let fx = o.cancel(
                    "unpaid past the due date / 入金期限切れ",
                    &app.policies,
                    &actor,
                    now,
                )?;
                let jobs = if had_stock {
                    vec![crate::master::stock_arrived_job(app)]
                } else {
                    vec![]
                };
                Ok((fx, jobs))
            })
            .await?;
        Ok(())
    }
}

/// The account of an order that expects no more money on it (paid, or cancelled), to be freed in
/// the commit of the change (`order_change`), at the time of that change.
pub(crate) fn account_to_release(order: &Order) -> Option<(OrderId, jiff::Timestamp)> {
    let cancelled = order.status == juchu_domain::OrderStatus::Cancelled;
    let settled = cancelled || order.payment.status == PaymentStatus::Paid;
    // A cancelled bank-transfer order releases whatever the pool gave it, even an account its
    // receipt took but had not yet written on the order (the receipt lost the race to the cancel).
    let holds = order.payment.virtual_account.is_some()
        || (cancelled
            && order.payment.method == juchu_domain::payment::PaymentMethod::BankTransfer);
    (settled && holds).then_some((order.id, order.updated_at))
}

pub(crate) fn statement_deposit(d: StatementDeposit) -> NewDeposit {
    NewDeposit {
        dedupe_key: format!(
            "zengin:{}:{}:{}:{}",
            d.account, d.inquiry_number, d.value_date, d.amount
        ),
        source: "zengin",
        account: d.account,
        amount: d.amount,
        deposited_at: d.value_date,
        payer_kana: d.payer_name,
    }
}

/// The reminder and expiry jobs of a bank-transfer order: the reminder at the start (JST) of the
/// day N days before the due date, the expiry when the due date is over.
pub(crate) fn deadline_jobs(app: &App, order: &Order) -> Vec<NewJob> {
    let Some(due) = order.payment.due_date.filter(|_| order.awaits_transfer()) else {
        return vec![];
    };
    let start_of = |d: jiff::civil::Date| d.to_zoned(tokyo()).ok().map(|z| z.timestamp());
    let mut jobs = vec![];
    let days = i64::from(app.policies.bank.reminder_days_before_due);
    if days > 0
        && let Some(at) = due.checked_sub(days.days()).ok().and_then(start_of)
    {
        jobs.push(deadline_job("bank.remind", order.id, at));
    }
    if let Some(at) = due.checked_add(1.day()).ok().and_then(start_of) {
        jobs.push(deadline_job("bank.expire", order.id, at));
    }
    jobs
}

fn deadline_job(kind: &str, id: OrderId, at: jiff::Timestamp) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: json!({"order_id": id}),
        available_at: at,
        dedupe_key: Some(format!("{kind}:{id}")),
    }
}
