//! Master data (マスタ): the landing page, the read-only view of the active policies, and the
//! sub-pages' routers (SKUs, warehouses and stock, suppliers and purchase orders, blacklist and
//! review rules). Writes need the same roles as the API's.

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use crate::pages::{master_purchasing, master_review, master_skus, master_stock};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use juchu_domain::actor::roles;
use juchu_domain::bank::BankPolicy;
use juchu_domain::policy::Policies;
use juchu_domain::review::ReviewRules;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

pub fn router() -> Routes {
    Routes::default()
        .get("/master", landing)
        .get("/master/policies", policies)
        .merge(master_skus::router())
        .merge(master_stock::router())
        .merge(master_purchasing::router())
        .merge(master_review::router())
}

#[derive(Template)]
#[template(path = "master.html")]
struct Landing {
    page: Page,
    can_review: bool,
}

async fn landing(page: Page) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let can_review = page.can(roles::ORDER_REVIEW);
    render(&Landing { page, can_review })
}

#[derive(Template)]
#[template(path = "master_policies.html")]
struct PoliciesPage {
    page: Page,
    rows: Vec<PolicyRow>,
    can_review: bool,
}

pub struct PolicyRow {
    pub key: String,
    pub value: String,
    pub description: String,
}

async fn policies(State(s): State<ConsoleState>, page: Page) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let mut rows = policy_rows(&s.app.policies);
    // The review rules are the fraud screen's thresholds: only for those who may see them on
    // `/master/review` (ORDER_REVIEW), like the API's `GET /api/v1/review/rules`.
    let can_review = page.can(roles::ORDER_REVIEW);
    if !can_review {
        rows.retain(|r| !r.key.starts_with("review."));
    }
    render(&PoliciesPage {
        page,
        rows,
        can_review,
    })
}

/// Every policy key (sections as `bank.pool_bank`) with its value in force and the description
/// written on its field in the code (the same text the OpenAPI schema carries), so the view
/// cannot drift from what the keys mean. Secrets are not serialised, so they never show.
pub fn policy_rows(p: &Policies) -> Vec<PolicyRow> {
    let top = descriptions(Policies::schema());
    let sections = BTreeMap::from([
        ("bank", descriptions(BankPolicy::schema())),
        ("review", descriptions(ReviewRules::schema())),
    ]);
    let Ok(Value::Object(values)) = serde_json::to_value(p) else {
        return vec![];
    };
    let mut rows = Vec::new();
    for (key, value) in values {
        match (sections.get(key.as_str()), value) {
            (Some(inner), Value::Object(fields)) => {
                for (k, v) in fields {
                    rows.push(PolicyRow {
                        key: format!("{key}.{k}"),
                        value: shown(&v),
                        description: inner.get(&k).cloned().unwrap_or_default(),
                    });
                }
            }
            (_, v) => rows.push(PolicyRow {
                description: top.get(&key).cloned().unwrap_or_default(),
                key,
                value: shown(&v),
            }),
        }
    }
    rows
}

/// A value as the config file would say it.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Field name → its doc comment, on one line.
fn descriptions(schema: RefOr<Schema>) -> BTreeMap<String, String> {
    let RefOr::T(Schema::Object(o)) = schema else {
        return BTreeMap::new();
    };
    o.properties
        .into_iter()
        .filter_map(|(k, s)| description(&s).map(|d| (k, one_line(&d))))
        .collect()
}

/// A field's description; a field whose type is another schema carries it on the reference,
/// which utoipa wraps in a one-item `oneOf` when the field has a default.
fn description(s: &RefOr<Schema>) -> Option<String> {
    let (own, items) = match s {
        RefOr::Ref(r) => (Some(r.description.clone()), &[][..]),
        RefOr::T(Schema::Object(o)) => (o.description.clone(), &[][..]),
        RefOr::T(Schema::Array(a)) => (a.description.clone(), &[][..]),
        RefOr::T(Schema::AllOf(a)) => (a.description.clone(), &a.items[..]),
        RefOr::T(Schema::OneOf(a)) => (a.description.clone(), &a.items[..]),
        RefOr::T(Schema::AnyOf(a)) => (a.description.clone(), &a.items[..]),
        RefOr::T(_) => (None, &[][..]),
    };
    own.filter(|d| !d.trim().is_empty())
        .or_else(|| items.iter().find_map(description))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_has_a_value_and_a_description() {
        let rows = policy_rows(&Policies::default());
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        for k in [
            "tax_rounding",
            "customer_cancel_before",
            "bank.pool_bank",
            "review.high_amount",
            "points_rate_percent",
        ] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        assert!(!keys.contains(&"bank.webhook_secret"), "secrets never show");
        let missing: Vec<&str> = rows
            .iter()
            .filter(|r| r.description.is_empty())
            .map(|r| r.key.as_str())
            .collect();
        assert!(missing.is_empty(), "no description: {missing:?}");
        let row = rows.iter().find(|r| r.key == "bank_transfer_due_days");
        assert_eq!(row.map(|r| r.value.as_str()), Some("7"));
    }
}
