//! The GMO-PG-style card gateway over HTTP: authorise, capture, void, refund, amount change,
//! declines, fraud screening, expiry on the sandbox clock, saved cards, idempotent retries.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::*;
use juchu_sandbox::{CardConfig, SandboxConfig};
use serde_json::json;

async fn entry(sb: &juchu_sandbox::SandboxHandle, order: &str, amount: &str) -> (String, String) {
    let r = gmo(
        sb,
        "EntryTran",
        &[
            ("ShopID", "tshop"),
            ("ShopPass", "pass"),
            ("OrderID", order),
            ("JobCd", "AUTH"),
            ("Amount", amount),
        ],
    )
    .await;
    assert!(!r.contains_key("ErrCode"), "{r:?}");
    (r["AccessID"].clone(), r["AccessPass"].clone())
}

#[tokio::test]
async fn authorise_capture_refund_and_the_ledger_shows_each_once() {
    let sb = start_default().await;
    let (id, pass) = entry(&sb, "ord-1", "5500").await;
    let ex = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("OrderID", "ord-1"),
            ("Method", "1"),
            ("Token", "tok_visa"),
        ],
    )
    .await;
    assert_eq!(ex.get("ErrCode"), None, "{ex:?}");
    assert_eq!(ex["OrderID"], "ord-1");
    assert_eq!(ex["FraudScreening"], "OK");
    assert_eq!(ex["TranDate"].len(), 14);
    // A repeated ExecTran (a client retry) gets the same answer and authorises once.
    let again = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("OrderID", "ord-1"),
            ("Token", "tok_visa"),
        ],
    )
    .await;
    assert_eq!(again["TranID"], ex["TranID"]);

    // SALES must equal the authorised amount.
    let wrong = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "SALES"),
            ("Amount", "5000"),
        ],
    )
    .await;
    assert_eq!(wrong["ErrInfo"], "E01060010");
    let sales = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "SALES"),
            ("Amount", "5500"),
        ],
    )
    .await;
    assert_eq!(sales.get("ErrCode"), None, "{sales:?}");
    // SALES again: replayed, not captured twice.
    let sales2 = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "SALES"),
            ("Amount", "5500"),
        ],
    )
    .await;
    assert_eq!(sales2.get("ErrCode"), None, "{sales2:?}");
    // A VOID after SALES is refused: a captured payment is refunded, not voided.
    let void = gmo(
        &sb,
        "AlterTran",
        &[("AccessID", &id), ("AccessPass", &pass), ("JobCd", "VOID")],
    )
    .await;
    assert_eq!(void["ErrInfo"], "E01050004");
    // Partial refund, then the rest; more than captured is refused.
    let r1 = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "RETURN"),
            ("Amount", "1500"),
        ],
    )
    .await;
    assert_eq!(r1.get("ErrCode"), None, "{r1:?}");
    let over = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "RETURN"),
            ("Amount", "4001"),
        ],
    )
    .await;
    assert_eq!(over["ErrInfo"], "E01060010");
    let r2 = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "RETURN"),
        ],
    )
    .await;
    assert_eq!(r2.get("ErrCode"), None, "{r2:?}");
    let search = gmo(&sb, "SearchTrade", &[("OrderID", "ord-1")]).await;
    assert_eq!(search["Status"], "RETURN");
    let t = get_json(&sb, "/_sandbox/ledger?provider=card&reference=ord-1").await;
    assert_eq!(t["totals"][0]["authorised"], 5500);
    assert_eq!(t["totals"][0]["captured"], 5500);
    assert_eq!(t["totals"][0]["refunded"], 5500);
    assert_eq!(t["entries"].as_array().map(Vec::len), Some(4));
    let none = get_json(&sb, "/_sandbox/ledger?reference=other").await;
    assert_eq!(none["entries"].as_array().map(Vec::len), Some(0));
    assert_eq!(search["CapturedAmount"], "5500");
    assert_eq!(search["RefundedAmount"], "5500");

    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "card", "ord-1", 5500),
            mv("capture", "card", "ord-1", 5500),
            mv("refund", "card", "ord-1", 1500),
            mv("refund", "card", "ord-1", 4000),
        ]
    );
    sb.stop().await;
}

#[tokio::test]
async fn declined_and_fraud_tokens() {
    let sb = start_default().await;
    let (id, pass) = entry(&sb, "ord-decl", "1000").await;
    let ex = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("Token", "tok_declined"),
        ],
    )
    .await;
    assert_eq!(ex["ErrCode"], "G02");
    assert_eq!(ex["ErrInfo"], "42G020000");
    let search = gmo(&sb, "SearchTrade", &[("OrderID", "ord-decl")]).await;
    assert_eq!(search["Status"], "UNPROCESSED");

    let (id, pass) = entry(&sb, "ord-fraud", "2000").await;
    let ex = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("Token", "tok_fraud"),
        ],
    )
    .await;
    assert_eq!(ex.get("ErrCode"), None);
    assert_eq!(ex["FraudScreening"], "REVIEW");
    let void = gmo(
        &sb,
        "AlterTran",
        &[("AccessID", &id), ("AccessPass", &pass), ("JobCd", "VOID")],
    )
    .await;
    assert_eq!(void.get("ErrCode"), None);
    assert_eq!(
        gmo(&sb, "SearchTrade", &[("OrderID", "ord-fraud")]).await["Status"],
        "VOID"
    );
    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "card", "ord-fraud", 2000),
            mv("void", "card", "ord-fraud", 2000)
        ]
    );
}

#[tokio::test]
async fn bad_input_is_named_by_errcode_pairs_and_nothing_is_created() {
    let sb = start_default().await;
    let r = gmo(&sb, "EntryTran", &[("JobCd", "AUTH")]).await;
    assert_eq!(r["ErrCode"], "E01|E01");
    assert_eq!(r["ErrInfo"], "E01040001|E01060001");
    let r = gmo(
        &sb,
        "EntryTran",
        &[("OrderID", "bad id!"), ("JobCd", "NOPE"), ("Amount", "12a")],
    )
    .await;
    assert_eq!(r["ErrInfo"], "E01040013|E01050002|E01060006");
    let r = gmo(&sb, "SearchTrade", &[("OrderID", "bad")]).await;
    assert_eq!(r["ErrInfo"], "E01110002");
    let r = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", "x"),
            ("AccessPass", "y"),
            ("JobCd", "SALES"),
            ("Amount", "1"),
        ],
    )
    .await;
    assert_eq!(r["ErrInfo"], "E01110002");
    // An OrderID is used once; the same EntryTran again returns the same access keys.
    let (id, pass) = entry(&sb, "ord-2", "100").await;
    assert_eq!(entry(&sb, "ord-2", "100").await, (id, pass));
    let r = gmo(
        &sb,
        "EntryTran",
        &[("OrderID", "ord-2"), ("JobCd", "AUTH"), ("Amount", "200")],
    )
    .await;
    assert_eq!(r["ErrInfo"], "E01040010");
    assert!(ledger(&sb).await.is_empty());
}

#[tokio::test]
async fn authorisation_expires_on_the_sandbox_clock_and_a_saved_card_reauthorises() {
    let sb = start(SandboxConfig {
        card: CardConfig {
            auth_expiry_days: 60,
        },
        ..SandboxConfig::default()
    })
    .await;
    let m = gmo(
        &sb,
        "SaveMember",
        &[("MemberID", "cust-1"), ("MemberName", "Taro")],
    )
    .await;
    assert_eq!(m["MemberID"], "cust-1");
    let c = gmo(
        &sb,
        "SaveCard",
        &[("MemberID", "cust-1"), ("Token", "tok_visa")],
    )
    .await;
    assert_eq!(c["CardSeq"], "0");

    let (id, pass) = entry(&sb, "ord-exp", "3000").await;
    let ex = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("MemberID", "cust-1"),
            ("CardSeq", "0"),
        ],
    )
    .await;
    assert_eq!(ex.get("ErrCode"), None, "{ex:?}");

    let (s, clock) = post_json(&sb, "/_sandbox/clock", &json!({"advance_days": 59})).await;
    assert_eq!(s, 200, "{clock}");
    assert_eq!(
        gmo(&sb, "SearchTrade", &[("OrderID", "ord-exp")]).await["Status"],
        "AUTH"
    );
    post_json(&sb, "/_sandbox/clock", &json!({"advance_days": 2})).await;
    assert_eq!(
        gmo(&sb, "SearchTrade", &[("OrderID", "ord-exp")]).await["Status"],
        "EXPIRED"
    );
    let sales = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "SALES"),
            ("Amount", "3000"),
        ],
    )
    .await;
    assert_eq!(sales["ErrCode"], "E01");
    assert_eq!(sales["ErrInfo"], "E01420010");
    let (s, _) = post_json(&sb, "/_sandbox/clock", &json!({"advance_days": -1})).await;
    assert_eq!(s, 422);

    // Re-authorise with the stored card under a new OrderID, then capture.
    let (id2, pass2) = entry(&sb, "ord-exp-r1", "3000").await;
    let ex = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id2),
            ("AccessPass", &pass2),
            ("MemberID", "cust-1"),
        ],
    )
    .await;
    assert_eq!(ex.get("ErrCode"), None, "{ex:?}");
    let sales = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id2),
            ("AccessPass", &pass2),
            ("JobCd", "SALES"),
            ("Amount", "3000"),
        ],
    )
    .await;
    assert_eq!(sales.get("ErrCode"), None, "{sales:?}");
    let missing = gmo(
        &sb,
        "ExecTran",
        &[
            ("AccessID", &id2),
            ("AccessPass", &pass2),
            ("MemberID", "nobody"),
        ],
    )
    .await;
    assert_eq!(missing["ErrInfo"], "E01390002");

    let kinds: Vec<_> = ledger(&sb).await.into_iter().map(|e| (e.0, e.2)).collect();
    assert_eq!(
        kinds,
        vec![
            ("authorise".into(), "ord-exp".into()),
            ("authorise".into(), "ord-exp-r1".into()),
            ("capture".into(), "ord-exp-r1".into()),
        ]
    );
}

#[tokio::test]
async fn change_amount_reauthorises_and_idempotency_key_replays_refunds() {
    let sb = start_default().await;
    let (id, pass) = entry(&sb, "ord-chg", "8000").await;
    gmo(
        &sb,
        "ExecTran",
        &[("AccessID", &id), ("AccessPass", &pass), ("Token", "tok_x")],
    )
    .await;
    let ch = gmo(
        &sb,
        "ChangeTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "AUTH"),
            ("Amount", "6000"),
        ],
    )
    .await;
    assert_eq!(ch.get("ErrCode"), None, "{ch:?}");
    assert_eq!(
        gmo(&sb, "SearchTrade", &[("OrderID", "ord-chg")]).await["Amount"],
        "6000"
    );
    let sales = gmo(
        &sb,
        "AlterTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "SALES"),
            ("Amount", "6000"),
        ],
    )
    .await;
    assert_eq!(sales.get("ErrCode"), None, "{sales:?}");
    let ch = gmo(
        &sb,
        "ChangeTran",
        &[
            ("AccessID", &id),
            ("AccessPass", &pass),
            ("JobCd", "AUTH"),
            ("Amount", "100"),
        ],
    )
    .await;
    assert_eq!(ch["ErrInfo"], "E01050004");
    // A partial refund retried with the same Idempotency-Key is applied once.
    let form = [
        ("AccessID", id.as_str()),
        ("AccessPass", pass.as_str()),
        ("JobCd", "RETURN"),
        ("Amount", "1000"),
    ];
    let a = gmo_with(&sb, "AlterTran", &form, &[("Idempotency-Key", "refund-1")]).await;
    let b = gmo_with(&sb, "AlterTran", &form, &[("Idempotency-Key", "refund-1")]).await;
    assert_eq!(a, b);
    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "card", "ord-chg", 8000),
            mv("void", "card", "ord-chg", 8000),
            mv("authorise", "card", "ord-chg", 6000),
            mv("capture", "card", "ord-chg", 6000),
            mv("refund", "card", "ord-chg", 1000),
        ]
    );
}
