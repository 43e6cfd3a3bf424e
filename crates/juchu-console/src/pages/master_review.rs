//! 注文確認 master data: the blacklist (list, add, remove) and the review rules in force (shown to
//! every reader; edited by those who review orders). Role ORDER_REVIEW, as the API's
//! `/api/v1/blacklist` and `PUT /api/v1/review/rules`.

use crate::ctx::{ConsoleState, CsrfForm, Page};
use crate::error::ConsoleError;
use crate::format::jst;
use crate::pages::view::{after_post, number};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::review::{BlacklistKind, ReviewRules};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Routes {
    Routes::default()
        .get("/master/blacklist", blacklist)
        .post("/master/blacklist", add)
        .post("/master/blacklist/{id}/delete", remove)
        .get("/master/review", rules)
        .post("/master/review", save_rules)
}

const KINDS: [BlacklistKind; 4] = [
    BlacklistKind::Email,
    BlacklistKind::Phone,
    BlacklistKind::Address,
    BlacklistKind::CustomerId,
];

struct Entry {
    id: String,
    kind: &'static str,
    value: String,
    reason: String,
    created: String,
    by: String,
}

#[derive(Template)]
#[template(path = "master_blacklist.html")]
struct BlacklistPage {
    page: Page,
    entries: Vec<Entry>,
    kinds: Vec<&'static str>,
}

async fn blacklist(
    State(s): State<ConsoleState>,
    page: Page,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::ORDER_REVIEW)?;
    let entries = s
        .app
        .list_blacklist()
        .await?
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            kind: r.kind.as_str(),
            value: r.value,
            reason: r.reason,
            created: jst(r.created_at),
            by: r.created_by,
        })
        .collect();
    render(&BlacklistPage {
        page,
        entries,
        kinds: KINDS.iter().map(|k| k.as_str()).collect(),
    })
}

#[derive(Debug, Deserialize)]
struct AddForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
}

async fn add(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<AddForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::ORDER_REVIEW)?;
    let r = async {
        let kind = BlacklistKind::parse(&f.kind)
            .ok_or_else(|| AppError::invalid("kind", format!("`{}` is not a kind", f.kind)))?;
        let rec = s
            .app
            .add_blacklist(kind, &f.value, &f.reason, &page.actor())
            .await?;
        Ok(format!(
            "{} {} {}",
            page.t("ブラックリストに追加しました:", "Added to the blacklist:"),
            rec.kind.as_str(),
            rec.value
        ))
    }
    .await;
    after_post(&s, "/master/blacklist", r)
}

#[derive(Debug, Deserialize)]
struct NoFields {}

async fn remove(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    page.require(roles::ORDER_REVIEW)?;
    let r = s.app.delete_blacklist(&id).await;
    let msg = page.t(
        "ブラックリストから削除しました。",
        "Removed from the blacklist.",
    );
    after_post(&s, "/master/blacklist", r.map(|()| msg.to_owned()))
}

#[derive(Template)]
#[template(path = "master_review.html")]
struct RulesPage {
    page: Page,
    rules: ReviewRules,
    /// The optional amounts and day counts as form values (blank: off).
    high_amount: String,
    first_order_amount: String,
    max_units_per_sku: String,
    delivery_min_days: String,
    delivery_max_days: String,
    surcharges: String,
    remote_areas: Vec<(String, bool, usize)>,
}

fn opt(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The fraud screen's thresholds: operators only, as `GET /api/v1/review/rules` (a storefront acts
/// for customers and must not learn what puts an order on hold).
async fn rules(State(s): State<ConsoleState>, page: Page) -> Result<Html<String>, ConsoleError> {
    page.require(roles::ORDER_REVIEW)?;
    let rules = s.app.review_rules().await?;
    let surcharges = rules
        .surcharges
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let remote_areas = rules
        .remote_areas
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                a.hold,
                a.postal_ranges.len() + a.municipalities.len(),
            )
        })
        .collect();
    render(&RulesPage {
        high_amount: opt(rules.high_amount),
        first_order_amount: opt(rules.first_order_amount),
        max_units_per_sku: opt(rules.max_units_per_sku),
        delivery_min_days: opt(rules.delivery_min_days),
        delivery_max_days: opt(rules.delivery_max_days),
        surcharges,
        remote_areas,
        rules,
        page,
    })
}

/// The rules form: checkboxes are absent when off; blank numbers turn a rule off.
#[derive(Debug, Deserialize)]
struct RulesForm {
    notes: Option<String>,
    blacklist: Option<String>,
    billing_mismatch: Option<String>,
    address_check: Option<String>,
    #[serde(default)]
    high_amount: String,
    #[serde(default)]
    first_order_amount: String,
    #[serde(default)]
    max_units_per_sku: String,
    #[serde(default)]
    delivery_min_days: String,
    #[serde(default)]
    delivery_max_days: String,
    /// `area or prefecture=yen`, one per line.
    #[serde(default)]
    surcharges: String,
}

fn parse_surcharges(text: &str) -> Result<BTreeMap<String, i64>, AppError> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (area, amount) = line.split_once('=').ok_or_else(|| {
            AppError::invalid(
                "surcharges",
                format!("`{line}`: 「地域=金額」/ write `area=yen`"),
            )
        })?;
        let amount = number(&format!("surcharges[{}]", area.trim()), amount)?.unwrap_or(0);
        out.insert(area.trim().to_owned(), amount);
    }
    Ok(out)
}

async fn save_rules(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::ORDER_REVIEW)?;
    let r = async {
        // The remote areas are not on the form: they stay as they are.
        let current = s.app.review_rules().await?;
        let rules = ReviewRules {
            notes: f.notes.is_some(),
            blacklist: f.blacklist.is_some(),
            billing_mismatch: f.billing_mismatch.is_some(),
            address_check: f.address_check.is_some(),
            high_amount: number("high_amount", &f.high_amount)?,
            first_order_amount: number("first_order_amount", &f.first_order_amount)?,
            max_units_per_sku: number("max_units_per_sku", &f.max_units_per_sku)?,
            delivery_min_days: number("delivery_min_days", &f.delivery_min_days)?,
            delivery_max_days: number("delivery_max_days", &f.delivery_max_days)?,
            surcharges: parse_surcharges(&f.surcharges)?,
            remote_areas: current.remote_areas,
        };
        s.app.put_review_rules(&rules).await?;
        Ok(page
            .t("注文確認ルールを保存しました。", "Review rules saved.")
            .to_owned())
    }
    .await;
    after_post(&s, "/master/review", r)
}
