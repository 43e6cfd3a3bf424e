//! What the console's bulk-work pages read and do beyond the API's answers: the recent
//! shipping-instruction batches with their progress, and a bank statement imported deposit by
//! deposit with each one's outcome (a file that does not fit the layout applies nothing).

use crate::bank;
use crate::carriers::{instructed, shop, tracking};
use juchu_app::zengin_write::Layout;
use juchu_app::{AppError, StatementOutcome};
use juchu_domain::payment::PaymentStatus;
use juchu_testkit::{Backend, on_both_backends, zengin_statement as statement};
use serde_json::json;

on_both_backends!(
    recent_batches_newest_first_with_their_progress,
    statement_rows_say_what_became_of_each_deposit,
);

async fn recent_batches_newest_first_with_their_progress(b: Backend) {
    let s = shop(b).await;
    let (first, pairs) = instructed(&s, &[("RB-1", "credit_card")]).await;
    let (second, _) = instructed(&s, &[("RB-2", "credit_card"), ("RB-3", "credit_card")]).await;
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{}/ship", pairs[0].1),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(55555555501)}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = s.t.app().recent_batches(10).await.unwrap();
    let rows: Vec<(String, String, i64, i64)> = got
        .iter()
        .map(|x| {
            (
                x.batch.id.to_string(),
                x.batch.warehouse.clone(),
                x.shipments,
                x.shipped,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (second, "TKY".to_owned(), 2, 0),
            (first, "TKY".to_owned(), 1, 1)
        ]
    );
    assert_eq!(s.t.app().recent_batches(1).await.unwrap().len(), 1);
    assert!(matches!(
        s.t.app().recent_batches(0).await,
        Err(AppError::Invalid(_))
    ));
    s.t.stop().await;
}

async fn statement_rows_say_what_became_of_each_deposit(b: Backend) {
    let s = bank::bank(b).await;
    let o = bank::order(&s, "SR-1", 2).await;
    let id = o["id"].as_str().unwrap();
    let file = [
        statement(
            Layout::Statement03,
            bank::number(&o),
            &[(1, 2160, "ﾔﾏﾀﾞ ﾀﾛｳ")],
            true,
            true,
        ),
        statement(
            Layout::Statement03,
            1_099_998,
            &[(7, 999, "ｽｽﾞｷ ﾊﾅｺ")],
            true,
            true,
        ),
    ]
    .concat();
    let mut seen = Vec::new();
    let rows =
        s.t.app()
            .import_statement_rows(&file, &mut |done, total| seen.push((done, total)))
            .await
            .unwrap();
    let got: Vec<(usize, i64, StatementOutcome)> = rows
        .iter()
        .map(|r| (r.deposit.record, r.deposit.amount, r.outcome.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                2,
                2160,
                StatementOutcome::Matched {
                    order_id: id.to_owned(),
                    payment_status: Some(PaymentStatus::Paid)
                }
            ),
            (6, 999, StatementOutcome::Unmatched),
        ],
        "the header is record 1; the second file's deposit is record 6"
    );
    assert_eq!(seen, [(1, 2), (2, 2)]);
    assert_eq!(bank::get(&s, id).await["payment"]["status"], "paid");

    // The same file again: every row says it was applied before, nothing counts twice.
    let again =
        s.t.app()
            .import_statement_rows(&file, &mut |_, _| {})
            .await
            .unwrap();
    let outcomes: Vec<StatementOutcome> = again.into_iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [StatementOutcome::Duplicate, StatementOutcome::Duplicate]
    );
    assert_eq!(bank::get(&s, id).await["payment"]["captured_amount"], 2160);

    // A good deposit followed by a record that fits no layout: the file is refused whole.
    let other = bank::order(&s, "SR-2", 1).await;
    let mut bad = statement(
        Layout::Statement03,
        bank::number(&other),
        &[(2, 1080, "ｻﾄｳ ｼﾞﾛｳ")],
        true,
        true,
    );
    bad.extend(format!("7{}\r\n", " ".repeat(199)).into_bytes());
    let refused = s.t.app().import_statement_rows(&bad, &mut |_, _| {}).await;
    match refused {
        Err(AppError::Invalid(fields)) => {
            assert!(fields[0].message.contains("record 5"), "{fields:?}")
        }
        other => panic!("expected the file refused, got {other:?}"),
    }
    let other = bank::get(&s, other["id"].as_str().unwrap()).await;
    assert_eq!(other["payment"]["status"], "awaiting_payment");
    s.t.stop().await;
}
