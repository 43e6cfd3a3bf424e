//! The mail templates (FORMATS.md §9), Japanese and English, as plain Rust: one function per mail,
//! shared blocks for items, totals with tax per rate, payment instructions and the shop footer.

use super::{MailKind, ShopInfo};
use crate::AppError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use juchu_domain::payment::PaymentMethod;
use juchu_domain::tax::TaxRate;
use juchu_domain::{Address, Money, Order};
use serde_json::Value;
use std::fmt::Write;

/// Subject and plain-text body of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Ja,
    En,
}

impl Lang {
    fn of(order: &Order) -> Lang {
        if order.customer.locale.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Ja
        }
    }

    fn t<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

const RULE: &str = "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━";

/// ¥1,234 (minus sign in front of the yen sign for negative amounts).
pub(crate) fn yen(m: Money) -> String {
    m.to_string()
}

fn jst(at: Timestamp) -> jiff::Zoned {
    at.to_zoned(TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::fixed(jiff::tz::offset(9))))
}

fn date_text(lang: Lang, d: Date) -> String {
    match lang {
        Lang::Ja => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.strftime("%Y-%m-%d").to_string(),
    }
}

fn datetime_text(lang: Lang, at: Timestamp) -> String {
    let z = jst(at);
    match lang {
        Lang::Ja => format!(
            "{} {:02}:{:02}",
            date_text(lang, z.date()),
            z.hour(),
            z.minute()
        ),
        Lang::En => format!("{} JST", z.strftime("%Y-%m-%d %H:%M")),
    }
}

/// `0812` → 午前中, `1416` → 14時〜16時; other codes as they are.
fn time_slot_text(lang: Lang, slot: &str) -> String {
    if slot == "0812" {
        return lang.t("午前中", "morning (8–12)").to_owned();
    }
    match (slot.get(0..2), slot.get(2..4)) {
        (Some(a), Some(b)) if slot.len() == 4 && slot.chars().all(|c| c.is_ascii_digit()) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            match lang {
                Lang::Ja => format!("{a}時〜{b}時"),
                Lang::En => format!("{a}:00–{b}:00"),
            }
        }
        _ => slot.to_owned(),
    }
}

fn postal(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 7 {
        format!("〒{}-{}", &digits[..3], &digits[3..])
    } else {
        format!("〒{code}")
    }
}

fn address_block(out: &mut String, lang: Lang, a: &Address) {
    let _ = writeln!(out, "{}{}", a.name, lang.t(" 様", ""));
    let _ = writeln!(out, "{}", postal(&a.postal_code));
    let _ = write!(out, "{}{}{}", a.prefecture, a.city, a.line1);
    if let Some(l2) = a.line2.as_deref().filter(|l| !l.trim().is_empty()) {
        let _ = write!(out, " {l2}");
    }
    out.push('\n');
    if let Some(p) = a.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(out, "TEL: {p}");
    }
}

fn method_text(lang: Lang, m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::CreditCard => lang.t("クレジットカード", "Credit card"),
        PaymentMethod::BankTransfer => lang.t("銀行振込", "Bank transfer"),
        PaymentMethod::Deferred => lang.t("後払い", "Pay later (invoice)"),
        PaymentMethod::AmazonPay => lang.t("Amazon Pay", "Amazon Pay"),
        PaymentMethod::Cod => lang.t("代金引換", "Cash on delivery"),
    }
}

fn fee_text(lang: Lang, kind: &str) -> String {
    match kind {
        "cod" => lang.t("代引手数料", "COD fee").to_owned(),
        "gift_wrap" => lang.t("ギフト包装料", "Gift wrapping").to_owned(),
        other => format!("{}({other})", lang.t("手数料", "Fee")),
    }
}

fn reduced_mark(rate: TaxRate) -> &'static str {
    if rate == TaxRate::Reduced8 { "※" } else { "" }
}

/// One item: name (※ when reduced-rate), unit price tax included, quantity, subtotal.
fn item(out: &mut String, lang: Lang, name: &str, sku: &str, rate: TaxRate, unit: Money, qty: i64) {
    let subtotal = unit.checked_mul(qty).unwrap_or(Money::ZERO);
    let _ = writeln!(out, "{}{name}", reduced_mark(rate));
    match lang {
        Lang::Ja => {
            let _ = writeln!(
                out,
                "  商品番号: {sku}  単価: {}(税込) × 数量: {qty} = 小計: {}",
                yen(unit),
                yen(subtotal)
            );
        }
        Lang::En => {
            let _ = writeln!(
                out,
                "  SKU: {sku}  Unit price: {} (tax incl.) x Qty: {qty} = Subtotal: {}",
                yen(unit),
                yen(subtotal)
            );
        }
    }
}

fn reduced_note(out: &mut String, lang: Lang, any_reduced: bool) {
    if any_reduced {
        let _ = writeln!(
            out,
            "{}",
            lang.t(
                "※は軽減税率(8%)対象商品です。",
                "※ marks items taxed at the reduced rate (8%)."
            )
        );
    }
}

fn items_block(out: &mut String, lang: Lang, order: &Order) {
    let _ = writeln!(out, "{}", lang.t("■ご注文商品", "■ Items"));
    for l in &order.lines {
        item(
            out,
            lang,
            &l.name,
            &l.sku,
            l.tax_rate,
            l.unit_price,
            l.quantity,
        );
    }
    reduced_note(
        out,
        lang,
        order.lines.iter().any(|l| l.tax_rate == TaxRate::Reduced8),
    );
}

fn totals_block(out: &mut String, lang: Lang, order: &Order) {
    let t = &order.totals;
    let row = |out: &mut String, label: &str, m: Money| {
        let _ = writeln!(out, "{label}: {}", yen(m));
    };
    let _ = writeln!(out, "{RULE}");
    row(out, lang.t("商品合計", "Items"), t.items);
    row(out, lang.t("送料", "Shipping"), t.shipping_fee);
    for f in &order.fees {
        row(out, &fee_text(lang, &f.kind), f.amount);
    }
    if t.discount > Money::ZERO {
        row(out, lang.t("割引", "Discount"), Money::ZERO - t.discount);
    }
    if t.points_used > Money::ZERO {
        row(
            out,
            lang.t("ポイント利用", "Points used"),
            Money::ZERO - t.points_used,
        );
    }
    let _ = writeln!(out, "{}: {}", lang.t("合計", "Total"), yen(t.total));
    for tl in &t.tax {
        let pct = tl.rate.percent();
        match lang {
            Lang::Ja => {
                let _ = writeln!(
                    out,
                    "  ({pct}%対象 {} 内消費税 {})",
                    yen(tl.base),
                    yen(tl.tax)
                );
            }
            Lang::En => {
                let _ = writeln!(
                    out,
                    "  ({pct}% items {}, of which consumption tax {})",
                    yen(tl.base),
                    yen(tl.tax)
                );
            }
        }
    }
    let _ = writeln!(out, "{RULE}");
}

/// 振込先: `0310-101-1000001` → bank, branch and account number.
fn bank_block(out: &mut String, lang: Lang, order: &Order, shop: &ShopInfo) {
    let Some(account) = order.payment.virtual_account.as_deref() else {
        let _ = writeln!(
            out,
            "{}",
            lang.t(
                "お振込先は別途メールにてご案内いたします。",
                "We will send the account to transfer to in a separate e-mail."
            )
        );
        return;
    };
    let parts: Vec<&str> = account.split('-').collect();
    match (lang, parts.as_slice()) {
        (Lang::Ja, [bank, branch, number]) => {
            let _ = writeln!(out, "  銀行コード: {bank}");
            let _ = writeln!(out, "  支店コード: {branch}");
            let _ = writeln!(out, "  口座: 普通 {number}");
        }
        (Lang::En, [bank, branch, number]) => {
            let _ = writeln!(out, "  Bank code: {bank}");
            let _ = writeln!(out, "  Branch code: {branch}");
            let _ = writeln!(out, "  Account: ordinary (futsu) {number}");
        }
        _ => {
            let _ = writeln!(out, "  {}: {account}", lang.t("口座", "Account"));
        }
    }
    let _ = writeln!(
        out,
        "  {}: {}",
        lang.t("口座名義", "Account holder"),
        shop.name
    );
    let _ = writeln!(
        out,
        "  {}: {}",
        lang.t("お振込金額", "Amount"),
        yen(order.totals.total)
    );
    if let Some(due) = order.payment.due_date {
        let _ = writeln!(
            out,
            "  {}: {}",
            lang.t("お振込期限", "Due date"),
            date_text(lang, due)
        );
    }
    let _ = writeln!(
        out,
        "{}",
        lang.t(
            "※この口座はご注文専用です。振込手数料はお客様のご負担となります。",
            "This account is for this order only. Transfer fees are borne by the customer."
        )
    );
}

fn payment_block(out: &mut String, lang: Lang, order: &Order, shop: &ShopInfo) {
    let _ = writeln!(
        out,
        "{}: {}",
        lang.t("■お支払方法", "■ Payment"),
        method_text(lang, order.payment.method)
    );
    match order.payment.method {
        PaymentMethod::BankTransfer => bank_block(out, lang, order, shop),
        PaymentMethod::Cod => {
            let _ = writeln!(
                out,
                "{}",
                lang.t(
                    "商品お届け時に配送業者へ代金をお支払いください。",
                    "Please pay the carrier when the parcel is delivered."
                )
            );
        }
        PaymentMethod::Deferred => {
            let _ = writeln!(
                out,
                "{}",
                lang.t(
                    "請求書は商品発送後に別途お送りします。",
                    "The invoice is sent separately after shipping."
                )
            );
        }
        PaymentMethod::CreditCard | PaymentMethod::AmazonPay => {}
    }
}

fn footer(out: &mut String, lang: Lang, shop: &ShopInfo) {
    let _ = writeln!(out, "\n{RULE}");
    let _ = writeln!(out, "{}", shop.name);
    let rows = [
        (lang.t("運営会社", "Operated by"), &shop.company),
        (lang.t("所在地", "Address"), &shop.address),
        ("TEL", &shop.phone),
        ("E-mail", &shop.email),
        ("URL", &shop.url),
    ];
    for (label, value) in rows {
        if !value.trim().is_empty() {
            let _ = writeln!(out, "{label}: {value}");
        }
    }
    let _ = writeln!(out, "{RULE}");
}

fn greeting(out: &mut String, lang: Lang, order: &Order, shop: &ShopInfo) {
    match lang {
        Lang::Ja => {
            let _ = writeln!(out, "{} 様\n", order.customer.name);
            let _ = writeln!(
                out,
                "{}をご利用いただき、誠にありがとうございます。",
                shop.name
            );
        }
        Lang::En => {
            let _ = writeln!(out, "Dear {},\n", order.customer.name);
            let _ = writeln!(out, "Thank you for shopping at {}.", shop.name);
        }
    }
}

fn order_ref(out: &mut String, lang: Lang, order: &Order) {
    let _ = writeln!(
        out,
        "{}: {}",
        lang.t("■ご注文番号", "■ Order number"),
        order.number
    );
    let _ = writeln!(
        out,
        "{}: {}",
        lang.t("■ご注文日時", "■ Ordered at"),
        datetime_text(lang, order.ordered_at)
    );
}

fn money_of(v: &Value) -> Money {
    Money::yen(v.as_i64().unwrap_or(0))
}

fn subject(lang: Lang, shop: &ShopInfo, ja: &str, en: &str, number: i64) -> String {
    match lang {
        Lang::Ja => format!("【{}】{ja}(ご注文番号: {number})", shop.name),
        Lang::En => format!("[{}] {en} (order {number})", shop.name),
    }
}

/// Renders one mail for the order as it is now. `data` is what the outbox recorded with the job
/// (shipment id, amounts, reason); `now` dates the expected ship date of a payment mail.
pub fn render(
    kind: MailKind,
    order: &Order,
    data: &Value,
    shop: &ShopInfo,
    now: Timestamp,
) -> Result<Rendered, AppError> {
    let lang = Lang::of(order);
    let mut b = String::new();
    greeting(&mut b, lang, order, shop);
    let subject = match kind {
        MailKind::Confirmation => {
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "以下の内容でご注文を承りました。",
                    "We have received your order as follows."
                )
            );
            let _ = writeln!(b, "{RULE}");
            order_ref(&mut b, lang, order);
            let _ = writeln!(b, "{RULE}\n");
            let _ = writeln!(b, "{}", lang.t("■ご注文者", "■ Ordered by"));
            let _ = writeln!(b, "{}{}", order.customer.name, lang.t(" 様", ""));
            if let Some(bill) = &order.billing_address {
                address_block(&mut b, lang, bill);
            }
            let _ = writeln!(b, "E-mail: {}", order.customer.email);
            if let Some(p) = order.customer.phone.as_deref() {
                let _ = writeln!(b, "TEL: {p}");
            }
            let _ = writeln!(b, "\n{}", lang.t("■お届け先", "■ Ship to"));
            address_block(&mut b, lang, &order.shipping_address);
            b.push('\n');
            let d = order.delivery.clone().unwrap_or_default();
            let date = d
                .date
                .map(|x| date_text(lang, x))
                .unwrap_or_else(|| lang.t("指定なし", "not specified").to_owned());
            let slot = d
                .time_slot
                .as_deref()
                .map(|s| time_slot_text(lang, s))
                .unwrap_or_else(|| lang.t("指定なし", "not specified").to_owned());
            let _ = writeln!(
                b,
                "{}: {date} / {slot}\n",
                lang.t("■お届け希望日・時間帯", "■ Delivery date / time")
            );
            items_block(&mut b, lang, order);
            totals_block(&mut b, lang, order);
            b.push('\n');
            payment_block(&mut b, lang, order, shop);
            if let Some(n) = order.notes.as_deref() {
                let _ = writeln!(b, "\n{}\n{n}", lang.t("■備考", "■ Notes"));
            }
            let policy = if shop.policy.trim().is_empty() {
                lang.t(
                    "商品発送前のキャンセルは承ります。お届けした商品に不良・誤りがあった場合は、到着後7日以内にご連絡ください。お客様都合の返品は未開封・未使用の場合に限り承ります(送料はお客様負担)。",
                    "Orders can be cancelled before they ship. If an item arrives damaged or wrong, please contact us within 7 days of delivery. Returns for other reasons are accepted for unopened, unused items (return shipping at your cost).",
                )
            } else {
                shop.policy.trim()
            };
            let _ = writeln!(
                b,
                "\n{}\n{policy}",
                lang.t("■キャンセル・返品について", "■ Cancellations and returns")
            );
            subject_confirmation(lang, shop, order.number)
        }
        MailKind::BankTransfer => {
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "ご注文代金のお振込先をご案内いたします。期限までにお振込みください。",
                    "Please transfer the amount of your order to the account below by the due date."
                )
            );
            order_ref(&mut b, lang, order);
            let _ = writeln!(b, "\n{}", lang.t("■お振込先", "■ Transfer to"));
            bank_block(&mut b, lang, order, shop);
            let _ = writeln!(
                b,
                "\n{}",
                lang.t(
                    "期限までにご入金が確認できない場合、ご注文はキャンセルとなります。",
                    "If the payment has not arrived by the due date, the order is cancelled."
                )
            );
            subject(
                lang,
                shop,
                "お振込のご案内",
                "Bank transfer instructions",
                order.number,
            )
        }
        MailKind::PaymentReceived => {
            let amount = money_of(&data["amount"]);
            let paid = money_of(&data["paid_total"]);
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "ご入金を確認いたしました。ありがとうございます。",
                    "We have received your payment. Thank you."
                )
            );
            order_ref(&mut b, lang, order);
            let _ = writeln!(
                b,
                "{}: {}",
                lang.t("■ご入金額", "■ Amount received"),
                yen(amount)
            );
            if paid != amount {
                let _ = writeln!(
                    b,
                    "{}: {}",
                    lang.t("■ご入金累計", "■ Paid in total"),
                    yen(paid)
                );
            }
            let _ = writeln!(
                b,
                "{}: {}",
                lang.t("■ご注文合計", "■ Order total"),
                yen(order.totals.total)
            );
            let ship = jst(now)
                .date()
                .checked_add(jiff::Span::new().days(shop.ship_within_days.clamp(0, 365)))
                .unwrap_or(jst(now).date());
            let _ = writeln!(
                b,
                "{}: {}",
                lang.t("■発送予定日", "■ Expected to ship by"),
                date_text(lang, ship)
            );
            subject(
                lang,
                shop,
                "ご入金確認のお知らせ",
                "Payment received",
                order.number,
            )
        }
        MailKind::Shipped => {
            let sid = data["shipment_id"].as_str().unwrap_or_default();
            let shipment = order
                .shipments
                .iter()
                .find(|s| s.id.to_string() == sid)
                .ok_or_else(|| {
                    AppError::invalid(
                        "payload",
                        format!("order {} has no shipment {sid}", order.id),
                    )
                })?;
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "ご注文の商品を発送いたしました。",
                    "Your order has been shipped."
                )
            );
            order_ref(&mut b, lang, order);
            if let Some(at) = shipment.shipped_at {
                let _ = writeln!(
                    b,
                    "{}: {}",
                    lang.t("■発送日", "■ Shipped on"),
                    date_text(lang, jst(at).date())
                );
            }
            let carrier = shipment
                .carrier
                .map(|c| carrier_name(lang, c))
                .unwrap_or("-");
            let _ = writeln!(b, "{}: {carrier}", lang.t("■配送業者", "■ Carrier"));
            let _ = writeln!(
                b,
                "{}: {}",
                lang.t("■お問い合わせ番号", "■ Tracking number"),
                shipment.tracking_number.as_deref().unwrap_or("-")
            );
            if let Some(url) = &shipment.tracking_url {
                let _ = writeln!(
                    b,
                    "{}:\n{url}",
                    lang.t("■配送状況の確認", "■ Track your parcel")
                );
            }
            if let Some(d) = &order.delivery {
                if let Some(date) = d.date {
                    let _ = writeln!(
                        b,
                        "{}: {}",
                        lang.t("■お届け予定日", "■ Delivery date"),
                        date_text(lang, date)
                    );
                }
                if let Some(slot) = &d.time_slot {
                    let _ = writeln!(
                        b,
                        "{}: {}",
                        lang.t("■時間帯", "■ Time slot"),
                        time_slot_text(lang, slot)
                    );
                }
            }
            let _ = writeln!(
                b,
                "\n{}",
                lang.t("■今回発送した商品", "■ Items in this parcel")
            );
            let mut any_reduced = false;
            for sl in &shipment.lines {
                let line = order.lines.iter().find(|l| l.id == sl.line_id);
                let (name, rate, unit) = match line {
                    Some(l) => (l.name.as_str(), l.tax_rate, l.unit_price),
                    None => (sl.sku.as_str(), TaxRate::Standard10, Money::ZERO),
                };
                any_reduced |= rate == TaxRate::Reduced8;
                item(&mut b, lang, name, &sl.sku, rate, unit, sl.quantity);
            }
            reduced_note(&mut b, lang, any_reduced);
            if order
                .shipments
                .iter()
                .filter(|s| s.status != juchu_domain::shipment::ShipmentStatus::Cancelled)
                .count()
                > 1
            {
                let _ = writeln!(
                    b,
                    "{}",
                    lang.t(
                        "※ご注文の商品は複数に分けてお届けします。",
                        "Your order is delivered in more than one parcel."
                    )
                );
            }
            if order.payment.method == PaymentMethod::Deferred {
                let _ = writeln!(
                    b,
                    "\n{}",
                    lang.t(
                        "後払いの請求書は別途届きます。",
                        "The invoice for pay-later arrives separately."
                    )
                );
            }
            subject(
                lang,
                shop,
                "商品発送のお知らせ",
                "Your order has shipped",
                order.number,
            )
        }
        MailKind::Cancelled => {
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "ご注文のキャンセルを承りました。",
                    "Your order has been cancelled."
                )
            );
            order_ref(&mut b, lang, order);
            if let Some(r) = data["reason"].as_str() {
                let _ = writeln!(b, "{}: {r}", lang.t("■キャンセル理由", "■ Reason"));
            }
            let _ = writeln!(b);
            items_block(&mut b, lang, order);
            totals_block(&mut b, lang, order);
            let p = &order.payment;
            let note = if p.refunded_amount > Money::ZERO {
                match lang {
                    Lang::Ja => format!(
                        "お支払い済みの代金 {} を返金いたします(別途ご案内いたします)。",
                        yen(p.refunded_amount)
                    ),
                    Lang::En => format!(
                        "The {} you paid is refunded (we will confirm it separately).",
                        yen(p.refunded_amount)
                    ),
                }
            } else {
                match p.method {
                    PaymentMethod::CreditCard | PaymentMethod::AmazonPay => lang.t(
                        "お支払いの与信(仮売上)は取り消しました。ご請求はありません。",
                        "The payment authorisation was released; you will not be charged.",
                    ),
                    PaymentMethod::BankTransfer => {
                        lang.t("お振込みは不要です。", "No bank transfer is needed.")
                    }
                    PaymentMethod::Deferred | PaymentMethod::Cod => {
                        lang.t("お支払いは発生しません。", "Nothing is to be paid.")
                    }
                }
                .to_owned()
            };
            let _ = writeln!(b, "{note}");
            subject(
                lang,
                shop,
                "ご注文キャンセルのお知らせ",
                "Your order has been cancelled",
                order.number,
            )
        }
        MailKind::Refunded => {
            let amount = money_of(&data["amount"]);
            let _ = writeln!(
                b,
                "{}\n",
                lang.t(
                    "以下の金額を返金いたしました。",
                    "We have refunded the amount below."
                )
            );
            order_ref(&mut b, lang, order);
            let _ = writeln!(b, "{}: {}", lang.t("■返金額", "■ Refund"), yen(amount));
            let why = if data["return_id"].is_string() {
                lang.t("返品", "return")
            } else {
                lang.t("ご注文キャンセル", "order cancellation")
            };
            let _ = writeln!(b, "{}: {why}", lang.t("■返金理由", "■ For"));
            let _ = writeln!(
                b,
                "{}: {}",
                lang.t("■お支払方法", "■ Paid by"),
                method_text(lang, order.payment.method)
            );
            let _ = writeln!(
                b,
                "{}",
                lang.t(
                    "返金の反映時期はお支払方法によって異なります。",
                    "When the refund appears depends on the payment method."
                )
            );
            subject(
                lang,
                shop,
                "ご返金のお知らせ",
                "Refund issued",
                order.number,
            )
        }
    };
    footer(&mut b, lang, shop);
    Ok(Rendered { subject, body: b })
}

fn subject_confirmation(lang: Lang, shop: &ShopInfo, number: i64) -> String {
    subject(
        lang,
        shop,
        "ご注文ありがとうございます",
        "Thank you for your order",
        number,
    )
}

fn carrier_name(lang: Lang, c: juchu_domain::carrier::Carrier) -> &'static str {
    use juchu_domain::carrier::Carrier;
    match c {
        Carrier::Yamato => lang.t("ヤマト運輸", "Yamato Transport"),
        Carrier::Sagawa => lang.t("佐川急便", "Sagawa Express"),
        Carrier::Japanpost => lang.t("日本郵便", "Japan Post"),
        Carrier::Seino => lang.t("西濃運輸", "Seino Transportation"),
        Carrier::Fukuyama => lang.t("福山通運", "Fukuyama Transporting"),
        Carrier::Other => lang.t("その他", "Other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(Money::yen(0)), "¥0");
        assert_eq!(yen(Money::yen(540)), "¥540");
        assert_eq!(yen(Money::yen(4500)), "¥4,500");
        assert_eq!(yen(Money::yen(1_234_567)), "¥1,234,567");
        assert_eq!(yen(Money::yen(-1000)), "-¥1,000");
    }

    #[test]
    fn time_slots() {
        assert_eq!(time_slot_text(Lang::Ja, "0812"), "午前中");
        assert_eq!(time_slot_text(Lang::Ja, "1416"), "14時〜16時");
        assert_eq!(time_slot_text(Lang::En, "1921"), "19:00–21:00");
        assert_eq!(time_slot_text(Lang::Ja, "x"), "x");
    }
}
