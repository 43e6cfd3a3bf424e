//! Timeouts, retries and idempotency keys, against a tiny scripted HTTP server: each path answers
//! from a script (fail with 503, hang, or answer), and every request's idempotency key is recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use juchu_domain::Money;
use juchu_providers::card::CardSource;
use juchu_providers::{
    CardConfig, CardGateway, DeferredConfig, DeferredPayment, GmoCardGateway, HttpSettings,
    IdempotencyKey, NpDeferredPayment, ProviderError,
};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
enum Step {
    /// HTTP 503 in the body given.
    Fail,
    /// Sleep this long, then answer normally.
    Hang(u64),
    /// This status and body.
    Answer(u16, &'static str),
}

#[derive(Default)]
struct Fake {
    /// path → the steps still to play; then the path's default answer.
    script: Mutex<HashMap<String, VecDeque<Step>>>,
    defaults: Mutex<HashMap<String, &'static str>>,
    /// (path, idempotency key) of every request, in order.
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl Fake {
    fn seen_on(&self, path: &str) -> Vec<Option<String>> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, k)| k.clone())
            .collect()
    }
}

async fn handle(State(f): State<Arc<Fake>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    f.seen.lock().unwrap().push((path.clone(), key));
    let step = f
        .script
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let default = f.defaults.lock().unwrap().get(&path).copied().unwrap_or("");
    match step {
        Some(Step::Fail) => (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
        Some(Step::Hang(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            (StatusCode::OK, default).into_response()
        }
        Some(Step::Answer(status, body)) => {
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        None => (StatusCode::OK, default).into_response(),
    }
}

async fn start(fake: Arc<Fake>) -> String {
    let app = Router::new().fallback(handle).with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn fast() -> HttpSettings {
    HttpSettings {
        timeout_ms: 300,
        max_attempts: 4,
        initial_backoff_ms: 10,
        max_backoff_ms: 40,
    }
}

fn card(url: &str) -> GmoCardGateway {
    GmoCardGateway::new(
        CardConfig {
            base_url: url.into(),
            shop_id: "shop".into(),
            shop_pass: "pass".into(),
            site_id: None,
            site_pass: None,
            http: None,
        },
        fast(),
    )
    .unwrap()
}

fn card_fake() -> Arc<Fake> {
    let f = Arc::new(Fake::default());
    {
        let mut d = f.defaults.lock().unwrap();
        d.insert(
            "/payment/EntryTran.idPass".into(),
            "AccessID=aid1&AccessPass=apass1",
        );
        d.insert(
            "/payment/ExecTran.idPass".into(),
            "ACS=0&OrderID=o-1&Approve=1234567&TranID=t1&FraudScreening=OK",
        );
        d.insert(
            "/payment/AlterTran.idPass".into(),
            "AccessID=aid1&AccessPass=apass1&Approve=1234567&TranID=t2",
        );
    }
    f
}

fn script(f: &Fake, path: &str, steps: Vec<Step>) {
    f.script
        .lock()
        .unwrap()
        .insert(path.into(), steps.into_iter().collect());
}

#[tokio::test]
async fn a_5xx_and_a_timeout_are_retried_with_the_same_idempotency_key() {
    let f = card_fake();
    script(
        &f,
        "/payment/EntryTran.idPass",
        vec![Step::Fail, Step::Fail],
    );
    script(&f, "/payment/ExecTran.idPass", vec![Step::Hang(1_000)]);
    let url = start(f.clone()).await;
    let key = IdempotencyKey::new("order-1.authorize").unwrap();
    let auth = card(&url)
        .authorize(
            "o-1",
            &CardSource::Token("tok_ok".into()),
            Money::yen(1500),
            &key,
        )
        .await
        .unwrap();
    assert_eq!(auth.auth_ref.to_string(), "gmo:o-1:aid1:apass1");
    assert!(!auth.suspicious);

    let entry = f.seen_on("/payment/EntryTran.idPass");
    assert_eq!(entry.len(), 3, "two 503s then the answer");
    assert!(
        entry
            .iter()
            .all(|k| k.as_deref() == Some("order-1.authorize.entry"))
    );
    let exec = f.seen_on("/payment/ExecTran.idPass");
    assert_eq!(exec.len(), 2, "a timeout then the answer");
    assert!(
        exec.iter()
            .all(|k| k.as_deref() == Some("order-1.authorize.exec"))
    );
}

#[tokio::test]
async fn a_decline_is_not_retried() {
    let f = card_fake();
    script(
        &f,
        "/payment/ExecTran.idPass",
        vec![Step::Answer(200, "ErrCode=G02&ErrInfo=42G020000")],
    );
    let url = start(f.clone()).await;
    let err = card(&url)
        .authorize(
            "o-2",
            &CardSource::Token("tok_declined".into()),
            Money::yen(1500),
            &IdempotencyKey::new("k2").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.is_decline(), "{err:?}");
    assert_eq!(err.code(), Some("G02"));
    assert!(err.to_string().contains("残高不足"), "{err}");
    assert_eq!(f.seen_on("/payment/ExecTran.idPass").len(), 1);
}

#[tokio::test]
async fn busy_codes_in_a_200_are_retried_like_a_5xx() {
    let f = card_fake();
    script(
        &f,
        "/payment/AlterTran.idPass",
        vec![Step::Answer(200, "ErrCode=E92&ErrInfo=E92000001")],
    );
    let url = start(f.clone()).await;
    let auth = juchu_providers::CardAuthRef::parse("gmo:o-3:aid1:apass1").unwrap();
    let t = card(&url)
        .capture(&auth, Money::yen(1500), &IdempotencyKey::new("k3").unwrap())
        .await
        .unwrap();
    assert_eq!(t.tran_id.as_deref(), Some("t2"));
    let seen = f.seen_on("/payment/AlterTran.idPass");
    assert_eq!(seen, vec![Some("k3".to_string()), Some("k3".to_string())]);
}

#[tokio::test]
async fn a_provider_down_on_every_attempt_is_unavailable_after_max_attempts() {
    let f = card_fake();
    script(&f, "/payment/AlterTran.idPass", vec![Step::Fail; 10]);
    let url = start(f.clone()).await;
    let auth = juchu_providers::CardAuthRef::parse("gmo:o-4:aid1:apass1").unwrap();
    let started = std::time::Instant::now();
    let err = card(&url)
        .void(&auth, &IdempotencyKey::new("k4").unwrap())
        .await
        .unwrap_err();
    match &err {
        ProviderError::Unavailable {
            attempts, detail, ..
        } => {
            assert_eq!(*attempts, 4);
            assert!(detail.contains("503"), "{detail}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(f.seen_on("/payment/AlterTran.idPass").len(), 4);
    // Backoff of at most 10 + 20 + 40 ms, at least half of it, between the four attempts.
    assert!(started.elapsed() >= Duration::from_millis(35));
}

#[tokio::test]
async fn nothing_listening_is_unavailable_not_a_panic() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let auth = juchu_providers::CardAuthRef::parse("gmo:o-5:a:b").unwrap();
    let err = card(&format!("http://127.0.0.1:{port}"))
        .void(&auth, &IdempotencyKey::new("k5").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Unavailable { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("connect"), "{err}");
}

#[tokio::test]
async fn deferred_4xx_is_final_and_5xx_is_retried() {
    let f = Arc::new(Fake::default());
    f.defaults.lock().unwrap().insert(
        "/np/v1/transactions/cancel".into(),
        r#"{"results":[{"np_transaction_id":"NP000000001"}]}"#,
    );
    script(&f, "/np/v1/transactions/cancel", vec![Step::Fail]);
    script(
        &f,
        "/np/v1/shipments",
        vec![Step::Answer(
            400,
            r#"{"errors":[{"codes":["ALREADY_REPORTED"],"id":"NP000000001"}]}"#,
        )],
    );
    let url = start(f.clone()).await;
    let np = NpDeferredPayment::new(
        DeferredConfig {
            base_url: format!("{url}/np/v1"),
            merchant_code: "m".into(),
            sp_code: "s".into(),
            terminal_id: "t".into(),
            http: None,
        },
        fast(),
    )
    .unwrap();
    np.cancel("NP000000001", &IdempotencyKey::new("c1").unwrap())
        .await
        .unwrap();
    assert_eq!(
        f.seen_on("/np/v1/transactions/cancel"),
        vec![Some("c1".to_string()), Some("c1".to_string())]
    );
    let err = np
        .report_shipment(
            "NP000000001",
            juchu_domain::carrier::Carrier::Yamato,
            "4444-1375-8703",
            &IdempotencyKey::new("s1").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert_eq!(f.seen_on("/np/v1/shipments").len(), 1);
}

#[tokio::test]
async fn a_card_that_needs_3d_secure_is_refused_with_a_reason() {
    let f = card_fake();
    script(
        &f,
        "/payment/ExecTran.idPass",
        vec![Step::Answer(
            200,
            "ACS=1&ACSUrl=https%3A%2F%2Facs.example&PaReq=x&MD=y",
        )],
    );
    let url = start(f.clone()).await;
    let err = card(&url)
        .authorize(
            "o-6",
            &CardSource::Token("tok_3ds".into()),
            Money::yen(1500),
            &IdempotencyKey::new("k6").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { ref code, .. } if code == "ACS=1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("3-D Secure"), "{err}");
}

#[tokio::test]
async fn an_order_id_entered_before_is_found_and_finished_not_refused() {
    // The EntryTran of an earlier try went through, but its key was lost: the gateway refuses the
    // order id (E01040010), and the client finds the transaction with SearchTrade.
    let f = card_fake();
    script(
        &f,
        "/payment/EntryTran.idPass",
        vec![
            Step::Answer(200, "ErrCode=E01&ErrInfo=E01040010"),
            Step::Answer(200, "ErrCode=E01&ErrInfo=E01040010"),
            Step::Answer(200, "ErrCode=E01&ErrInfo=E01040010"),
        ],
    );
    script(
        &f,
        "/payment/SearchTrade.idPass",
        vec![
            // Entered, never executed: the client executes it.
            Step::Answer(
                200,
                "OrderID=o-7&Status=UNPROCESSED&AccessID=aid7&AccessPass=ap7&Amount=1500",
            ),
            // Already authorised for the same amount: that authorisation is the answer.
            Step::Answer(
                200,
                "OrderID=o-7&Status=AUTH&AccessID=aid7&AccessPass=ap7&Amount=1500&FraudScreening=REVIEW",
            ),
            // Already captured: refused, and the message says why.
            Step::Answer(
                200,
                "OrderID=o-7&Status=SALES&AccessID=aid7&AccessPass=ap7&Amount=1500",
            ),
        ],
    );
    let url = start(f.clone()).await;
    let gw = card(&url);
    let tok = CardSource::Token("tok_ok".into());
    let a = gw
        .authorize(
            "o-7",
            &tok,
            Money::yen(1500),
            &IdempotencyKey::new("new-1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(a.auth_ref.to_string(), "gmo:o-7:aid7:ap7");
    assert_eq!(f.seen_on("/payment/ExecTran.idPass").len(), 1);

    let b = gw
        .authorize(
            "o-7",
            &tok,
            Money::yen(1500),
            &IdempotencyKey::new("new-2").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(b.auth_ref.to_string(), "gmo:o-7:aid7:ap7");
    assert!(b.suspicious);
    assert_eq!(
        f.seen_on("/payment/ExecTran.idPass").len(),
        1,
        "not executed again"
    );

    let err = gw
        .authorize(
            "o-7",
            &tok,
            Money::yen(1500),
            &IdempotencyKey::new("new-3").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("already Sales"), "{err}");
}
