//! Card gateway modelled on GMO-PG's classic idPass protocol (FORMATS.md §6): form-encoded in,
//! query string out, errors as pipe-separated `ErrCode`/`ErrInfo` pairs (HTTP 200, as GMO does).
//!
//! Tokens: `tok_declined` is declined (`G02`/`42G020000`), `tok_fraud` is authorised with
//! `FraudScreening=REVIEW`, any other token is authorised with `FraudScreening=OK`.
//! A 仮売上 (AUTH) expires `card.auth_expiry_days` after it was made (sandbox clock): SALES then
//! fails with `E01`/`E01420010` and SearchTrade shows `Status=EXPIRED`.

use crate::ledger::MovementKind;
use crate::{S, World};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

const PROVIDER: &str = "card";
const MAX_AMOUNT: i64 = 9_999_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Unprocessed,
    Check,
    Auth,
    Capture,
    Sales,
    Void,
    Return,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Unprocessed => "UNPROCESSED",
            Status::Check => "CHECK",
            Status::Auth => "AUTH",
            Status::Capture => "CAPTURE",
            Status::Sales => "SALES",
            Status::Void => "VOID",
            Status::Return => "RETURN",
        }
    }
}

type Pairs = Vec<(String, String)>;

struct Tx {
    order_id: String,
    access_id: String,
    access_pass: String,
    job_cd: String,
    amount: i64,
    status: Status,
    /// The amount currently authorised (AUTH) or sold (SALES / CAPTURE).
    authorised: i64,
    captured: i64,
    refunded: i64,
    auth_at: Option<Timestamp>,
    processed_at: Timestamp,
    fraud: bool,
    tran_id: String,
    approve: String,
    /// (card source, response) of the ExecTran, replayed for a repeat with the same card.
    exec: Option<(String, Pairs)>,
    /// The last AlterTran response per JobCd, replayed when the same JobCd is repeated.
    alters: HashMap<String, Pairs>,
}

#[derive(Default)]
pub(crate) struct Cards {
    by_order: HashMap<String, Tx>,
    by_access: HashMap<String, String>,
    members: HashMap<String, Member>,
    seq: u64,
}

struct Member {
    name: String,
    /// Saved card tokens; CardSeq is the index.
    cards: Vec<String>,
}

pub(crate) fn routes() -> Router<S> {
    Router::new()
        .route("/payment/EntryTran.idPass", post(entry_tran))
        .route("/payment/ExecTran.idPass", post(exec_tran))
        .route("/payment/AlterTran.idPass", post(alter_tran))
        .route("/payment/ChangeTran.idPass", post(change_tran))
        .route("/payment/SearchTrade.idPass", post(search_trade))
        .route("/payment/SaveMember.idPass", post(save_member))
        .route("/payment/SaveCard.idPass", post(save_card))
}

fn reply(pairs: &Pairs) -> Response {
    let body = serde_urlencoded::to_string(pairs).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `ErrCode=E01|E01&ErrInfo=E01040001|E01060001`.
fn errors(list: &[(&str, &str)]) -> Pairs {
    let codes: Vec<&str> = list.iter().map(|(c, _)| *c).collect();
    let infos: Vec<&str> = list.iter().map(|(_, i)| *i).collect();
    vec![
        ("ErrCode".into(), codes.join("|")),
        ("ErrInfo".into(), infos.join("|")),
    ]
}

fn error(code: &str, info: &str) -> Response {
    reply(&errors(&[(code, info)]))
}

type Form = HashMap<String, String>;

fn form(body: &[u8]) -> Result<Form, Response> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|v| v.into_iter().collect())
        .map_err(|_| error("E01", "E01000000"))
}

fn field<'a>(f: &'a Form, name: &str) -> Option<&'a str> {
    f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Amount: digits only, 1..=9,999,999.
fn amount(f: &Form, missing: &'static str) -> Result<i64, Vec<(&'static str, &'static str)>> {
    let Some(a) = field(f, "Amount") else {
        return Err(vec![("E01", missing)]);
    };
    if !a.chars().all(|c| c.is_ascii_digit()) {
        return Err(vec![("E01", "E01060006")]);
    }
    match a.parse::<i64>() {
        Ok(v) if (1..=MAX_AMOUNT).contains(&v) => Ok(v),
        _ => Err(vec![("E01", "E01060005")]),
    }
}

fn tran_date(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

fn expired(w: &World, tx: &Tx) -> bool {
    is_expired(tx.status, tx.auth_at, w.now(), w.cfg.card.auth_expiry_days)
}

fn is_expired(status: Status, auth_at: Option<Timestamp>, now: Timestamp, days: i64) -> bool {
    match (status, auth_at) {
        (Status::Auth, Some(at)) => at
            .checked_add(SignedDuration::from_hours(days.saturating_mul(24)))
            .map(|until| now > until)
            .unwrap_or(false),
        _ => false,
    }
}

fn hex_id(w: &mut World, len: usize) -> String {
    use rand::Rng;
    let mut s = String::with_capacity(len);
    while s.len() < len {
        s.push_str(&format!("{:08x}", w.ids.random::<u32>()));
    }
    s.truncate(len);
    s
}

async fn entry_tran(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut errs: Vec<(&str, &str)> = vec![];
    let order_id = field(&f, "OrderID").unwrap_or("");
    if order_id.is_empty() {
        errs.push(("E01", "E01040001"));
    } else if order_id.len() > 27
        || !order_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errs.push(("E01", "E01040013"));
    }
    let job_cd = field(&f, "JobCd").unwrap_or("");
    match job_cd {
        "" => errs.push(("E01", "E01050001")),
        "AUTH" | "CAPTURE" | "CHECK" => {}
        _ => errs.push(("E01", "E01050002")),
    }
    let amt = if job_cd == "CHECK" {
        0
    } else {
        match amount(&f, "E01060001") {
            Ok(a) => a,
            Err(e) => {
                errs.extend(e);
                0
            }
        }
    };
    if !errs.is_empty() {
        return reply(&errors(&errs));
    }
    let mut w = s.world();
    if let Some(tx) = w.card.by_order.get(order_id) {
        // A retried EntryTran for the same order (same JobCd and amount) gets the same access keys.
        if tx.job_cd == job_cd && tx.amount == amt {
            return reply(&vec![
                ("AccessID".into(), tx.access_id.clone()),
                ("AccessPass".into(), tx.access_pass.clone()),
            ]);
        }
        return error("E01", "E01040010");
    }
    let access_id = hex_id(&mut w, 32);
    let access_pass = hex_id(&mut w, 32);
    let now = w.now();
    w.card.seq += 1;
    let seq = w.card.seq;
    let tx = Tx {
        order_id: order_id.to_owned(),
        access_id: access_id.clone(),
        access_pass: access_pass.clone(),
        job_cd: job_cd.to_owned(),
        amount: amt,
        status: Status::Unprocessed,
        authorised: 0,
        captured: 0,
        refunded: 0,
        auth_at: None,
        processed_at: now,
        fraud: false,
        tran_id: format!("{seq:028}"),
        approve: format!("{:07}", seq % 10_000_000),
        exec: None,
        alters: HashMap::new(),
    };
    w.card
        .by_access
        .insert(access_id.clone(), order_id.to_owned());
    w.card.by_order.insert(order_id.to_owned(), tx);
    reply(&vec![
        ("AccessID".into(), access_id),
        ("AccessPass".into(), access_pass),
    ])
}

/// The transaction of AccessID/AccessPass, or the GMO error for why not.
fn find<'a>(w: &'a mut World, f: &Form) -> Result<&'a mut Tx, Response> {
    let mut errs = vec![];
    let id = field(f, "AccessID");
    let pass = field(f, "AccessPass");
    if id.is_none() {
        errs.push(("E01", "E01090001"));
    }
    if pass.is_none() {
        errs.push(("E01", "E01100001"));
    }
    if !errs.is_empty() {
        return Err(reply(&errors(&errs)));
    }
    let order = w
        .card
        .by_access
        .get(id.unwrap_or(""))
        .cloned()
        .unwrap_or_default();
    match w.card.by_order.get_mut(&order) {
        Some(tx) if Some(tx.access_pass.as_str()) == pass => Ok(tx),
        _ => Err(error("E01", "E01110002")),
    }
}

async fn exec_tran(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut w = s.world();
    // The card: a one-time token, or a saved card (MemberID + CardSeq).
    let (source, token) = if let Some(t) = field(&f, "Token") {
        (format!("token:{t}"), t.to_owned())
    } else if let Some(m) = field(&f, "MemberID") {
        let seq = field(&f, "CardSeq").unwrap_or("0");
        let Some(member) = w.card.members.get(m) else {
            return error("E01", "E01390002");
        };
        let Some(t) = seq.parse::<usize>().ok().and_then(|i| member.cards.get(i)) else {
            return error("E01", "E01240002");
        };
        (format!("member:{m}:{seq}"), t.clone())
    } else {
        return error("E01", "E01170001");
    };
    let now = w.now();
    let tx = match find(&mut w, &f) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(o) = field(&f, "OrderID")
        && o != tx.order_id
    {
        return error("E01", "E01110002");
    }
    if let Some((src, resp)) = &tx.exec {
        // A retried ExecTran with the same card gets the first answer (never a second authorisation).
        if *src == source {
            return reply(resp);
        }
        if tx.status != Status::Unprocessed {
            return error("E01", "E01050004");
        }
    }
    let method = field(&f, "Method").unwrap_or("1").to_owned();
    let resp = if token == "tok_declined" {
        errors(&[("G02", "42G020000")])
    } else {
        tx.fraud = token == "tok_fraud";
        tx.processed_at = now;
        let (status, captured) = match tx.job_cd.as_str() {
            "CHECK" => (Status::Check, 0),
            "CAPTURE" => (Status::Capture, tx.amount),
            _ => (Status::Auth, 0),
        };
        tx.status = status;
        tx.authorised = tx.amount;
        tx.captured = captured;
        tx.auth_at = Some(now);
        vec![
            ("ACS".into(), "0".into()),
            ("OrderID".into(), tx.order_id.clone()),
            ("Forward".into(), "2a99662".into()),
            ("Method".into(), method),
            ("PayTimes".into(), String::new()),
            ("Approve".into(), tx.approve.clone()),
            ("TranID".into(), tx.tran_id.clone()),
            ("TranDate".into(), tran_date(now)),
            (
                "CheckString".into(),
                hex::encode(&tx.access_pass.as_bytes()[..16]),
            ),
            (
                "FraudScreening".into(),
                if tx.fraud { "REVIEW" } else { "OK" }.into(),
            ),
        ]
    };
    tx.exec = Some((source, resp.clone()));
    let (status, order, amount) = (tx.status, tx.order_id.clone(), tx.amount);
    if resp.iter().all(|(k, _)| k != "ErrCode") {
        match status {
            Status::Auth => w
                .ledger
                .record(MovementKind::Authorise, PROVIDER, &order, amount, now),
            Status::Capture => {
                w.ledger
                    .record(MovementKind::Authorise, PROVIDER, &order, amount, now);
                w.ledger
                    .record(MovementKind::Capture, PROVIDER, &order, amount, now);
            }
            _ => {}
        }
    }
    reply(&resp)
}

fn alter_ok(tx: &Tx, now: Timestamp) -> Pairs {
    vec![
        ("AccessID".into(), tx.access_id.clone()),
        ("AccessPass".into(), tx.access_pass.clone()),
        ("Forward".into(), "2a99662".into()),
        ("Approve".into(), tx.approve.clone()),
        ("TranID".into(), tx.tran_id.clone()),
        ("TranDate".into(), tran_date(now)),
    ]
}

async fn alter_tran(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let job_cd = match field(&f, "JobCd") {
        None => return error("E01", "E01050001"),
        Some(j @ ("SALES" | "VOID" | "RETURN" | "RETURNX")) => j.to_owned(),
        Some(_) => return error("E01", "E01050002"),
    };
    let requested = if field(&f, "Amount").is_some() || job_cd == "SALES" {
        match amount(&f, "E01060001") {
            Ok(a) => Some(a),
            Err(e) => return reply(&errors(&e)),
        }
    } else {
        None
    };
    let mut w = s.world();
    let now = w.now();
    let days = w.cfg.card.auth_expiry_days;
    let tx = match find(&mut w, &f) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let expired_now = is_expired(tx.status, tx.auth_at, now, days);
    let mut movements: Vec<(MovementKind, i64)> = vec![];
    let resp = match (job_cd.as_str(), tx.status) {
        ("SALES", Status::Auth) if expired_now => errors(&[("E01", "E01420010")]),
        ("SALES", Status::Auth) => {
            if requested != Some(tx.authorised) {
                errors(&[("E01", "E01060010")])
            } else {
                tx.status = Status::Sales;
                tx.captured = tx.authorised;
                tx.processed_at = now;
                movements.push((MovementKind::Capture, tx.captured));
                alter_ok(tx, now)
            }
        }
        ("VOID", Status::Auth | Status::Check) => {
            if tx.status == Status::Auth {
                movements.push((MovementKind::Void, tx.authorised));
            }
            tx.status = Status::Void;
            tx.processed_at = now;
            alter_ok(tx, now)
        }
        ("RETURN" | "RETURNX", Status::Sales | Status::Capture) => {
            let left = tx.captured - tx.refunded;
            let amt = requested.unwrap_or(left);
            if amt > left {
                errors(&[("E01", "E01060010")])
            } else {
                tx.refunded += amt;
                if tx.refunded == tx.captured {
                    tx.status = Status::Return;
                }
                tx.processed_at = now;
                movements.push((MovementKind::Refund, amt));
                alter_ok(tx, now)
            }
        }
        (j, _) => match tx.alters.get(j) {
            // The same JobCd again on a transaction it already moved: the first answer, applied once.
            Some(r) if requested.is_none_or(|a| j != "SALES" || a == tx.captured) => r.clone(),
            _ => errors(&[("E01", "E01050004")]),
        },
    };
    if resp.iter().all(|(k, _)| k != "ErrCode") {
        tx.alters.insert(job_cd.clone(), resp.clone());
    }
    let order = tx.order_id.clone();
    for (kind, amt) in movements {
        w.ledger.record(kind, PROVIDER, &order, amt, now);
    }
    reply(&resp)
}

/// ChangeTran: a new amount for a 仮売上 (a re-authorisation: the expiry restarts).
async fn change_tran(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match field(&f, "JobCd") {
        None => return error("E01", "E01050001"),
        Some("AUTH" | "CAPTURE" | "SAUTH") => {}
        Some(_) => return error("E01", "E01050002"),
    }
    let amt = match amount(&f, "E01060001") {
        Ok(a) => a,
        Err(e) => return reply(&errors(&e)),
    };
    let mut w = s.world();
    let now = w.now();
    let days = w.cfg.card.auth_expiry_days;
    let tx = match find(&mut w, &f) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let is_expired = is_expired(tx.status, tx.auth_at, now, days);
    if tx.status != Status::Auth {
        return error("E01", "E01050004");
    }
    if is_expired {
        return error("E01", "E01420010");
    }
    let old = tx.authorised;
    if old == amt {
        return reply(&alter_ok(tx, now));
    }
    tx.authorised = amt;
    tx.amount = amt;
    tx.auth_at = Some(now);
    tx.processed_at = now;
    let resp = alter_ok(tx, now);
    let order = tx.order_id.clone();
    w.ledger
        .record(MovementKind::Void, PROVIDER, &order, old, now);
    w.ledger
        .record(MovementKind::Authorise, PROVIDER, &order, amt, now);
    reply(&resp)
}

async fn search_trade(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(order) = field(&f, "OrderID") else {
        return error("E01", "E01040001");
    };
    let w = s.world();
    let Some(tx) = w.card.by_order.get(order) else {
        return error("E01", "E01110002");
    };
    let status = if expired(&w, tx) {
        "EXPIRED"
    } else {
        tx.status.as_str()
    };
    let until = tx
        .auth_at
        .and_then(|a| {
            a.checked_add(SignedDuration::from_hours(
                w.cfg.card.auth_expiry_days.saturating_mul(24),
            ))
            .ok()
        })
        .map(tran_date)
        .unwrap_or_default();
    reply(&vec![
        ("OrderID".into(), tx.order_id.clone()),
        ("Status".into(), status.into()),
        ("ProcessDate".into(), tran_date(tx.processed_at)),
        ("JobCd".into(), tx.job_cd.clone()),
        ("AccessID".into(), tx.access_id.clone()),
        ("AccessPass".into(), tx.access_pass.clone()),
        ("Amount".into(), tx.authorised.to_string()),
        ("Tax".into(), "0".into()),
        ("CapturedAmount".into(), tx.captured.to_string()),
        ("RefundedAmount".into(), tx.refunded.to_string()),
        ("AuthExpiresAt".into(), until),
        ("Approve".into(), tx.approve.clone()),
        ("TranID".into(), tx.tran_id.clone()),
        (
            "FraudScreening".into(),
            if tx.fraud { "REVIEW" } else { "OK" }.into(),
        ),
    ])
}

async fn save_member(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = field(&f, "MemberID") else {
        return error("E01", "E01390001");
    };
    if id.len() > 60 {
        return error("E01", "E01390003");
    }
    let name = field(&f, "MemberName").unwrap_or("").to_owned();
    let mut w = s.world();
    match w.card.members.get(id) {
        Some(m) if m.name == name => {}
        Some(_) => return error("E01", "E01390010"),
        None => {
            w.card.members.insert(
                id.to_owned(),
                Member {
                    name,
                    cards: vec![],
                },
            );
        }
    }
    reply(&vec![("MemberID".into(), id.to_owned())])
}

async fn save_card(State(s): State<S>, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = field(&f, "MemberID") else {
        return error("E01", "E01390001");
    };
    let Some(token) = field(&f, "Token") else {
        return error("E01", "E01170001");
    };
    let mut w = s.world();
    let Some(m) = w.card.members.get_mut(id) else {
        return error("E01", "E01390002");
    };
    // Saving the same token again returns its CardSeq (a retried SaveCard saves once).
    let seq = match m.cards.iter().position(|t| t == token) {
        Some(i) => i,
        None => {
            m.cards.push(token.to_owned());
            m.cards.len() - 1
        }
    };
    reply(&vec![
        ("CardSeq".into(), seq.to_string()),
        ("CardNo".into(), "************1111".into()),
        ("Forward".into(), "2a99662".into()),
    ])
}
