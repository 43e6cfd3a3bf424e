//! The card gateway client against the real sandbox over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{mv, start};
use juchu_domain::Money;
use juchu_providers::card::{CardSource, CardTradeStatus, card_order_id};
use juchu_providers::{CardAuthRef, CardGateway, IdempotencyKey, ProviderError};

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

fn tok(t: &str) -> CardSource {
    CardSource::Token(t.into())
}

#[tokio::test]
async fn authorize_capture_refund() {
    let w = start().await;
    let card = &w.providers.card;
    let auth = card
        .authorize("ord-1", &tok("tok_visa"), Money::yen(3000), &key("o1.auth"))
        .await
        .unwrap();
    assert!(!auth.suspicious);
    assert!(auth.approve.is_some());
    // What is stored on the order comes back as the same reference.
    let stored = auth.auth_ref.to_string();
    let auth_ref = CardAuthRef::parse(&stored).unwrap();
    assert_eq!(auth_ref, auth.auth_ref);

    card.capture(&auth_ref, Money::yen(3000), &key("o1.capture"))
        .await
        .unwrap();
    card.refund(&auth_ref, Money::yen(500), &key("o1.refund-1"))
        .await
        .unwrap();
    // Refunding more than is left is refused, and says so.
    let err = card
        .refund(&auth_ref, Money::yen(2600), &key("o1.refund-2"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    let trade = card.search("ord-1").await.unwrap();
    assert_eq!(trade.status, CardTradeStatus::Sales);
    assert_eq!(trade.auth_ref, auth_ref);
    assert_eq!(trade.amount, Money::yen(3000));
    assert_eq!(
        w.movements("ord-1").await,
        vec![
            mv("authorise", 3000),
            mv("capture", 3000),
            mv("refund", 500)
        ]
    );
}

#[tokio::test]
async fn a_repeated_call_with_the_same_key_applies_once() {
    let w = start().await;
    let card = &w.providers.card;
    let a1 = card
        .authorize("ord-2", &tok("tok_visa"), Money::yen(1000), &key("o2.auth"))
        .await
        .unwrap();
    let a2 = card
        .authorize("ord-2", &tok("tok_visa"), Money::yen(1000), &key("o2.auth"))
        .await
        .unwrap();
    assert_eq!(a1.auth_ref, a2.auth_ref);
    for _ in 0..3 {
        card.capture(&a1.auth_ref, Money::yen(1000), &key("o2.capture"))
            .await
            .unwrap();
    }
    assert_eq!(
        w.movements("ord-2").await,
        vec![mv("authorise", 1000), mv("capture", 1000)]
    );
}

#[tokio::test]
async fn declined_card_is_a_typed_decline_and_moves_no_money() {
    let w = start().await;
    let err = w
        .providers
        .card
        .authorize("ord-3", &tok("tok_declined"), Money::yen(1000), &key("o3"))
        .await
        .unwrap_err();
    assert!(err.is_decline(), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("G02"));
    assert!(w.movements("ord-3").await.is_empty());
}

#[tokio::test]
async fn fraud_screening_flags_the_authorisation() {
    let w = start().await;
    let auth = w
        .providers
        .card
        .authorize("ord-4", &tok("tok_fraud"), Money::yen(1000), &key("o4"))
        .await
        .unwrap();
    assert!(auth.suspicious);
    let trade = w.providers.card.search("ord-4").await.unwrap();
    assert!(trade.suspicious);
    assert_eq!(trade.status, CardTradeStatus::Auth);
    let err = w.providers.card.search("ord-none").await.unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err:?}");
    assert_eq!(w.movements("ord-4").await, vec![mv("authorise", 1000)]);
}

#[tokio::test]
async fn void_releases_the_authorisation_and_nothing_can_be_captured_after() {
    let w = start().await;
    let card = &w.providers.card;
    let auth = card
        .authorize("ord-5", &tok("tok_visa"), Money::yen(2000), &key("o5.auth"))
        .await
        .unwrap();
    card.void(&auth.auth_ref, &key("o5.void")).await.unwrap();
    assert_eq!(
        card.search("ord-5").await.unwrap().status,
        CardTradeStatus::Void
    );
    let err = card
        .capture(&auth.auth_ref, Money::yen(2000), &key("o5.capture"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert_eq!(
        w.movements("ord-5").await,
        vec![mv("authorise", 2000), mv("void", 2000)]
    );
}

#[tokio::test]
async fn amount_change_then_capture_of_the_new_amount() {
    let w = start().await;
    let card = &w.providers.card;
    let auth = card
        .authorize("ord-6", &tok("tok_visa"), Money::yen(5000), &key("o6.auth"))
        .await
        .unwrap();
    card.change_amount(&auth.auth_ref, Money::yen(4200), &key("o6.change"))
        .await
        .unwrap();
    // The old amount no longer matches what is authorised.
    let err = card
        .capture(&auth.auth_ref, Money::yen(5000), &key("o6.capture-old"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    card.capture(&auth.auth_ref, Money::yen(4200), &key("o6.capture"))
        .await
        .unwrap();
    assert_eq!(
        w.movements("ord-6").await,
        vec![
            mv("authorise", 5000),
            mv("void", 5000),
            mv("authorise", 4200),
            mv("capture", 4200)
        ]
    );
}

#[tokio::test]
async fn an_expired_authorisation_is_reauthorised_with_the_stored_token() {
    let w = start().await;
    let card = &w.providers.card;
    let order = juchu_domain::OrderId(uuid::Uuid::now_v7());
    let first = card_order_id(order, 0).unwrap();
    let auth = card
        .authorize(&first, &tok("tok_visa"), Money::yen(1800), &key("o7.auth"))
        .await
        .unwrap();
    w.post_json("/_sandbox/clock", serde_json::json!({"advance_days": 61}))
        .await;
    let err = card
        .capture(&auth.auth_ref, Money::yen(1800), &key("o7.capture"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Expired { .. }), "{err:?}");
    assert_eq!(
        card.search(&first).await.unwrap().status,
        CardTradeStatus::Expired
    );

    let second = card_order_id(order, 1).unwrap();
    let again = card
        .reauthorize(
            &second,
            &tok("tok_visa"),
            Money::yen(1800),
            &key("o7.reauth"),
        )
        .await
        .unwrap();
    assert_ne!(again.auth_ref, auth.auth_ref);
    card.capture(&again.auth_ref, Money::yen(1800), &key("o7.capture-2"))
        .await
        .unwrap();
    assert_eq!(
        w.movements(&second).await,
        vec![mv("authorise", 1800), mv("capture", 1800)]
    );
}

#[tokio::test]
async fn a_card_saved_under_a_member_authorises() {
    let w = start().await;
    let out = w
        .post_form(
            "/payment/SaveMember.idPass",
            &[("MemberID", "cust-8"), ("MemberName", "Taro")],
        )
        .await;
    assert!(out.contains("MemberID=cust-8"), "{out}");
    let out = w
        .post_form(
            "/payment/SaveCard.idPass",
            &[("MemberID", "cust-8"), ("Token", "tok_visa")],
        )
        .await;
    assert!(out.contains("CardSeq=0"), "{out}");
    let source = CardSource::Member {
        member_id: "cust-8".into(),
        card_seq: 0,
    };
    let auth = w
        .providers
        .card
        .reauthorize("ord-8", &source, Money::yen(900), &key("o8"))
        .await
        .unwrap();
    assert!(!auth.suspicious);
    assert_eq!(w.movements("ord-8").await, vec![mv("authorise", 900)]);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let w = start().await;
    let card = &w.providers.card;
    let err = card
        .authorize("has space", &tok("tok_visa"), Money::yen(100), &key("o9"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("1-27"), "{err}");
    let err = card
        .authorize("ord-9", &tok("tok_visa"), Money::yen(0), &key("o9"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("between 1 and"), "{err}");
    // An access pair the gateway does not know.
    let unknown = CardAuthRef::parse("gmo:ord-x:nope:nope").unwrap();
    let err = card.void(&unknown, &key("o9.void")).await.unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err:?}");
    assert!(w.ledger().await.is_empty());
}
