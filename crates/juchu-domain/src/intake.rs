//! Parsing a new order at the edge: every field checked, every problem reported at once.

use crate::error::FieldError;
use crate::ids::{LineId, OrderId};
use crate::money::{Currency, Money};
use crate::order::{Address, Customer, Delivery, Fee, Line, Order, Points};
use crate::payment::{Payment, PaymentMethod};
use crate::status::OrderStatus;
use crate::tax::{Rounding, TaxRate};
use crate::totals;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

/// The body of `POST /api/v1/orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewOrder {
    pub channel: String,
    pub external_id: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ordered_at: Option<Timestamp>,
    pub customer: Customer,
    pub shipping_address: Address,
    pub billing_address: Option<Address>,
    pub lines: Vec<NewLine>,
    pub shipping_fee: Option<i64>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    pub discount: Option<i64>,
    pub points_used: Option<i64>,
    pub payment: NewPayment,
    pub delivery: Option<Delivery>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewLine {
    pub sku: String,
    pub quantity: i64,
    /// Tax-inclusive unit price in yen.
    pub unit_price: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPayment {
    pub method: PaymentMethod,
    /// Card: the gateway token (required unless `authorization_id` is given).
    pub card_token: Option<String>,
    /// Card: an authorisation the storefront already made.
    pub authorization_id: Option<String>,
    /// Amazon Pay: the charge permission.
    pub charge_permission_id: Option<String>,
}

/// What intake needs to know about a SKU.
#[derive(Debug, Clone)]
pub struct SkuInfo {
    pub name: String,
    pub tax_rate: TaxRate,
}

/// The 47 prefectures, for checking addresses.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

const MAX_LINES: usize = crate::limits::MAX_ORDER_LINES;
const MAX_QUANTITY: i64 = 100_000;
const MAX_PRICE: i64 = 100_000_000;

struct Checker(Vec<FieldError>);

impl Checker {
    fn fail(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.0.push(FieldError::new(field, msg));
    }

    fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
    }

    fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.fail(field, format!("must be at most {max} characters"));
        }
    }

    fn amount(&mut self, field: &str, value: Option<i64>) -> Money {
        match value {
            Some(v) if !(0..=MAX_PRICE * MAX_QUANTITY).contains(&v) => {
                self.fail(field, "must be zero or a positive amount in yen");
                Money::ZERO
            }
            Some(v) => Money::yen(v),
            None => Money::ZERO,
        }
    }

    fn address(&mut self, prefix: &str, a: &Address) -> Address {
        self.text(&format!("{prefix}.name"), &a.name, 100);
        self.text(&format!("{prefix}.city"), &a.city, 100);
        self.text(&format!("{prefix}.line1"), &a.line1, 200);
        self.opt_text(&format!("{prefix}.line2"), a.line2.as_deref(), 200);
        self.opt_text(&format!("{prefix}.phone"), a.phone.as_deref(), 20);
        if !PREFECTURES.contains(&a.prefecture.trim()) {
            self.fail(
                format!("{prefix}.prefecture"),
                format!(
                    "`{}` is not one of the 47 prefectures (e.g. 東京都)",
                    a.prefecture
                ),
            );
        }
        let postal = normalize_postal_code(&a.postal_code);
        if postal.is_none() {
            self.fail(
                format!("{prefix}.postal_code"),
                "must be 7 digits, as 1000001 or 100-0001",
            );
        }
        Address {
            postal_code: postal.unwrap_or_default(),
            prefecture: a.prefecture.trim().to_owned(),
            ..a.clone()
        }
    }
}

/// Checks an address as intake does; returns it normalised (postal code without hyphen), or every
/// problem with its field under `prefix`.
pub fn check_address(prefix: &str, a: &Address) -> Result<Address, Vec<FieldError>> {
    let mut c = Checker(Vec::new());
    let out = c.address(prefix, a);
    if c.0.is_empty() { Ok(out) } else { Err(c.0) }
}

/// Limits of a line, shared by intake and modification.
pub fn check_line(field: &str, quantity: i64, unit_price: i64) -> Vec<FieldError> {
    let mut out = Vec::new();
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        out.push(FieldError::new(
            format!("{field}.quantity"),
            format!("must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    if !(1..=MAX_PRICE).contains(&unit_price) {
        out.push(FieldError::new(
            format!("{field}.unit_price"),
            format!("must be between 1 and {MAX_PRICE} yen"),
        ));
    }
    out
}

/// `100-0001`, `1000001` or full-width digits → `1000001`.
pub fn normalize_postal_code(s: &str) -> Option<String> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '－' | 'ー' | '‐'))
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            _ => c,
        })
        .collect();
    (digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// Turns a request into a new order in `received`, or lists every invalid field.
pub fn build_order(
    input: &NewOrder,
    sku: impl Fn(&str) -> Option<SkuInfo>,
    number: i64,
    now: Timestamp,
    rounding: Rounding,
) -> Result<Order, Vec<FieldError>> {
    let mut c = Checker(Vec::new());
    c.text("channel", &input.channel, 64);
    c.text("external_id", &input.external_id, 128);
    c.text("customer.name", &input.customer.name, 100);
    c.opt_text("customer.kana", input.customer.kana.as_deref(), 100);
    c.opt_text("customer.id", input.customer.id.as_deref(), 128);
    c.opt_text("customer.phone", input.customer.phone.as_deref(), 20);
    let locale = input.customer.locale.trim().to_ascii_lowercase();
    if !crate::order::LOCALES.contains(&locale.as_str()) {
        c.fail("customer.locale", "must be `ja` or `en`");
    }
    c.opt_text("notes", input.notes.as_deref(), 2000);
    let email = input.customer.email.trim();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        c.fail("customer.email", "must be an e-mail address");
    }
    let shipping_address = c.address("shipping_address", &input.shipping_address);
    let billing_address = input
        .billing_address
        .as_ref()
        .map(|a| c.address("billing_address", a));

    if input.lines.is_empty() {
        c.fail("lines", "an order needs at least one line");
    } else if input.lines.len() > MAX_LINES {
        c.fail("lines", format!("at most {MAX_LINES} lines"));
    }
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            c.fail(
                format!("lines[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            );
        }
        if !(1..=MAX_PRICE).contains(&l.unit_price) {
            c.fail(
                format!("lines[{i}].unit_price"),
                format!("must be between 1 and {MAX_PRICE} yen"),
            );
        }
        match sku(&l.sku) {
            None => c.fail(
                format!("lines[{i}].sku"),
                format!("unknown SKU `{}`", l.sku),
            ),
            Some(info) => lines.push(Line {
                id: LineId::new(),
                sku: l.sku.clone(),
                name: info.name,
                quantity: l.quantity,
                unit_price: Money::yen(l.unit_price),
                tax_rate: info.tax_rate,
                allocated_quantity: 0,
                shipped_quantity: 0,
                returned_quantity: 0,
            }),
        }
    }
    let shipping_fee = c.amount("shipping_fee", input.shipping_fee);
    let discount = c.amount("discount", input.discount);
    let points_used = c.amount("points_used", input.points_used);
    for (i, f) in input.fees.iter().enumerate() {
        c.text(&format!("fees[{i}].kind"), &f.kind, 32);
        c.amount(&format!("fees[{i}].amount"), Some(f.amount.minor()));
    }
    let mut payment = Payment::new(input.payment.method);
    match input.payment.method {
        PaymentMethod::CreditCard => {
            if input.payment.card_token.is_none() && input.payment.authorization_id.is_none() {
                c.fail(
                    "payment.card_token",
                    "a card payment needs card_token or authorization_id",
                );
            }
            payment.card_token = input.payment.card_token.clone();
            payment.authorization_id = input.payment.authorization_id.clone();
        }
        PaymentMethod::AmazonPay => {
            if input.payment.charge_permission_id.is_none() {
                c.fail(
                    "payment.charge_permission_id",
                    "Amazon Pay needs the charge permission id",
                );
            }
            payment.authorization_id = input.payment.charge_permission_id.clone();
        }
        PaymentMethod::BankTransfer | PaymentMethod::Deferred | PaymentMethod::Cod => {}
    }
    if !c.0.is_empty() {
        return Err(c.0);
    }
    let totals = totals::compute(
        &lines,
        shipping_fee,
        &input.fees,
        discount,
        points_used,
        rounding,
    );
    if totals.total.is_negative() {
        return Err(vec![FieldError::new(
            "discount",
            "discount and points_used exceed the order amount",
        )]);
    }
    Ok(Order {
        id: OrderId::new(),
        number,
        channel: input.channel.trim().to_owned(),
        external_id: input.external_id.trim().to_owned(),
        status: OrderStatus::Received,
        version: 1,
        parent_id: None,
        ordered_at: input.ordered_at.unwrap_or(now),
        currency: Currency::Jpy,
        priority: 0,
        holds: Vec::new(),
        customer: Customer {
            email: email.to_owned(),
            locale,
            ..input.customer.clone()
        },
        shipping_address,
        billing_address,
        delivery: input.delivery.clone(),
        notes: input.notes.clone().filter(|n| !n.trim().is_empty()),
        lines,
        fees: input.fees.clone(),
        totals,
        payment,
        allocations: Vec::new(),
        shipments: Vec::new(),
        points: Points::default(),
        returns: Vec::new(),
        cancel_request: None,
        created_at: now,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes() {
        assert_eq!(
            normalize_postal_code("100-0001").as_deref(),
            Some("1000001")
        );
        assert_eq!(
            normalize_postal_code("１００－０００１").as_deref(),
            Some("1000001")
        );
        assert_eq!(normalize_postal_code("10000"), None);
        assert_eq!(normalize_postal_code("abcdefg"), None);
    }
}
