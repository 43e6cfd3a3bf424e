//! The bank: virtual accounts from a pool, simulated deposits that send HMAC-SHA256-signed webhooks
//! (juchu's `POST /webhooks/bank/deposits` shape), Zengin statement files of those deposits (振込入金通知
//! 01 and 入出金取引明細 03, Shift_JIS by default), and payouts (refund transfers) recorded.
//!
//! Webhooks go out in order through one delivery task; duplicates and out-of-order deliveries are
//! injected here (`faults.duplicate_webhook_rate`, `faults.out_of_order_webhook_rate`): an
//! out-of-order webhook is held back and delivered right after the next deposit's (or on
//! `POST /_sandbox/bank/webhooks/flush`, or after `faults.out_of_order_hold_ms`).

use crate::ledger::MovementKind;
use crate::{BankConfig, S, Shared, json_error, parse_json};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::civil::Date;
use juchu_formats::webhook;
use juchu_formats::zengin_write::{self, Layout};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Weak;

const PROVIDER: &str = "bank";

/// The header carrying the webhook signature; with `X-Juchu-Timestamp` and `X-Juchu-Delivery`
/// (juchu_formats::webhook, docs/security.md).
pub const WEBHOOK_SIGNATURE_HEADER: &str = webhook::SIGNATURE_HEADER;

#[derive(Debug, Clone, Serialize)]
struct VirtualAccount {
    /// `0310-101-1000001`, the form juchu's webhook and statements use.
    account: String,
    bank_code: String,
    branch_code: String,
    account_number: String,
    holder_name_kana: String,
}

#[derive(Debug, Clone, Serialize)]
struct DepositRec {
    event_id: String,
    account: String,
    account_number: i64,
    amount: i64,
    payer_kana: String,
    value_date: Date,
    inquiry_number: i64,
    deposited_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
struct Payout {
    payout_id: String,
    bank_code: String,
    branch_code: String,
    account_number: String,
    account_name: String,
    amount: i64,
    reference: String,
    status: &'static str,
    executed_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
struct DeliveryLog {
    event_id: String,
    /// `X-Juchu-Delivery` of this attempt: unique per attempt, so a re-sent webhook is never
    /// mistaken for a replay.
    delivery_id: String,
    attempt: u32,
    /// HTTP status, or 0 when the receiver could not be reached.
    status: u16,
    ok: bool,
    at: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    event_id: String,
    /// Numbers each delivery (a duplicate gets its own), for its `X-Juchu-Delivery` ids.
    seq: u64,
    body: Vec<u8>,
}

pub(crate) struct Bank {
    next: i64,
    issued: Vec<VirtualAccount>,
    deposits: Vec<DepositRec>,
    payouts: Vec<Payout>,
    held: Vec<Delivery>,
    /// Bumped whenever webhooks are held back, so a stale release timer does nothing.
    hold_gen: u64,
    log: Vec<DeliveryLog>,
    /// The last `Delivery::seq` handed out.
    deliveries: u64,
}

impl Bank {
    pub fn new(cfg: &BankConfig) -> Self {
        Bank {
            next: cfg.first_account,
            issued: vec![],
            deposits: vec![],
            payouts: vec![],
            held: vec![],
            hold_gen: 0,
            log: vec![],
            deliveries: 0,
        }
    }
}

pub(crate) fn routes() -> Router<S> {
    Router::new()
        .route("/bank/v1/va/issue", post(issue))
        .route("/bank/v1/va", get(list_accounts))
        .route("/bank/v1/statements", get(statement))
        .route("/bank/v1/payouts", post(payout).get(list_payouts))
        .route("/_sandbox/bank/deposits", post(deposit).get(list_deposits))
        .route("/_sandbox/bank/webhooks", get(list_deliveries))
        .route("/_sandbox/bank/webhooks/flush", post(flush))
}

fn unprocessable(code: &str, msg: &str) -> Response {
    json_error(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

fn jst_date(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .date()
}

/// Half-width (JIS X 0201) characters only, as Zengin files carry.
fn half_width(s: &str) -> bool {
    s.chars()
        .all(|c| (' '..='~').contains(&c) || ('\u{FF61}'..='\u{FF9F}').contains(&c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueIn {
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    holder_name_kana: Option<String>,
}

fn one() -> usize {
    1
}

async fn issue(State(s): State<S>, body: Bytes) -> Response {
    let input: IssueIn = if body.is_empty() {
        IssueIn {
            count: 1,
            holder_name_kana: None,
        }
    } else {
        match parse_json(&body) {
            Ok(v) => v,
            Err(e) => return unprocessable("invalid_body", &e),
        }
    };
    if !(1..=1000).contains(&input.count) {
        return unprocessable("invalid_count", "count must be 1–1000");
    }
    let holder = input
        .holder_name_kana
        .unwrap_or_else(|| "ｼﾞﾕﾁﾕｳ(ｶ".to_owned());
    if holder.chars().count() > 40 || !half_width(&holder) {
        return unprocessable(
            "invalid_holder_name_kana",
            "holder_name_kana must be at most 40 half-width characters (ASCII or ｶﾅ)",
        );
    }
    let mut w = s.world();
    let cfg = w.cfg.bank.clone();
    let left = cfg.last_account - w.bank.next + 1;
    if (input.count as i64) > left {
        return json_error(
            StatusCode::CONFLICT,
            "pool_exhausted",
            &format!(
                "the virtual-account pool {}–{} has {} account(s) left, {} asked",
                cfg.first_account,
                cfg.last_account,
                left.max(0),
                input.count
            ),
        );
    }
    let mut out = vec![];
    for _ in 0..input.count {
        let n = w.bank.next;
        w.bank.next += 1;
        let va = VirtualAccount {
            account: format!("{}-{}-{n:07}", cfg.bank_code, cfg.branch_code),
            bank_code: cfg.bank_code.clone(),
            branch_code: cfg.branch_code.clone(),
            account_number: format!("{n:07}"),
            holder_name_kana: holder.clone(),
        };
        w.bank.issued.push(va.clone());
        out.push(va);
    }
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({ "accounts": out })),
    )
        .into_response()
}

async fn list_accounts(State(s): State<S>) -> Response {
    axum::Json(serde_json::json!({ "accounts": s.world().bank.issued })).into_response()
}

/// `0310-101-1000001` (this bank and branch) or `1000001` → the account number.
fn account_number(cfg: &BankConfig, raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let num = match raw.split('-').collect::<Vec<_>>().as_slice() {
        [n] => *n,
        [b, br, n] if *b == cfg.bank_code && *br == cfg.branch_code => *n,
        [_, _, _] => {
            return Err(format!(
                "account `{raw}` is not at this bank (bank {} branch {})",
                cfg.bank_code, cfg.branch_code
            ));
        }
        _ => {
            return Err(format!(
                "account `{raw}` is not `BANK-BRANCH-NUMBER` or a 7-digit number"
            ));
        }
    };
    if num.len() != 7 || !num.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("account number `{num}` must be 7 digits"));
    }
    num.parse::<i64>().map_err(|e| e.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositIn {
    account: String,
    amount: i64,
    #[serde(default)]
    name: Option<String>,
    /// 勘定日 `YYYY-MM-DD`; default today (JST, sandbox clock).
    #[serde(default)]
    date: Option<Date>,
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    event_id: &'a str,
    account_number: &'a str,
    amount: i64,
    deposited_at: String,
    payer_kana: &'a str,
}

async fn deposit(State(s): State<S>, body: Bytes) -> Response {
    let input: DepositIn = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return unprocessable("invalid_body", &e),
    };
    if !(1..=9_999_999_999).contains(&input.amount) {
        return unprocessable("invalid_amount", "amount must be 1–9,999,999,999 yen");
    }
    let name = input.name.unwrap_or_else(|| "ｻﾝﾄﾞﾎﾞﾂｸｽ ﾀﾛｳ".to_owned());
    if name.trim().is_empty() || name.chars().count() > 48 || !half_width(&name) {
        return unprocessable(
            "invalid_name",
            "name must be 1–48 half-width characters (ASCII or ｶﾅ, e.g. `ﾔﾏﾀﾞ ﾀﾛｳ`)",
        );
    }
    let mut w = s.world();
    let cfg = w.cfg.bank.clone();
    let number = match account_number(&cfg, &input.account) {
        Ok(n) => n,
        Err(e) => return unprocessable("invalid_account", &e),
    };
    let now = w.now();
    let inquiry = w.bank.deposits.len() as i64 + 1;
    let event_id = format!("dep-{inquiry:08}");
    let account = format!("{}-{}-{number:07}", cfg.bank_code, cfg.branch_code);
    let rec = DepositRec {
        event_id: event_id.clone(),
        account: account.clone(),
        account_number: number,
        amount: input.amount,
        payer_kana: name.clone(),
        value_date: input.date.unwrap_or_else(|| jst_date(now)),
        inquiry_number: inquiry,
        deposited_at: now,
    };
    w.bank.deposits.push(rec.clone());
    w.ledger
        .record(MovementKind::Deposit, PROVIDER, &account, input.amount, now);
    let webhook = if cfg.webhook_url.is_some() {
        let body = serde_json::to_vec(&WebhookBody {
            event_id: &event_id,
            account_number: &account,
            amount: input.amount,
            deposited_at: now
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            payer_kana: &name,
        })
        .unwrap_or_default();
        w.bank.deliveries += 1;
        let d = Delivery {
            event_id: event_id.clone(),
            seq: w.bank.deliveries,
            body,
        };
        let (dup_rate, ooo_rate) = (
            w.cfg.faults.duplicate_webhook_rate,
            w.cfg.faults.out_of_order_webhook_rate,
        );
        let dup = dup_rate > 0.0 && w.rng.random::<f64>() < dup_rate;
        let ooo = ooo_rate > 0.0 && w.rng.random::<f64>() < ooo_rate;
        let mut batch = vec![d.clone()];
        if dup {
            w.bank.deliveries += 1;
            batch.push(Delivery {
                seq: w.bank.deliveries,
                ..d
            });
        }
        let status = if !w.bank.held.is_empty() {
            batch.append(&mut w.bank.held);
            send(&s, batch);
            "queued"
        } else if ooo {
            w.bank.held = batch;
            w.bank.hold_gen += 1;
            let (generation, hold) = (w.bank.hold_gen, w.cfg.faults.out_of_order_hold_ms);
            let s2 = s.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(hold)).await;
                let held = {
                    let mut w = s2.world();
                    if w.bank.hold_gen == generation {
                        std::mem::take(&mut w.bank.held)
                    } else {
                        vec![]
                    }
                };
                send(&s2, held);
            });
            "held"
        } else {
            send(&s, batch);
            "queued"
        };
        serde_json::json!({"status": status, "duplicated": dup})
    } else {
        serde_json::json!({"status": "not_configured", "duplicated": false})
    };
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"deposit": rec, "webhook": webhook})),
    )
        .into_response()
}

fn send(s: &Shared, batch: Vec<Delivery>) {
    for d in batch {
        let _ = s.webhooks.send(d);
    }
}

async fn list_deposits(State(s): State<S>) -> Response {
    axum::Json(serde_json::json!({ "deposits": s.world().bank.deposits })).into_response()
}

async fn list_deliveries(State(s): State<S>) -> Response {
    axum::Json(serde_json::json!({ "deliveries": s.world().bank.log })).into_response()
}

async fn flush(State(s): State<S>) -> Response {
    let held = std::mem::take(&mut s.world().bank.held);
    let n = held.len();
    send(&s, held);
    axum::Json(serde_json::json!({ "released": n })).into_response()
}

/// Sends webhooks one at a time, in queue order, retrying a failed delivery with backoff.
pub(crate) async fn deliver_webhooks(
    shared: Weak<Shared>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Delivery>,
) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    while let Some(d) = rx.recv().await {
        let Some(s) = shared.upgrade() else {
            return;
        };
        let (url, secret, attempts) = {
            let w = s.world();
            (
                w.cfg.bank.webhook_url.clone(),
                w.cfg.bank.webhook_secret.clone(),
                w.cfg.bank.webhook_attempts.max(1),
            )
        };
        drop(s);
        let Some(url) = url else { continue };
        for attempt in 1..=attempts {
            // Signed afresh for every attempt, with the real time (the receiver checks it against
            // its own clock, whatever the sandbox clock says) and an id of its own.
            let delivery_id = format!("{}-{}-{attempt}", d.event_id, d.seq);
            let ts = Timestamp::now().as_second();
            let sig = webhook::sign(secret.as_bytes(), ts, &delivery_id, &d.body);
            let r = client
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json")
                .header(webhook::TIMESTAMP_HEADER, ts.to_string())
                .header(webhook::DELIVERY_HEADER, &delivery_id)
                .header(WEBHOOK_SIGNATURE_HEADER, &sig)
                .body(d.body.clone())
                .send()
                .await;
            let status = r.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
            let ok = (200..300).contains(&status);
            let Some(s) = shared.upgrade() else {
                return;
            };
            {
                let mut w = s.world();
                let at = w.now();
                w.bank.log.push(DeliveryLog {
                    event_id: d.event_id.clone(),
                    delivery_id,
                    attempt,
                    status,
                    ok,
                    at,
                });
            }
            drop(s);
            if ok {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200 << attempt.min(6))).await;
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementQuery {
    /// `01` (振込入金通知, default) or `03` (入出金取引明細).
    #[serde(default)]
    layout: Option<String>,
    /// Only this account (`0310-101-1000001` or `1000001`); default every account with deposits.
    #[serde(default)]
    account: Option<String>,
    /// 勘定日 range, inclusive.
    #[serde(default)]
    from: Option<Date>,
    #[serde(default)]
    to: Option<Date>,
    /// `sjis` (default) or `utf8`.
    #[serde(default)]
    encoding: Option<String>,
    /// Records separated by CRLF (default true).
    #[serde(default)]
    crlf: Option<bool>,
}

async fn statement(State(s): State<S>, Query(q): Query<StatementQuery>) -> Response {
    let layout = match q.layout.as_deref().unwrap_or("01") {
        "01" => Layout::Transfers01,
        "03" => Layout::Statement03,
        other => {
            return unprocessable(
                "invalid_layout",
                &format!("layout `{other}` is not 01 (振込入金通知) or 03 (入出金取引明細)"),
            );
        }
    };
    let sjis = match q.encoding.as_deref().unwrap_or("sjis") {
        "sjis" | "shift_jis" => true,
        "utf8" | "utf-8" => false,
        other => {
            return unprocessable(
                "invalid_encoding",
                &format!("encoding `{other}` is not sjis or utf8"),
            );
        }
    };
    let w = s.world();
    let cfg = w.cfg.bank.clone();
    let only = match q.account.as_deref().map(|a| account_number(&cfg, a)) {
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return unprocessable("invalid_account", &e),
        None => None,
    };
    let mut per_account: BTreeMap<i64, Vec<zengin_write::Deposit>> = BTreeMap::new();
    if let Some(n) = only {
        per_account.entry(n).or_default();
    }
    for d in &w.bank.deposits {
        if only.is_some_and(|n| n != d.account_number)
            || q.from.is_some_and(|f| d.value_date < f)
            || q.to.is_some_and(|t| d.value_date > t)
        {
            continue;
        }
        per_account
            .entry(d.account_number)
            .or_default()
            .push(zengin_write::Deposit {
                inquiry: d.inquiry_number,
                date: d.value_date,
                amount: d.amount,
                payer: d.payer_kana.clone(),
            });
    }
    if per_account.is_empty() {
        per_account.entry(cfg.first_account).or_default();
    }
    let created = jst_date(w.now());
    drop(w);
    let mut out = vec![];
    for (number, deps) in per_account {
        let acc = zengin_write::Account {
            bank: cfg.bank_code.clone(),
            bank_name: cfg.bank_name.clone(),
            branch: cfg.branch_code.clone(),
            branch_name: cfg.branch_name.clone(),
            number,
            holder: "ｼﾞﾕﾁﾕｳ(ｶ".into(),
        };
        match zengin_write::write(layout, &acc, &deps, created, q.crlf.unwrap_or(true), sjis) {
            Ok(b) => out.extend(b),
            Err(e) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, "zengin", &e),
        }
    }
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"statement.txt\"",
            ),
        ],
        out,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayoutIn {
    bank_code: String,
    branch_code: String,
    account_number: String,
    #[serde(default)]
    account_name: String,
    amount: i64,
    /// The caller's key for the transfer (e.g. the refund id); a repeat is refused.
    reference: String,
}

async fn payout(State(s): State<S>, body: Bytes) -> Response {
    let p: PayoutIn = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return unprocessable("invalid_body", &e),
    };
    let digits = |v: &str, n: usize| v.len() == n && v.chars().all(|c| c.is_ascii_digit());
    let mut problems = vec![];
    if !digits(&p.bank_code, 4) {
        problems.push("bank_code must be 4 digits");
    }
    if !digits(&p.branch_code, 3) {
        problems.push("branch_code must be 3 digits");
    }
    if !digits(&p.account_number, 7) {
        problems.push("account_number must be 7 digits");
    }
    if !(1..=9_999_999_999).contains(&p.amount) {
        problems.push("amount must be 1–9,999,999,999 yen");
    }
    if p.reference.trim().is_empty() || p.reference.len() > 100 {
        problems.push("reference must be 1–100 characters");
    }
    if !problems.is_empty() {
        return unprocessable("invalid_payout", &problems.join("; "));
    }
    let mut w = s.world();
    if let Some(prev) = w.bank.payouts.iter().find(|x| x.reference == p.reference) {
        // The same reference again is the same transfer: answered, not paid twice.
        if prev.amount == p.amount && prev.account_number == p.account_number {
            return (StatusCode::OK, axum::Json(prev.clone())).into_response();
        }
        return json_error(
            StatusCode::CONFLICT,
            "duplicate_reference",
            &format!(
                "payout reference `{}` was used for a different transfer",
                p.reference
            ),
        );
    }
    let now = w.now();
    let out = Payout {
        payout_id: format!("po-{:08}", w.bank.payouts.len() + 1),
        bank_code: p.bank_code,
        branch_code: p.branch_code,
        account_number: p.account_number,
        account_name: p.account_name,
        amount: p.amount,
        reference: p.reference,
        status: "completed",
        executed_at: now,
    };
    w.ledger.record(
        MovementKind::Payout,
        PROVIDER,
        &out.payout_id,
        out.amount,
        now,
    );
    w.bank.payouts.push(out.clone());
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

async fn list_payouts(State(s): State<S>) -> Response {
    axum::Json(serde_json::json!({ "payouts": s.world().bank.payouts })).into_response()
}
