//! Uploads that go wrong, in the browser: a tracking file whose rows are all wrong shows each row's
//! error and ships nothing; files that cannot be read at all (tracking or bank statement) are
//! refused whole; a file over the console's limit is refused with the limit named. A file bigger
//! than the API's 1 MiB is accepted.

use crate::bulk::{Shop, imported, instruct, place, shop, tracking, upload};
use juchu_domain::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_uploads_show_row_errors_and_change_nothing() {
    let s = shop().await;
    let order = place(&s, "BAD-1").await;
    let shipment = instruct(&s, &[&order]).await.remove(0);
    let b = s.t.browser_as(Role::Warehouse).await;

    // Every row wrong: a bad check digit, a shipment that does not exist, not a shipment id, an
    // unknown carrier. Padded with blank lines past the API's 1 MiB to show the console takes more.
    let good = tracking(44441375870);
    let mut bad = tracking(44441375871);
    bad.replace_range(11.., if bad.ends_with('0') { "1" } else { "0" });
    let mut csv = format!(
        "shipment_id,carrier,tracking_number\n{shipment},yamato,{bad}\n01900000-0000-7000-8000-000000000000,yamato,{good}\nnot-an-id,yamato,{good}\n{shipment},pigeon,{good}\n"
    );
    csv.push_str(&" \n".repeat(600_000));
    assert!(csv.len() > 1 << 20);
    let summary = imported(&b, "/bulk/tracking", Some("csv"), "bad.csv", csv.as_bytes()).await;
    assert!(
        summary.contains("出荷済: 0") && summary.contains("エラー: 4"),
        "{summary}"
    );
    let rows = b.all("#import-rows tbody tr.error").await;
    assert_eq!(rows.len(), 4);
    let text = b.text("#import-rows").await;
    assert!(text.contains("check digit"), "{text}");
    assert!(text.contains("not a shipment key"), "{text}");
    assert!(text.contains("`pigeon` is not a carrier"), "{text}");
    let o = s.t.api.order(&s.operator, &order).await;
    assert_eq!(o["status"], "shipping_instructed", "nothing shipped");

    // Not text at all: refused whole.
    upload(
        &b,
        "/bulk/tracking",
        Some("yamato-b2"),
        "b2.csv",
        &[0x82, 0xFF, 0xFF, b'\n'],
    )
    .await;
    let err = b.text("#import-error").await;
    assert!(
        err.contains("何も変更していません") && err.contains("neither UTF-8 nor Shift_JIS"),
        "{err}"
    );

    // Over the console's limit: refused, the page says the limit.
    let huge = vec![b' '; (20 << 20) + 1];
    upload(&b, "/bulk/tracking", Some("csv"), "huge.csv", &huge).await;
    let page = b.page_text().await;
    assert!(page.contains("20 MiB"), "{page}");
    let o = s.t.api.order(&s.operator, &order).await;
    assert_eq!(o["status"], "shipping_instructed");
    b.quit().await;
    bank_statement_that_fits_no_layout(&s).await;
    s.t.stop().await;
}

/// A bank statement that is not Zengin: refused whole with the record that does not fit.
async fn bank_statement_that_fits_no_layout(s: &Shop) {
    let b = s.t.browser_as(Role::Accounting).await;
    b.goto("/bulk").await;
    assert!(
        b.all("form[action='/bulk/tracking']").await.is_empty(),
        "accounting does not ship"
    );
    upload(
        &b,
        "/bulk/bank",
        None,
        "statement.txt",
        "hello, bank\n".as_bytes(),
    )
    .await;
    let err = b.text("#import-error").await;
    assert!(err.contains("record 1"), "{err}");
    b.quit().await;
}
