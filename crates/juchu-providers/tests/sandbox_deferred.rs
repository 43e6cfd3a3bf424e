//! The deferred-payment client against the real sandbox over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{goods, mv, registration, start};
use juchu_domain::Money;
use juchu_domain::carrier::Carrier;
use juchu_providers::deferred::{DeclineReason, HoldReason, np_carrier_code};
use juchu_providers::{DeferredDecision, DeferredPayment, IdempotencyKey, ProviderError};

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

#[tokio::test]
async fn approved_then_shipment_report_with_the_carrier_code() {
    let w = start().await;
    let np = &w.providers.deferred;
    let tx = np
        .register(
            &registration("J-1", "taro@example.jp", 3600),
            &key("j1.reg"),
        )
        .await
        .unwrap();
    assert_eq!(tx.decision, DeferredDecision::Approved);
    assert_eq!(tx.np_transaction_id.len(), 11);
    assert_eq!(
        np.status(&tx.np_transaction_id).await.unwrap(),
        DeferredDecision::Approved
    );
    np.report_shipment(
        &tx.np_transaction_id,
        Carrier::Yamato,
        "4444-1375-8703",
        &key("j1.ship"),
    )
    .await
    .unwrap();
    // The sandbox kept the code FORMATS.md §5 gives for Yamato, and the number without hyphens.
    let got: serde_json::Value = w
        .http
        .get(w.url(&format!("/np/v1/transactions/{}", tx.np_transaction_id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["pd_company_code"], np_carrier_code(Carrier::Yamato));
    assert_eq!(got["pd_company_code"], "59010");
    assert_eq!(got["slip_no"], "444413758703");
    // After the report the amount can no longer change.
    let err = np
        .update(
            &tx.np_transaction_id,
            Money::yen(3000),
            &goods(3000),
            &key("j1.update"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("ALREADY_REPORTED"), "{err}");
    assert_eq!(
        w.movements(&tx.np_transaction_id).await,
        vec![mv("authorise", 3600), mv("capture", 3600)]
    );
}

#[tokio::test]
async fn declined_credit_check() {
    let w = start().await;
    let tx = w
        .providers
        .deferred
        .register(
            &registration("J-2", "hanako+decline@example.jp", 2000),
            &key("j2"),
        )
        .await
        .unwrap();
    assert_eq!(
        tx.decision,
        DeferredDecision::Declined {
            reason: DeclineReason::Other
        }
    );
    // Nothing to ship against a declined transaction.
    let err = w
        .providers
        .deferred
        .report_shipment(
            &tx.np_transaction_id,
            Carrier::Sagawa,
            "512547514334",
            &key("j2.s"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(w.movements(&tx.np_transaction_id).await.is_empty());
}

#[tokio::test]
async fn pending_is_polled_until_the_provider_decides() {
    let w = start().await;
    let np = &w.providers.deferred;
    let review = np
        .register(
            &registration("J-3", "jiro+review@example.jp", 2500),
            &key("j3"),
        )
        .await
        .unwrap();
    assert_eq!(review.decision, DeferredDecision::Pending);
    let held = np
        .register(
            &registration("J-4", "saburo+pending@example.jp", 2500),
            &key("j4"),
        )
        .await
        .unwrap();
    assert_eq!(
        held.decision,
        DeferredDecision::Hold {
            reasons: vec![HoldReason::AddressBeingChecked]
        }
    );
    assert_eq!(
        np.status(&review.np_transaction_id).await.unwrap(),
        DeferredDecision::Pending
    );
    w.post_json(
        &format!("/_sandbox/deferred/{}/resolve", review.np_transaction_id),
        serde_json::json!({"result": "00"}),
    )
    .await;
    w.post_json(
        &format!("/_sandbox/deferred/{}/resolve", held.np_transaction_id),
        serde_json::json!({"result": "20", "authori_ng": "RE001"}),
    )
    .await;
    assert_eq!(
        np.status(&review.np_transaction_id).await.unwrap(),
        DeferredDecision::Approved
    );
    assert_eq!(
        np.status(&held.np_transaction_id).await.unwrap(),
        DeferredDecision::Declined {
            reason: DeclineReason::AmountExceeded
        }
    );
    let err = np.status("NP999999999").await.unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn update_before_the_report_then_cancel() {
    let w = start().await;
    let np = &w.providers.deferred;
    let tx = np
        .register(
            &registration("J-5", "shiro@example.jp", 4000),
            &key("j5.reg"),
        )
        .await
        .unwrap();
    let d = np
        .update(
            &tx.np_transaction_id,
            Money::yen(3500),
            &goods(3500),
            &key("j5.update"),
        )
        .await
        .unwrap();
    assert_eq!(d, DeferredDecision::Approved);
    np.cancel(&tx.np_transaction_id, &key("j5.cancel"))
        .await
        .unwrap();
    np.cancel(&tx.np_transaction_id, &key("j5.cancel"))
        .await
        .unwrap();
    assert_eq!(
        w.movements(&tx.np_transaction_id).await,
        vec![
            mv("authorise", 4000),
            mv("void", 4000),
            mv("authorise", 3500),
            mv("void", 3500)
        ]
    );
}
