//! Japan Post: ゆうプリR and Click Post exports of a batch, then ゆうプリR's 発送履歴 back, which
//! ships each parcel and records its delivery; importing it again changes nothing.

use crate::carriers::{export, import, instructed, results, rows_of, shop};
use juchu_testkit::Backend;

juchu_testkit::on_both_backends!(
    yupri_export_then_history_ships_and_delivers,
    clickpost_export_and_its_refusals,
    cli_export_writes_the_same_bytes_as_http,
);

/// A 12-digit Japan Post number with its mod-7 check digit.
fn jp_tracking(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

async fn yupri_export_then_history_ships_and_delivers(b: Backend) {
    let s = shop(b).await;
    let (batch, pairs) = instructed(&s, &[("J-1", "credit_card"), ("J-2", "cod")]).await;
    let (bytes, ct) = export(&s, &batch, "japanpost-yupri").await;
    assert_eq!(ct, "text/csv; charset=Shift_JIS");
    let rows = rows_of(&bytes);
    assert_eq!(rows.len(), 2, "no header, one row per parcel");
    for row in &rows {
        assert_eq!(row.len(), 24);
        let cod = pairs[1].1.replace('-', "") == row[0];
        assert_eq!(row[3], if cod { "2" } else { "0" }, "元／着払／代引");
        assert_eq!(row[4], "1000001");
        assert_eq!(row[8], "山田 太郎");
        if cod {
            assert!(
                row[21].parse::<i64>().unwrap() >= 4500,
                "代引金額 {}",
                row[21]
            );
        }
    }
    // The 発送履歴 file: the first parcel delivered, the second only accepted.
    let key = |i: usize| pairs[i].1.replace('-', "");
    let history = format!(
        "お客様側管理番号,お問い合わせ番号,仮引受確定作業年月日,配送完了作業年月日,配達ステータス集約コード,配達ステータス明細コード\r\n\
         {},{},2026/11/26,2026/11/27,31,3101\r\n{},{},2026/11/26,,21,2101\r\nnot-a-key,{},2026/11/26,,21,2101\r\n",
        key(0),
        jp_tracking(40554842488),
        key(1),
        jp_tracking(40554842489),
        jp_tracking(40554842490),
    );
    let file = juchu_formats::encode_cp932(&history).unwrap();
    let r = import(&s, "japanpost-history", file.clone()).await;
    assert_eq!(results(&r), ["delivered", "shipped", "error"], "{r}");
    assert_eq!(r["summary"]["delivered"], 1);
    s.t.api.wait_idle(&s.t.admin).await;
    let first = s.t.api.order(&s.operator, &pairs[0].0).await;
    // Delivered, then recognised: revenue is recognised on delivery by default.
    assert_eq!(first["status"], "recognized", "{first}");
    assert_eq!(first["shipments"][0]["carrier"], "japanpost");
    assert_eq!(
        first["shipments"][0]["tracking_number"],
        jp_tracking(40554842488)
    );
    assert_eq!(first["shipments"][0]["shipped_at"], "2026-11-25T15:00:00Z");
    assert_eq!(
        first["shipments"][0]["delivered_at"],
        "2026-11-26T15:00:00Z"
    );
    assert!(
        first["shipments"][0]["tracking_url"]
            .as_str()
            .unwrap()
            .contains("japanpost.jp"),
    );
    let second = s.t.api.order(&s.operator, &pairs[1].0).await;
    assert_eq!(second["status"], "shipped");
    let v = (first["version"].clone(), second["version"].clone());

    let again = import(&s, "japanpost-history", file).await;
    assert_eq!(
        results(&again),
        ["already_shipped", "already_shipped", "error"],
        "{again}"
    );
    let first = s.t.api.order(&s.operator, &pairs[0].0).await;
    let second = s.t.api.order(&s.operator, &pairs[1].0).await;
    assert_eq!((first["version"].clone(), second["version"].clone()), v);
    s.t.api.invariants_ok(&s.t.admin).await;
}

async fn clickpost_export_and_its_refusals(b: Backend) {
    let s = shop(b).await;
    let (batch, _) = instructed(&s, &[("C-1", "credit_card")]).await;
    let (bytes, _) = export(&s, &batch, "clickpost").await;
    let rows = rows_of(&bytes);
    assert_eq!(rows[0][0], "お届け先郵便番号");
    assert_eq!(rows[1].len(), 8);
    assert_eq!(rows[1][1], "山田 太郎");
    assert_eq!(rows[1][2], "様");
    // Click Post has no cash on delivery: the export names the order instead of printing a label.
    let (cod_batch, _) = instructed(&s, &[("C-2", "cod")]).await;
    let r =
        s.t.api
            .http
            .get(format!(
                "{}/api/v1/shipping-instructions/{cod_batch}/export?format=clickpost",
                s.t.api.base
            ))
            .bearer_auth(&s.warehouse)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("cash on delivery"), "{body}");
    let r =
        s.t.api
            .http
            .get(format!(
                "{}/api/v1/shipping-instructions/{batch}/export?format=yupri",
                s.t.api.base
            ))
            .bearer_auth(&s.warehouse)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 422);
}

/// `juchu export shipping BATCH --format F -o FILE` writes what the HTTP export serves.
async fn cli_export_writes_the_same_bytes_as_http(b: Backend) {
    let s = shop(b).await;
    let (batch, _) = instructed(&s, &[("X-1", "credit_card"), ("X-2", "cod")]).await;
    let store = juchu::open_store(&s.t.db.url).await.unwrap();
    let app = juchu_app::App::new(
        store,
        std::sync::Arc::new(juchu_app::SystemClock),
        juchu_domain::policy::Policies::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    for format in ["yamato-b2", "sagawa-ehiden", "japanpost-yupri", "csv"] {
        let out = dir.path().join(format);
        juchu::carriers::export_shipping(&app, &batch, format, Some(&out))
            .await
            .unwrap();
        let (http, _) = export(&s, &batch, format).await;
        assert_eq!(std::fs::read(&out).unwrap(), http, "{format}");
    }
    let err = juchu::carriers::export_shipping(&app, &batch, "pdf", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pdf"), "{err}");
    let err = juchu::carriers::export_shipping(&app, "nope", "csv", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
