//! 注文確認 (DOMAIN.md §2.2): pure evaluation of the review rules against an order. The caller
//! (the receipt job) gathers what the rules need from storage — blacklist, the customer's earlier
//! orders, postal data — into a [`ReviewInput`]; this module decides the holds and the remote-area
//! surcharge, and [`Order::apply_review`] records them with events.

mod normalize;
mod rules;

pub use normalize::{BlacklistKind, normalize};
pub use rules::{PostalRange, RemoteArea, ReviewRules, default_remote_areas};

use crate::actor::Actor;
use crate::event::Event;
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::{Address, Hold, HoldCode, Order};
use crate::tax::Rounding;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;

/// A blacklist entry, its value already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlacklistEntry {
    pub id: String,
    pub kind: BlacklistKind,
    pub value: String,
    pub reason: String,
}

/// One row of the postal-code data (KEN_ALL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalEntry {
    pub code: String,
    /// JIS X0402 municipality code.
    pub jis: String,
    pub prefecture: String,
    pub city: String,
    pub town: String,
}

/// What the rules need besides the order.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    /// Shared: the receipt reads it once a second for every order (`juchu-app/src/master_cache.rs`).
    pub blacklist: std::sync::Arc<Vec<BlacklistEntry>>,
    /// Orders of the same customer before this one (`None`: not looked up).
    pub prior_orders: Option<i64>,
    /// Entries for the shipping postal code; `None` when no postal data is loaded.
    pub postal: Option<Vec<PostalEntry>>,
    /// The receipt day in Asia/Tokyo, for the delivery-date rules.
    pub today: Option<Date>,
}

/// One rule that fired: the hold it asks for, with a reason for the operator (Japanese first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: HoldCode,
    pub reason: String,
}

fn finding(code: HoldCode, reason: String) -> Finding {
    Finding { code, reason }
}

fn address_text(a: &Address) -> String {
    let mut s = format!("{}{}{}", a.prefecture, a.city, a.line1);
    s.push_str(a.line2.as_deref().unwrap_or(""));
    normalize(BlacklistKind::Address, &s)
}

/// The first remote area the shipping address is in.
pub fn remote_area<'r>(
    order: &Order,
    rules: &'r ReviewRules,
    postal: Option<&[PostalEntry]>,
) -> Option<&'r RemoteArea> {
    let code = order.shipping_address.postal_code.as_str();
    rules.remote_areas.iter().find(|a| {
        a.postal_ranges
            .iter()
            .any(|r| r.from.as_str() <= code && code <= r.to.as_str())
            || postal.is_some_and(|p| p.iter().any(|e| a.municipalities.contains(&e.jis)))
    })
}

/// The extra shipping fee for the address: its remote area's entry, else its prefecture's.
pub fn surcharge(order: &Order, rules: &ReviewRules, postal: Option<&[PostalEntry]>) -> Money {
    let area = remote_area(order, rules, postal).and_then(|a| rules.surcharges.get(&a.name));
    let yen = area
        .or_else(|| rules.surcharges.get(&order.shipping_address.prefecture))
        .copied()
        .unwrap_or(0);
    Money::yen(yen.max(0))
}

fn blacklist_hits(order: &Order, entries: &[BlacklistEntry]) -> Vec<String> {
    let c = &order.customer;
    let mut phones: Vec<&str> = c.phone.iter().map(String::as_str).collect();
    phones.extend(order.shipping_address.phone.as_deref());
    let mut addresses = vec![address_text(&order.shipping_address)];
    addresses.extend(order.billing_address.as_ref().map(address_text));
    let email = normalize(BlacklistKind::Email, &c.email);
    let customer_id =
        c.id.as_deref()
            .map(|id| normalize(BlacklistKind::CustomerId, id));
    entries
        .iter()
        .filter(|e| !e.value.is_empty())
        .filter(|e| match e.kind {
            BlacklistKind::Email => e.value == email,
            BlacklistKind::CustomerId => customer_id.as_deref() == Some(e.value.as_str()),
            BlacklistKind::Phone => phones
                .iter()
                .any(|p| normalize(BlacklistKind::Phone, p) == e.value),
            // An address entry matches any address that contains it, so "…1-2-3" also catches
            // "…1-2-3 ハイツ201".
            BlacklistKind::Address => addresses.iter().any(|a| a.contains(&e.value)),
        })
        .map(|e| format!("{}「{}」({})", e.kind.as_str(), e.value, e.reason))
        .collect()
}

fn same_place(a: &Address, b: &Address) -> bool {
    a.postal_code == b.postal_code && address_text(a) == address_text(b)
}

fn address_mismatch(a: &Address, postal: &[PostalEntry]) -> bool {
    let squash = |s: &str| normalize(BlacklistKind::Address, s);
    let city = squash(&a.city);
    !postal.iter().any(|e| {
        e.prefecture == a.prefecture && {
            let c = squash(&e.city);
            city.starts_with(&c) || c.starts_with(&city)
        }
    })
}

/// The holds the rules ask for, one per hold code.
pub fn evaluate(order: &Order, rules: &ReviewRules, input: &ReviewInput) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let total = order.totals.total.minor();
    if rules.notes && order.notes.as_deref().is_some_and(|n| !n.trim().is_empty()) {
        out.push(finding(
            HoldCode::Notes,
            "備考あり: 内容を確認してください / customer notes present".into(),
        ));
    }
    if let Some(area) = remote_area(order, rules, input.postal.as_deref())
        && area.hold
    {
        out.push(finding(
            HoldCode::RemoteArea,
            format!(
                "離島・遠隔地（{}）への配送: 配送可否と送料を確認してください / remote area",
                area.name
            ),
        ));
    }
    if rules.blacklist {
        let hits = blacklist_hits(order, &input.blacklist);
        if !hits.is_empty() {
            out.push(finding(
                HoldCode::Blacklist,
                format!("ブラックリスト一致: {} / blacklist match", hits.join("、")),
            ));
        }
    }
    if let Some(limit) = rules.high_amount.filter(|l| *l > 0)
        && total >= limit
    {
        out.push(finding(
            HoldCode::HighAmount,
            format!("高額注文: 合計 ¥{total}（基準 ¥{limit} 以上） / high amount"),
        ));
    }
    let mut suspicious = Vec::new();
    if let (Some(limit), Some(0)) = (
        rules.first_order_amount.filter(|l| *l > 0),
        input.prior_orders,
    ) && total >= limit
    {
        suspicious.push(format!("初回注文で高額（¥{total}）"));
    }
    if let Some(max) = rules.max_units_per_sku.filter(|m| *m > 0) {
        let mut per_sku: Vec<(&str, i64)> = Vec::new();
        for l in &order.lines {
            match per_sku.iter_mut().find(|(s, _)| *s == l.sku) {
                Some((_, q)) => *q += l.quantity,
                None => per_sku.push((&l.sku, l.quantity)),
            }
        }
        for (sku, q) in per_sku.into_iter().filter(|(_, q)| *q > max) {
            suspicious.push(format!("同一商品の大量注文（{sku} × {q}）"));
        }
    }
    if rules.billing_mismatch
        && let Some(b) = &order.billing_address
        && !same_place(b, &order.shipping_address)
    {
        suspicious.push("請求先と配送先が異なる".into());
    }
    if !suspicious.is_empty() {
        out.push(finding(
            HoldCode::Suspicious,
            format!(
                "不審なパターン: {} / suspicious pattern",
                suspicious.join("、")
            ),
        ));
    }
    if let (Some(today), Some(date)) = (input.today, order.delivery.as_ref().and_then(|d| d.date)) {
        let days = i64::from((date - today).get_days());
        let too_soon = rules.delivery_min_days.is_some_and(|m| days < m);
        let too_far = rules.delivery_max_days.is_some_and(|m| days > m);
        if too_soon || too_far {
            let what = if too_soon {
                "近すぎます"
            } else {
                "先すぎます"
            };
            out.push(finding(
                HoldCode::DeliveryDate,
                format!("お届け希望日 {date} が{what}（{days}日後） / delivery date out of range"),
            ));
        }
    }
    if rules.address_check
        && let Some(postal) = input.postal.as_deref()
        && address_mismatch(&order.shipping_address, postal)
    {
        let code = &order.shipping_address.postal_code;
        let reason = match postal.first() {
            None => format!("郵便番号 {code} が存在しません / unknown postal code"),
            Some(e) => format!(
                "住所と郵便番号が一致しません（{code} は {}{}） / address does not match its postal code",
                e.prefecture, e.city
            ),
        };
        out.push(finding(HoldCode::AddressMismatch, reason));
    }
    out
}

impl Order {
    /// Records the review: a surcharge raises the shipping fee (an event keeps the old and new
    /// totals), and each finding becomes a hold unless one with that code is already there.
    pub fn apply_review(
        &mut self,
        findings: &[Finding],
        surcharge: Money,
        rounding: Rounding,
        actor: &Actor,
        at: Timestamp,
    ) -> Effects {
        let mut fx = Effects::default();
        if surcharge > Money::ZERO {
            let old = self.totals.clone();
            let fee = old.shipping_fee + surcharge;
            self.totals = crate::totals::compute(
                &self.lines,
                fee,
                &self.fees,
                old.discount,
                old.points_used,
                rounding,
            );
            fx.events.push(Event::new(
                "order.shipping_fee_recalculated",
                actor,
                at,
                json!({"reason": "離島・遠隔地の送料加算 / remote-area surcharge",
                       "surcharge": surcharge,
                       "old_shipping_fee": old.shipping_fee, "new_shipping_fee": fee,
                       "old_total": old.total, "new_total": self.totals.total,
                       "old_totals": old, "new_totals": self.totals}),
            ));
        }
        for f in findings {
            if self.holds.iter().any(|h| h.code == f.code) {
                continue;
            }
            self.holds.push(Hold {
                code: f.code,
                reason: f.reason.clone(),
                placed_at: at,
            });
            fx.events.push(Event::new(
                "hold.placed",
                actor,
                at,
                json!({"code": f.code, "reason": f.reason, "rule": "review"}),
            ));
        }
        fx
    }
}
