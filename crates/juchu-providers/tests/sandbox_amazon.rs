//! The Amazon Pay client against the real sandbox over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{mv, start};
use juchu_domain::Money;
use juchu_providers::amazon::{ChargePermissionState, ChargeState, RefundState};
use juchu_providers::{AmazonPay, IdempotencyKey, ProviderError};

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

#[tokio::test]
async fn authorize_capture_refund() {
    let w = start().await;
    let amazon = &w.providers.amazon_pay;
    let p = amazon
        .charge_permission("S03-1111111-1111111")
        .await
        .unwrap();
    assert_eq!(p.state, ChargePermissionState::Chargeable);

    let c = amazon
        .authorize(
            "S03-1111111-1111111",
            Money::yen(5000),
            false,
            &key("a1.auth"),
        )
        .await
        .unwrap();
    assert_eq!(c.state, ChargeState::Authorized);
    assert_eq!(c.charge_amount, Some(Money::yen(5000)));
    let captured = amazon
        .capture(&c.charge_id, Money::yen(5000), &key("a1.capture"))
        .await
        .unwrap();
    assert_eq!(captured.state, ChargeState::Completed);
    assert_eq!(captured.capture_amount, Some(Money::yen(5000)));
    let r = amazon
        .refund(&c.charge_id, Money::yen(1200), &key("a1.refund"))
        .await
        .unwrap();
    assert_eq!(r.state, RefundState::Completed);
    assert_eq!(r.amount, Some(Money::yen(1200)));
    // The same refund again (a retried job) is not applied twice.
    amazon
        .refund(&c.charge_id, Money::yen(1200), &key("a1.refund"))
        .await
        .unwrap();
    // More than is left is refused.
    let err = amazon
        .refund(&c.charge_id, Money::yen(4000), &key("a1.refund-2"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert_eq!(
        w.movements(&c.charge_id).await,
        vec![
            mv("authorise", 5000),
            mv("capture", 5000),
            mv("refund", 1200)
        ]
    );
}

#[tokio::test]
async fn declined_charge_and_closed_permission() {
    let w = start().await;
    let amazon = &w.providers.amazon_pay;
    let err = amazon
        .authorize("S03-declined-1", Money::yen(1000), false, &key("a2"))
        .await
        .unwrap_err();
    assert!(err.is_decline(), "{err:?}");
    assert_eq!(err.code(), Some("HardDeclined"));

    let p = amazon.charge_permission("S03-closed-1").await.unwrap();
    assert_eq!(p.state, ChargePermissionState::NonChargeable);
    let err = amazon
        .authorize("S03-closed-1", Money::yen(1000), false, &key("a3"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(w.ledger().await.is_empty());
}

#[tokio::test]
async fn cancel_an_authorised_charge() {
    let w = start().await;
    let amazon = &w.providers.amazon_pay;
    let c = amazon
        .authorize(
            "S03-2222222-2222222",
            Money::yen(800),
            false,
            &key("a4.auth"),
        )
        .await
        .unwrap();
    let canceled = amazon
        .cancel(&c.charge_id, "customer cancelled", &key("a4.cancel"))
        .await
        .unwrap();
    assert_eq!(canceled.state, ChargeState::Canceled);
    assert_eq!(
        amazon.charge(&c.charge_id).await.unwrap().state,
        ChargeState::Canceled
    );
    let err = amazon
        .capture(&c.charge_id, Money::yen(800), &key("a4.capture"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert_eq!(
        w.movements(&c.charge_id).await,
        vec![mv("authorise", 800), mv("void", 800)]
    );
}

#[tokio::test]
async fn capture_now_authorises_and_captures_in_one_call() {
    let w = start().await;
    let c = w
        .providers
        .amazon_pay
        .authorize("S03-3333333-3333333", Money::yen(700), true, &key("a5"))
        .await
        .unwrap();
    assert_eq!(c.state, ChargeState::Completed);
    assert_eq!(
        w.movements(&c.charge_id).await,
        vec![mv("authorise", 700), mv("capture", 700)]
    );
}

#[tokio::test]
async fn an_authorisation_left_30_days_is_canceled_as_expired_unused() {
    let w = start().await;
    let amazon = &w.providers.amazon_pay;
    let c = amazon
        .authorize(
            "S03-4444444-4444444",
            Money::yen(900),
            false,
            &key("a6.auth"),
        )
        .await
        .unwrap();
    assert_eq!(
        amazon.charge(&c.charge_id).await.unwrap().state,
        ChargeState::Authorized
    );
    w.post_json("/_sandbox/clock", serde_json::json!({"advance_days": 31}))
        .await;
    let later = amazon.charge(&c.charge_id).await.unwrap();
    assert_eq!(later.state, ChargeState::Canceled);
    assert_eq!(later.reason_code.as_deref(), Some("ExpiredUnused"));
    let err = amazon
        .capture(&c.charge_id, Money::yen(900), &key("a6.capture"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    let err = amazon.charge("S03-none-C99999").await.unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err:?}");
}
