//! The bank over HTTP: virtual accounts, deposits with HMAC-signed webhooks received by a small
//! axum server in the test, duplicate / out-of-order / retried deliveries, Zengin statements in both
//! layouts parsed back with juchu's own parser, payouts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use juchu_formats::webhook;
use juchu_sandbox::{BankConfig, SandboxConfig, WEBHOOK_SIGNATURE_HEADER};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "s3cret";

/// The signature headers and the raw body of one webhook received.
#[derive(Debug, Clone)]
struct Call {
    timestamp: Option<String>,
    delivery: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

type Calls = Arc<Mutex<Vec<Call>>>;

#[derive(Clone, Default)]
struct Received {
    calls: Calls,
    /// Answer 500 to this many calls first.
    fail_first: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    {
        let mut f = r.fail_first.lock().expect("lock");
        if *f > 0 {
            *f -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    r.calls.lock().expect("lock").push(Call {
        timestamp: header(webhook::TIMESTAMP_HEADER),
        delivery: header(webhook::DELIVERY_HEADER),
        signature: header(WEBHOOK_SIGNATURE_HEADER),
        body: body.to_vec(),
    });
    StatusCode::OK
}

async fn receiver() -> (String, Received) {
    let rec = Received::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(rec.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", l.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, rec)
}

fn verify(secret: &str, c: &Call) -> bool {
    let now = jiff::Timestamp::now().as_second();
    webhook::verify(
        secret.as_bytes(),
        c.timestamp.as_deref(),
        c.delivery.as_deref(),
        c.signature.as_deref(),
        &c.body,
    )
    .is_ok_and(|ts| webhook::fresh(ts, now, webhook::DEFAULT_TOLERANCE_SECS))
}

async fn wait_for(rec: &Received, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        if rec.calls.lock().expect("lock").len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a stray extra delivery the chance to show up.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let calls = rec.calls.lock().expect("lock").clone();
    let ids: HashSet<_> = calls.iter().map(|c| c.delivery.clone()).collect();
    assert_eq!(
        ids.len(),
        calls.len(),
        "every delivery has an id of its own"
    );
    calls
        .iter()
        .map(|c| {
            assert!(verify(SECRET, c), "signature verifies: {c:?}");
            assert!(!verify("wrong", c), "another secret does not");
            serde_json::from_slice(&c.body).expect("json")
        })
        .collect()
}

async fn bank_sandbox(url: &str) -> juchu_sandbox::SandboxHandle {
    start(SandboxConfig {
        bank: BankConfig {
            webhook_url: Some(url.to_owned()),
            webhook_secret: SECRET.into(),
            ..BankConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
}

#[tokio::test]
async fn virtual_accounts_deposit_webhook_and_payouts() {
    let (url, rec) = receiver().await;
    let sb = bank_sandbox(&url).await;
    let (s, r) = post_json(&sb, "/bank/v1/va/issue", &json!({"count": 2})).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["accounts"][0]["account"], "0310-101-1000001");
    assert_eq!(r["accounts"][1]["account_number"], "1000002");
    assert_eq!(r["accounts"][1]["bank_code"], "0310");
    assert_eq!(r["accounts"][1]["branch_code"], "101");

    let (s, d) = post_json(
        &sb,
        "/_sandbox/bank/deposits",
        &json!({"account": "0310-101-1000001", "amount": 12000, "name": "ﾔﾏﾀﾞ ﾀﾛｳ"}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["webhook"]["status"], "queued");
    let got = wait_for(&rec, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["account_number"], "0310-101-1000001");
    assert_eq!(got[0]["amount"], 12000);
    assert_eq!(got[0]["payer_kana"], "ﾔﾏﾀﾞ ﾀﾛｳ");
    assert_eq!(got[0]["event_id"], d["deposit"]["event_id"]);
    let at = got[0]["deposited_at"].as_str().unwrap_or("");
    assert!(at.ends_with("+09:00") && at.len() == 25, "{at}");

    for (body, field) in [
        (
            json!({"account": "1000001", "amount": 100, "name": "山田"}),
            "invalid_name",
        ),
        (
            json!({"account": "0005-001-1000001", "amount": 100}),
            "invalid_account",
        ),
        (json!({"account": "12", "amount": 100}), "invalid_account"),
        (json!({"account": "1000001", "amount": 0}), "invalid_amount"),
    ] {
        let (s, e) = post_json(&sb, "/_sandbox/bank/deposits", &body).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(e["error"], field);
    }

    let p = json!({"bank_code": "0005", "branch_code": "123", "account_number": "7654321", "account_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "amount": 3000, "reference": "refund-9"});
    let (s, a) = post_json(&sb, "/bank/v1/payouts", &p).await;
    assert_eq!(s, 201, "{a}");
    let (s, b) = post_json(&sb, "/bank/v1/payouts", &p).await;
    assert_eq!(s, 200);
    assert_eq!(a["payout_id"], b["payout_id"]);
    let mut other = p.clone();
    other["amount"] = json!(1);
    let (s, _) = post_json(&sb, "/bank/v1/payouts", &other).await;
    assert_eq!(s, 409);
    let (s, e) = post_json(&sb, "/bank/v1/payouts", &json!({"bank_code": "5", "branch_code": "123", "account_number": "7654321", "amount": 1, "reference": "x"})).await;
    assert_eq!(s, 422);
    assert!(
        e["message"].as_str().unwrap_or("").contains("bank_code"),
        "{e}"
    );

    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("deposit", "bank", "0310-101-1000001", 12000),
            mv("payout", "bank", a["payout_id"].as_str().expect("id"), 3000),
        ]
    );
}

#[tokio::test]
async fn duplicate_out_of_order_and_retried_webhooks() {
    let (url, rec) = receiver().await;
    let sb = bank_sandbox(&url).await;
    let (s, _) = post_json(
        &sb,
        "/_sandbox/faults",
        &json!({"out_of_order_webhook_rate": 1.0, "seed": 1}),
    )
    .await;
    assert_eq!(s, 200);
    let dep = |amount: i64| json!({"account": "1000005", "amount": amount, "name": "ｽｽﾞｷ"});
    let (_, a) = post_json(&sb, "/_sandbox/bank/deposits", &dep(100)).await;
    assert_eq!(a["webhook"]["status"], "held");
    let (_, b) = post_json(&sb, "/_sandbox/bank/deposits", &dep(200)).await;
    assert_eq!(b["webhook"]["status"], "queued");
    let got = wait_for(&rec, 2).await;
    let amounts: Vec<i64> = got
        .iter()
        .map(|v| v["amount"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(
        amounts,
        vec![200, 100],
        "the first deposit's webhook arrives after the second's"
    );

    post_json(
        &sb,
        "/_sandbox/faults",
        &json!({"out_of_order_webhook_rate": 0.0, "duplicate_webhook_rate": 1.0}),
    )
    .await;
    let (_, c) = post_json(&sb, "/_sandbox/bank/deposits", &dep(300)).await;
    assert_eq!(c["webhook"]["duplicated"], true);
    let got = wait_for(&rec, 4).await;
    assert_eq!(got.len(), 4);
    assert_eq!(got[2], got[3], "a duplicate carries the same event_id");

    // The receiver fails once: the sandbox retries and logs both attempts.
    post_json(
        &sb,
        "/_sandbox/faults",
        &json!({"duplicate_webhook_rate": 0.0}),
    )
    .await;
    *rec.fail_first.lock().expect("lock") = 1;
    let (_, d) = post_json(&sb, "/_sandbox/bank/deposits", &dep(400)).await;
    let got = wait_for(&rec, 5).await;
    assert_eq!(got.len(), 5);
    let log = get_json(&sb, "/_sandbox/bank/webhooks").await;
    let attempts: Vec<(u64, bool)> = log["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|x| x["event_id"] == d["deposit"]["event_id"])
        .map(|x| {
            (
                x["attempt"].as_u64().unwrap_or(0),
                x["ok"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(attempts, vec![(1, false), (2, true)]);
    // Four deposits in the ledger, however many webhooks.
    assert_eq!(ledger(&sb).await.len(), 4);
}

#[tokio::test]
async fn a_held_back_webhook_is_sent_when_no_next_deposit_comes() {
    let (url, rec) = receiver().await;
    let sb = bank_sandbox(&url).await;
    post_json(
        &sb,
        "/_sandbox/faults",
        &json!({"out_of_order_webhook_rate": 1.0, "out_of_order_hold_ms": 200}),
    )
    .await;
    let (_, a) = post_json(
        &sb,
        "/_sandbox/bank/deposits",
        &json!({"account": "1000009", "amount": 990}),
    )
    .await;
    assert_eq!(a["webhook"]["status"], "held");
    assert!(rec.calls.lock().expect("lock").is_empty());
    let got = wait_for(&rec, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["amount"], 990);
}

#[tokio::test]
async fn zengin_statements_in_both_layouts_parse_back() {
    let sb = start_default().await;
    for (acc, amount, name, date) in [
        ("1000001", 12000, "ﾔﾏﾀﾞ ﾀﾛｳ", "2026-11-25"),
        ("1000002", 5000, "ｽｽﾞｷ ﾊﾅｺ", "2026-11-26"),
        ("1000001", 800, "ﾔﾏﾀﾞ ﾀﾛｳ", "2026-11-26"),
    ] {
        let (s, r) = post_json(
            &sb,
            "/_sandbox/bank/deposits",
            &json!({"account": acc, "amount": amount, "name": name, "date": date}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
        assert_eq!(r["webhook"]["status"], "not_configured");
    }
    for layout in ["01", "03"] {
        let r = client()
            .get(format!("{}/bank/v1/statements?layout={layout}", sb.url()))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("bytes");
        // Shift_JIS: half-width kana are single bytes, so this is not UTF-8; records are 200 + CRLF.
        assert!(std::str::from_utf8(&bytes).is_err());
        assert_eq!(bytes.len() % 202, 0);
        assert_eq!(&bytes[1..3], layout.as_bytes());
        let mut got: Vec<(String, String, i64, Option<String>)> = juchu_app::zengin::parse(&bytes)
            .expect("parses")
            .into_iter()
            .map(|d| (d.account, d.value_date, d.amount, d.payer_name))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (
                    "0310-101-1000001".into(),
                    "2026-11-25".into(),
                    12000,
                    Some("ﾔﾏﾀﾞ ﾀﾛｳ".into())
                ),
                (
                    "0310-101-1000001".into(),
                    "2026-11-26".into(),
                    800,
                    Some("ﾔﾏﾀﾞ ﾀﾛｳ".into())
                ),
                (
                    "0310-101-1000002".into(),
                    "2026-11-26".into(),
                    5000,
                    Some("ｽｽﾞｷ ﾊﾅｺ".into())
                ),
            ],
            "layout {layout}"
        );
    }
    // One account, one day, UTF-8 without separators.
    let r = client()
        .get(format!("{}/bank/v1/statements?layout=03&account=0310-101-1000001&from=2026-11-26&to=2026-11-26&encoding=utf8&crlf=false", sb.url()))
        .send()
        .await
        .expect("get");
    let bytes = r.bytes().await.expect("bytes");
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    assert_eq!(text.chars().count(), 4 * 200);
    let got = juchu_app::zengin::parse(&bytes).expect("parses");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].amount, 800);

    let (s, e) = send_json(
        &sb,
        reqwest::Method::GET,
        "/bank/v1/statements?layout=02",
        None,
        &[],
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(e["error"], "invalid_layout");
}
