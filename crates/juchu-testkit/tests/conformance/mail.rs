//! Customer e-mails through the outbox over real SMTP (the test kit's sink): confirmation in
//! Japanese with totals, tax per rate and ※ marks; English for locale `en`; bank-transfer
//! instructions, payment received, and a refund when the paid order is cancelled; a shipping
//! notice per shipment with its tracking link and only its items; cancellation; refund after a
//! return; an SMTP outage delays mail but never the order; a permanent rejection goes dead after
//! its retries; without `[mail]` the jobs are skipped.

use crate::carriers::{Shop, import, instructed, shop, shop_on, tracking};
use jiff::{SignedDuration, Timestamp};
use juchu_app::FakeClock;
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, Received, TestApp, order_body};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

juchu_testkit::on_both_backends!(
    confirmation_in_japanese_with_tax_per_rate_and_reduced_rate_marks,
    english_for_locale_en_and_bad_locale_refused,
    bank_transfer_instructions_payment_received_and_refund_on_cancel,
    shipping_notice_per_shipment_with_tracking_link_and_its_items,
    cancellation_mail,
    refund_mail_after_a_return,
    smtp_outage_delays_mail_not_the_order,
    permanent_rejection_goes_dead_after_retries,
    without_mail_config_jobs_are_skipped,
);

const CUSTOMER: &str = "taro@example.jp";

fn yen(n: i64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("¥{out}")
}

async fn place(s: &Shop, body: &Value) -> Value {
    let r = s.t.api.post("/api/v1/orders", &s.storefront, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn header(m: &Received, name: &str) -> String {
    let raw = String::from_utf8_lossy(&m.raw).to_string();
    let head = raw.split("\r\n\r\n").next().unwrap().to_owned();
    head.split("\r\n")
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .unwrap_or_else(|| panic!("no {name} header in {head}"))
        .to_owned()
}

async fn confirmation_in_japanese_with_tax_per_rate_and_reduced_rate_marks(b: Backend) {
    let s = shop(b).await;
    let mut body = order_body("M-1", &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "credit_card");
    body["delivery"] = json!({"date": "2026-12-24", "time_slot": "1416"});
    body["notes"] = json!("不在時は宅配ボックスへ");
    let o = place(&s, &body).await;
    let number = o["number"].as_i64().unwrap();
    let m =
        s.t.smtp
            .wait_subject(CUSTOMER, "ご注文ありがとうございます")
            .await;
    let p = m.parsed();
    assert_eq!(
        p.subject().unwrap(),
        format!("【テスト商店】ご注文ありがとうございます(ご注文番号: {number})")
    );
    // Headers: the shop as sender, the customer as recipient, an id and a date, UTF-8 text.
    let from = p.from().unwrap().first().unwrap();
    assert_eq!(from.address().unwrap(), "shop@example.jp");
    assert_eq!(from.name().unwrap(), "テスト商店");
    let to = p.to().unwrap().first().unwrap();
    assert_eq!(to.address().unwrap(), CUSTOMER);
    assert_eq!(to.name().unwrap(), "山田 太郎");
    assert!(
        p.message_id().unwrap().ends_with("@example.jp"),
        "{:?}",
        p.message_id()
    );
    assert!(p.date().is_some());
    let ct = header(&m, "Content-Type").to_ascii_lowercase();
    assert!(ct.contains("text/plain") && ct.contains("utf-8"), "{ct}");
    // The subject is encoded (RFC 2047), not raw UTF-8 in the header.
    assert!(
        header(&m, "Subject").contains("=?utf-8?"),
        "{}",
        header(&m, "Subject")
    );
    assert_eq!(m.to, vec![CUSTOMER.to_owned()]);
    assert_eq!(m.from, "shop@example.jp");

    let text = m.text();
    assert!(text.starts_with("山田 太郎 様"), "{text}");
    assert!(text.contains(&format!("■ご注文番号: {number}")), "{text}");
    assert!(text.contains("■お届け先"), "{text}");
    assert!(text.contains("〒100-0001"), "{text}");
    assert!(text.contains("2026年12月24日 / 14時〜16時"), "{text}");
    // Items: the reduced-rate tea is marked ※, the towel is not.
    assert!(text.contains("※TEA 商品\n"), "{text}");
    assert!(text.contains("\nTOWEL 商品\n"), "{text}");
    assert!(
        text.contains("単価: ¥1,980(税込) × 数量: 2 = 小計: ¥3,960"),
        "{text}"
    );
    assert!(text.contains("※は軽減税率(8%)対象商品です。"), "{text}");
    // Totals and tax per rate as the order has them.
    let totals = &o["totals"];
    assert!(text.contains(&format!("商品合計: {}", yen(4500))), "{text}");
    assert!(
        text.contains(&format!("合計: {}", yen(totals["total"].as_i64().unwrap()))),
        "{text}"
    );
    for tl in totals["tax"].as_array().unwrap() {
        let line = format!(
            "({}%対象 {} 内消費税 {})",
            tl["rate"],
            yen(tl["base"].as_i64().unwrap()),
            yen(tl["tax"].as_i64().unwrap())
        );
        assert!(text.contains(&line), "{line} missing in {text}");
    }
    assert!(text.contains("(10%対象 ¥3,960 内消費税 ¥360)"), "{text}");
    assert!(text.contains("(8%対象 ¥540 内消費税 ¥40)"), "{text}");
    assert!(text.contains("■お支払方法: クレジットカード"), "{text}");
    assert!(text.contains("■備考\n不在時は宅配ボックスへ"), "{text}");
    assert!(text.contains("■キャンセル・返品について"), "{text}");
    // The shop footer from the config.
    for f in [
        "テスト商店",
        "運営会社: 株式会社テスト",
        "TEL: 03-1234-5678",
        "E-mail: shop@example.jp",
        "URL: https://shop.example.jp",
    ] {
        assert!(text.contains(f), "{f} missing in {text}");
    }
    // Exactly one confirmation, even after the receipt work ran (the notes hold the order).
    s.t.api
        .wait_status(&s.operator, o["id"].as_str().unwrap(), "unallocated")
        .await;
    s.t.api.wait_idle(&s.t.admin).await;
    let n =
        s.t.smtp
            .messages()
            .iter()
            .filter(|m| m.subject().contains("ご注文ありがとうございます"))
            .count();
    assert_eq!(n, 1);
    s.t.stop().await;
}

async fn english_for_locale_en_and_bad_locale_refused(b: Backend) {
    let s = shop(b).await;
    let mut body = order_body(
        "M-EN",
        &[("TOWEL", 1, 1980), ("TEA", 2, 540)],
        "credit_card",
    );
    body["customer"]["locale"] = json!("en");
    body["customer"]["email"] = json!("jane@example.com");
    let o = place(&s, &body).await;
    assert_eq!(o["customer"]["locale"], "en");
    let number = o["number"].as_i64().unwrap();
    let m = s.t.smtp.wait_subject("jane@example.com", "Thank you").await;
    assert_eq!(
        m.subject(),
        format!("[テスト商店] Thank you for your order (order {number})")
    );
    let text = m.text();
    assert!(text.starts_with("Dear 山田 太郎,"), "{text}");
    assert!(
        text.contains(&format!("■ Order number: {number}")),
        "{text}"
    );
    assert!(text.contains("※TEA 商品"), "{text}");
    assert!(
        text.contains("※ marks items taxed at the reduced rate (8%)."),
        "{text}"
    );
    assert!(text.contains("Total: ¥3,060"), "{text}");
    assert!(
        text.contains("(8% items ¥1,080, of which consumption tax ¥80)"),
        "{text}"
    );
    assert!(text.contains("■ Payment: Credit card"), "{text}");
    assert!(text.contains("Operated by: 株式会社テスト"), "{text}");
    assert!(!text.contains("ご注文"), "{text}");
    // Japanese is the default; an unknown locale is refused and nothing is stored.
    let ja = place(
        &s,
        &order_body("M-JA", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    assert_eq!(ja["customer"]["locale"], "ja");
    let mut bad = order_body("M-FR", &[("TOWEL", 1, 1980)], "credit_card");
    bad["customer"]["locale"] = json!("fr");
    let r = s.t.api.post("/api/v1/orders", &s.storefront, &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["errors"][0]["field"], "customer.locale",
        "{}",
        r.text
    );
    s.t.stop().await;
}

async fn bank_transfer_instructions_payment_received_and_refund_on_cancel(b: Backend) {
    let s = shop(b).await;
    let o = place(
        &s,
        &order_body(
            "M-BT",
            &[("TOWEL", 1, 1980), ("TEA", 1, 540)],
            "bank_transfer",
        ),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    let m = s.t.smtp.wait_subject(CUSTOMER, "お振込のご案内").await;
    let o = s.t.api.order(&s.operator, &id).await;
    let account = o["payment"]["virtual_account"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = account.split('-').collect();
    let due: jiff::civil::Date = o["payment"]["due_date"].as_str().unwrap().parse().unwrap();
    let total = o["totals"]["total"].as_i64().unwrap();
    let text = m.text();
    assert!(
        text.contains(&format!("銀行コード: {}", parts[0])),
        "{text}"
    );
    assert!(
        text.contains(&format!("支店コード: {}", parts[1])),
        "{text}"
    );
    assert!(text.contains(&format!("口座: 普通 {}", parts[2])), "{text}");
    assert!(
        text.contains(&format!("お振込金額: {}", yen(total))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "お振込期限: {}年{}月{}日",
            due.year(),
            due.month(),
            due.day()
        )),
        "{text}"
    );
    // A partial payment sends nothing; the one that completes the total does.
    let confirm = format!("/api/v1/orders/{id}/payments/confirm");
    let r =
        s.t.api
            .post(&confirm, &s.operator, &json!({"amount": 1000}))
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r =
        s.t.api
            .post(&confirm, &s.operator, &json!({"amount": total - 1000}))
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m =
        s.t.smtp
            .wait_subject(CUSTOMER, "ご入金確認のお知らせ")
            .await;
    let text = m.text();
    assert!(
        text.contains(&format!("■ご入金額: {}", yen(total - 1000))),
        "{text}"
    );
    assert!(
        text.contains(&format!("■ご入金累計: {}", yen(total))),
        "{text}"
    );
    assert!(text.contains("■発送予定日: "), "{text}");
    s.t.api.wait_idle(&s.t.admin).await;
    let paid_mails =
        s.t.smtp
            .messages()
            .iter()
            .filter(|m| m.subject().contains("ご入金確認"))
            .count();
    assert_eq!(paid_mails, 1);
    // Cancelling the paid order refunds it: the cancellation says so, and a refund mail follows.
    let r =
        s.t.api
            .post(
                &format!("/api/v1/orders/{id}/cancel"),
                &s.operator,
                &json!({"reason": "在庫切れ"}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c =
        s.t.smtp
            .wait_subject(CUSTOMER, "ご注文キャンセルのお知らせ")
            .await;
    assert!(
        c.text().contains(&format!(
            "お支払い済みの代金 {} を返金いたします",
            yen(total)
        )),
        "{}",
        c.text()
    );
    let m = s.t.smtp.wait_subject(CUSTOMER, "ご返金のお知らせ").await;
    let text = m.text();
    assert!(text.contains(&format!("■返金額: {}", yen(total))), "{text}");
    assert!(text.contains("■返金理由: ご注文キャンセル"), "{text}");
    assert!(text.contains("■お支払方法: 銀行振込"), "{text}");
    s.t.stop().await;
}

async fn shipping_notice_per_shipment_with_tracking_link_and_its_items(b: Backend) {
    // Towels only in Tokyo, tea only in Osaka: the order ships in two parcels.
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.warehouse(&operator, "OSK", 2).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    assert_eq!(t.api.stock(&warehouse, "TKY", "TOWEL", 5).await.status, 201);
    assert_eq!(t.api.stock(&warehouse, "OSK", "TEA", 5).await.status, 201);
    let s = Shop {
        t,
        operator,
        warehouse,
        storefront,
    };
    let o = place(
        &s,
        &order_body(
            "M-SH",
            &[("TOWEL", 2, 1980), ("TEA", 1, 540)],
            "credit_card",
        ),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let r =
        s.t.api
            .post(
                "/api/v1/shipping-instructions",
                &s.warehouse,
                &json!({"order_ids": [id]}),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = s.t.api.order(&s.operator, &id).await;
    let shipments = o["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 2, "{o}");
    let towel_parcel = shipments.iter().find(|x| x["warehouse"] == "TKY").unwrap();
    let sid = towel_parcel["id"].as_str().unwrap();
    let number = tracking(98765432101);
    let csv = format!("shipment_id,carrier,tracking_number\n{sid},yamato,{number}\n");
    let summary = import(&s, "csv", csv.into_bytes()).await;
    assert_eq!(summary["summary"]["shipped"], 1, "{summary}");
    let m = s.t.smtp.wait_subject(CUSTOMER, "商品発送のお知らせ").await;
    let text = m.text();
    assert!(text.contains("■配送業者: ヤマト運輸"), "{text}");
    assert!(
        text.contains(&format!("■お問い合わせ番号: {number}")),
        "{text}"
    );
    let link = s.t.api.order(&s.operator, &id).await["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == sid)
        .unwrap()["tracking_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with("https://") && link.contains("kuronekoyamato.co.jp"),
        "{link}"
    );
    assert!(link.contains(&number), "{link}");
    assert!(text.contains(&link), "{text}");
    // Only this parcel's items.
    assert!(text.contains("TOWEL 商品"), "{text}");
    assert!(text.contains("数量: 2"), "{text}");
    assert!(!text.contains("TEA"), "{text}");
    assert!(text.contains("複数に分けてお届け"), "{text}");
    // The other parcel has not shipped: no second notice.
    s.t.api.wait_idle(&s.t.admin).await;
    let notices =
        s.t.smtp
            .messages()
            .iter()
            .filter(|m| m.subject().contains("発送"))
            .count();
    assert_eq!(notices, 1);
    s.t.stop().await;
}

async fn cancellation_mail(b: Backend) {
    let s = shop(b).await;
    let o = place(
        &s,
        &order_body("M-CX", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let r =
        s.t.api
            .post(
                &format!("/api/v1/orders/{id}/cancel"),
                &s.operator,
                &json!({"reason": "お客様のご都合"}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m =
        s.t.smtp
            .wait_subject(CUSTOMER, "ご注文キャンセルのお知らせ")
            .await;
    let text = m.text();
    assert!(text.contains("ご注文のキャンセルを承りました。"), "{text}");
    assert!(text.contains("■キャンセル理由: お客様のご都合"), "{text}");
    assert!(
        text.contains(&format!("■ご注文番号: {}", o["number"])),
        "{text}"
    );
    assert!(text.contains("TOWEL 商品"), "{text}");
    assert!(text.contains("与信(仮売上)は取り消しました"), "{text}");
    // An authorised card is voided, not refunded: no refund mail.
    s.t.api.wait_idle(&s.t.admin).await;
    assert!(
        !s.t.smtp
            .messages()
            .iter()
            .any(|m| m.subject().contains("返金"))
    );
    s.t.stop().await;
}

async fn refund_mail_after_a_return(b: Backend) {
    let s = shop(b).await;
    let (_, pairs) = instructed(&s, &[("M-RT", "credit_card")]).await;
    let (order, shipment) = pairs[0].clone();
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/ship"),
                &s.warehouse,
                &json!({"carrier": "sagawa", "tracking_number": "512547514334"}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let shipped = s.t.smtp.wait_subject(CUSTOMER, "商品発送のお知らせ").await;
    assert!(
        shipped
            .text()
            .contains("https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=512547514334"),
        "{}",
        shipped.text()
    );
    let o = s.t.api.order(&s.operator, &order).await;
    let towel = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "TOWEL")
        .unwrap()["id"]
        .clone();
    let r = s
        .t
        .api
        .post(
            &format!("/api/v1/orders/{order}/returns"),
            &s.storefront,
            &json!({"lines": [{"line_id": towel, "quantity": 1, "restock": true}], "reason": "サイズ違い"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rid = r.body["return_id"].as_str().unwrap().to_owned();
    // Announcing a return refunds nothing yet.
    s.t.api.wait_idle(&s.t.admin).await;
    assert!(
        !s.t.smtp
            .messages()
            .iter()
            .any(|m| m.subject().contains("返金"))
    );
    let r =
        s.t.api
            .post(
                &format!("/api/v1/orders/{order}/returns/{rid}/receive"),
                &s.warehouse,
                &json!({}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m = s.t.smtp.wait_subject(CUSTOMER, "ご返金のお知らせ").await;
    let text = m.text();
    assert!(text.contains("■返金額: ¥1,980"), "{text}");
    assert!(text.contains("■返金理由: 返品"), "{text}");
    s.t.stop().await;
}

async fn smtp_outage_delays_mail_not_the_order(b: Backend) {
    let s = shop_on(TestApp::spawn_with_mail_down(b).await).await;
    let o = place(
        &s,
        &order_body("M-DOWN", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    // The order goes on while the mail server refuses.
    s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while s.t.smtp.refused() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no send was attempted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(s.t.smtp.messages().is_empty());
    let jobs = s.t.api.get("/api/v1/admin/jobs", &s.t.admin).await.body;
    assert!(
        jobs["scheduled"].as_i64().unwrap_or(0) + jobs["pending"].as_i64().unwrap_or(0) >= 1,
        "the mail waits for its retry: {jobs}"
    );
    assert_eq!(jobs["dead"].as_i64().unwrap_or(0), 0, "{jobs}");
    // The server comes back: the retry delivers the mail.
    s.t.smtp.fail_with(None);
    let m =
        s.t.smtp
            .wait_subject(CUSTOMER, "ご注文ありがとうございます")
            .await;
    assert!(m.text().contains(&format!("■ご注文番号: {}", o["number"])));
    assert_eq!(s.t.api.order(&s.operator, &id).await["status"], "allocated");
    s.t.stop().await;
}

async fn permanent_rejection_goes_dead_after_retries(b: Backend) {
    let clock = Arc::new(FakeClock::new(Timestamp::now()));
    let t = TestApp::spawn_with_clock(b, Policies::default(), clock.clone()).await;
    t.smtp.fail_with(Some(550));
    let s = shop_on(t).await;
    let o = place(
        &s,
        &order_body("M-550", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    s.t.api
        .wait_status(&s.operator, o["id"].as_str().unwrap(), "allocated")
        .await;
    // Each retry waits out its backoff; the clock jumps past it until the job is dead.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = s.t.api.get("/api/v1/admin/jobs", &s.t.admin).await.body;
        if jobs["dead"].as_i64().unwrap_or(0) == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not dead: {jobs}");
        clock.advance(SignedDuration::from_hours(1));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(s.t.smtp.refused(), 8, "every attempt was made");
    assert!(s.t.smtp.messages().is_empty());
    s.t.stop().await;
}

async fn without_mail_config_jobs_are_skipped(b: Backend) {
    let s = shop_on(TestApp::spawn_without_mail(b).await).await;
    let o = place(
        &s,
        &order_body("M-OFF", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    let id = o["id"].as_str().unwrap().to_owned();
    s.t.api.wait_status(&s.operator, &id, "allocated").await;
    let r =
        s.t.api
            .post(
                &format!("/api/v1/orders/{id}/cancel"),
                &s.operator,
                &json!({"reason": "test"}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The mail jobs ran and completed: nothing waits, nothing is dead, nothing was sent.
    s.t.api.wait_idle(&s.t.admin).await;
    let jobs = s.t.api.get("/api/v1/admin/jobs", &s.t.admin).await.body;
    assert_eq!(jobs["dead"].as_i64().unwrap_or(0), 0, "{jobs}");
    // Only the monthly close (月次締め) waits for its day.
    assert_eq!(jobs["scheduled"].as_i64().unwrap_or(0), 1, "{jobs}");
    assert!(s.t.smtp.messages().is_empty());
    let metrics =
        s.t.api
            .http
            .get(format!("{}/metrics", s.t.api.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    for kind in ["confirmation", "cancelled"] {
        assert!(
            metrics.lines().any(|l| l.starts_with("juchu_mails_total{")
                && l.contains(&format!("\"{kind}\""))
                && l.contains("\"skipped\"")),
            "{kind} not counted as skipped:\n{metrics}"
        );
    }
    assert_eq!(s.t.smtp.refused(), 0);
    s.t.stop().await;
}
