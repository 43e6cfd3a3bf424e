//! The bank client against the real sandbox over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fast, mv, start, start_with};
use juchu_domain::Money;
use juchu_providers::bank::PayoutStatus;
use juchu_providers::{Bank, IdempotencyKey, PayoutRequest, ProviderError, StatementLayout};
use juchu_sandbox::SandboxConfig;

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

#[tokio::test]
async fn issue_accounts_then_a_deposit_shows_in_the_zengin_statement() {
    let w = start().await;
    let bank = &w.providers.bank;
    let accounts = bank
        .issue_virtual_accounts(2, Some("ｼﾞﾕﾁﾕｳ(ｶ"), &key("va-1"))
        .await
        .unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].account, "0310-101-1000001");
    assert_eq!(accounts[1].account_number, "1000002");
    // The same key again is the same issue, not two more accounts.
    let again = bank
        .issue_virtual_accounts(2, Some("ｼﾞﾕﾁﾕｳ(ｶ"), &key("va-1"))
        .await
        .unwrap();
    assert_eq!(again, accounts);

    w.post_json(
        "/_sandbox/bank/deposits",
        serde_json::json!({"account": accounts[1].account, "amount": 3000, "name": "ﾔﾏﾀﾞ ﾀﾛｳ"}),
    )
    .await;
    for layout in [StatementLayout::Transfers01, StatementLayout::Statement03] {
        let file = bank.statement(layout, None, None).await.unwrap();
        let records: Vec<&[u8]> = file
            .split(|b| *b == b'\n')
            .map(|r| r.strip_suffix(b"\r").unwrap_or(r))
            .filter(|r| !r.is_empty())
            .collect();
        assert!(
            records.iter().all(|r| r.len() == 200),
            "{layout:?}: 200-byte records"
        );
        let kind = match layout {
            StatementLayout::Transfers01 => b"101",
            StatementLayout::Statement03 => b"103",
        };
        assert!(records[0].starts_with(kind), "{layout:?} header");
        let data: Vec<&&[u8]> = records.iter().filter(|r| r[0] == b'2').collect();
        assert_eq!(data.len(), 1, "{layout:?}: one deposit");
        let text = String::from_utf8_lossy(data[0]);
        assert!(text.contains("3000"), "{layout:?}: {text}");
    }
}

#[tokio::test]
async fn a_payout_is_paid_once_per_reference() {
    let w = start().await;
    let bank = &w.providers.bank;
    let req = PayoutRequest {
        bank_code: "0005".into(),
        branch_code: "123".into(),
        account_number: "7654321".into(),
        account_name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        amount: Money::yen(1800),
        reference: "refund-42".into(),
    };
    let p1 = bank.payout(&req, &key("po-1")).await.unwrap();
    assert_eq!(p1.status, PayoutStatus::Completed);
    assert_eq!(p1.amount, Money::yen(1800));
    // A retry with the same key, and a second attempt under a new key: still one transfer.
    let p2 = bank.payout(&req, &key("po-1")).await.unwrap();
    let p3 = bank.payout(&req, &key("po-1-again")).await.unwrap();
    assert_eq!(p2.payout_id, p1.payout_id);
    assert_eq!(p3.payout_id, p1.payout_id);
    // The reference used for another amount is refused.
    let other = PayoutRequest {
        amount: Money::yen(999),
        ..req.clone()
    };
    let err = bank.payout(&other, &key("po-2")).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { ref code, .. } if code == "duplicate_reference"),
        "{err:?}"
    );
    assert_eq!(w.movements(&p1.payout_id).await, vec![mv("payout", 1800)]);
}

#[tokio::test]
async fn an_exhausted_pool_is_refused_and_says_so() {
    let mut cfg = SandboxConfig::default();
    cfg.bank.first_account = 1_000_001;
    cfg.bank.last_account = 1_000_002;
    let w = start_with(cfg, fast()).await;
    let err = w
        .providers
        .bank
        .issue_virtual_accounts(3, None, &key("va-x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { ref code, .. } if code == "pool_exhausted"),
        "{err:?}"
    );
    assert!(err.to_string().contains("3 asked"), "{err}");
    let err = w
        .providers
        .bank
        .issue_virtual_accounts(0, None, &key("va-y"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Invalid { .. }), "{err:?}");
}
