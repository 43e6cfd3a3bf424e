//! 注文確認 use cases: the review rules (stored in the database so that every process sees the same
//! rules; the policies file gives the initial value), the blacklist, postal data, and gathering
//! what the pure rules (`juchu_domain::review`) need for one order at receipt.

use crate::{App, AppError};
use jiff::tz::TimeZone;
use juchu_domain::lifecycle::Effects;
use juchu_domain::review::{
    BlacklistEntry, BlacklistKind, PostalEntry, ReviewInput, ReviewRules, normalize,
};
use juchu_domain::{Actor, FieldError, Order};
use juchu_store::BlacklistRecord;

const RULES: &str = "review_rules";

/// Everything the receipt job needs to review one order.
#[derive(Debug, Clone)]
pub struct Review {
    /// Shared with the master-data cache, as is the input's blacklist.
    pub rules: std::sync::Arc<ReviewRules>,
    pub input: ReviewInput,
}

/// A 7-digit postal code from `1000001` or `100-0001` (also full-width), or `None`.
pub fn postal_code(s: &str) -> Option<String> {
    let digits = normalize(BlacklistKind::Phone, s);
    let plain: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－' | 'ー' | '〒'))
        .collect();
    (digits.len() == 7 && normalize(BlacklistKind::Address, &plain) == digits).then_some(digits)
}

impl App {
    /// The rules in force: the stored ones, else the policies file's.
    pub async fn review_rules(&self) -> Result<ReviewRules, AppError> {
        match self.store.get_setting(RULES).await? {
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                AppError::Store(juchu_store::StoreError::Corrupt(format!(
                    "stored review rules: {e}"
                )))
            }),
            None => Ok(self.policies.review.clone()),
        }
    }

    /// Replaces the rules for every process; a rule set with any problem is refused whole.
    pub async fn put_review_rules(&self, rules: &ReviewRules) -> Result<(), AppError> {
        let problems = rules.problems();
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems
                    .into_iter()
                    .map(|(f, m)| FieldError::new(&f, m))
                    .collect(),
            ));
        }
        let text =
            serde_json::to_string(rules).map_err(|e| AppError::invalid("rules", e.to_string()))?;
        self.store.put_setting(RULES, &text, self.now()).await?;
        self.master.review_rules.clear();
        Ok(())
    }

    pub async fn add_blacklist(
        &self,
        kind: BlacklistKind,
        value: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<BlacklistRecord, AppError> {
        let value = normalize(kind, value);
        if value.is_empty() || value.chars().count() > 500 {
            return Err(AppError::invalid(
                "value",
                "must not be empty after normalisation (and at most 500 characters)",
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid("reason", "at most 1000 characters"));
        }
        let entry = BlacklistRecord {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            value,
            reason: reason.trim().to_owned(),
            created_at: self.now(),
            created_by: crate::orders::actor_label(actor),
        };
        let inserted = self.store.insert_blacklist(&entry).await;
        self.master.blacklist.clear();
        match inserted {
            Ok(()) => Ok(entry),
            Err(juchu_store::StoreError::Conflict(why)) => Err(AppError::InvalidTransition {
                status: None,
                detail: why,
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_blacklist(&self) -> Result<Vec<BlacklistRecord>, AppError> {
        Ok(self.store.list_blacklist().await?)
    }

    pub async fn delete_blacklist(&self, id: &str) -> Result<(), AppError> {
        let deleted = self.store.delete_blacklist(id).await;
        self.master.blacklist.clear();
        if deleted? {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("blacklist entry {id}")))
        }
    }

    /// The postal data for a code; `NotFound` when the code is unknown or nothing is loaded.
    pub async fn postal_lookup(&self, code: &str) -> Result<Vec<PostalEntry>, AppError> {
        let code = postal_code(code)
            .ok_or_else(|| AppError::invalid("code", "must be 7 digits, e.g. 1000001"))?;
        let rows = self.store.postal_lookup(&code).await?;
        if rows.is_empty() {
            return Err(AppError::NotFound(format!("postal code {code}")));
        }
        Ok(rows)
    }

    /// Reads what the rules need for `order`; only the lookups an enabled rule uses.
    pub(crate) async fn prepare_review(&self, order: &Order) -> Result<Review, AppError> {
        let rules = self
            .master
            .review_rules
            .get_or_load(|| self.review_rules())
            .await?;
        let blacklist = if rules.blacklist {
            self.master
                .blacklist
                .get_or_load(|| async {
                    Ok::<_, AppError>(
                        self.store
                            .list_blacklist()
                            .await?
                            .into_iter()
                            .map(|r| BlacklistEntry {
                                id: r.id,
                                kind: r.kind,
                                value: r.value,
                                reason: r.reason,
                            })
                            .collect(),
                    )
                })
                .await?
        } else {
            Default::default()
        };
        let prior_orders = match rules.first_order_amount {
            Some(limit) if order.totals.total.minor() >= limit => {
                let c = &order.customer;
                let n = self
                    .store
                    .customer_order_count(c.id.as_deref(), &c.email)
                    .await?;
                // The count includes this order.
                Some((n - 1).max(0))
            }
            _ => None,
        };
        // Only "loaded" is kept: postal data imported by `juchu import postal` (another process)
        // counts from the next order on.
        let postal_loaded = *self
            .master
            .postal_loaded
            .get_or_load(|| async { Ok::<_, AppError>(self.store.postal_loaded().await?) })
            .await?;
        if !postal_loaded {
            self.master.postal_loaded.clear();
        }
        let postal = if postal_loaded {
            Some(
                self.store
                    .postal_lookup(&order.shipping_address.postal_code)
                    .await?,
            )
        } else {
            None
        };
        let today = self
            .now()
            .to_zoned(TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC))
            .date();
        Ok(Review {
            rules,
            input: ReviewInput {
                blacklist,
                prior_orders,
                postal,
                today: Some(today),
            },
        })
    }
}

impl App {
    /// The review for the order a receipt job works on (`None` when it is past receipt).
    pub(crate) async fn review_for(&self, o: &Order) -> Result<Option<Review>, AppError> {
        if o.status == juchu_domain::OrderStatus::Received {
            Ok(Some(self.prepare_review(o).await?))
        } else {
            Ok(None)
        }
    }
}

/// Runs the review on the order at receipt, before the payment is authorised so that a
/// remote-area surcharge is part of the authorised amount.
pub(crate) fn apply(o: &mut Order, review: Option<&Review>, app: &App, actor: &Actor) -> Effects {
    let Some(r) = review else {
        return Effects::default();
    };
    let postal = r.input.postal.as_deref();
    let findings = juchu_domain::review::evaluate(o, &r.rules, &r.input);
    let extra = juchu_domain::review::surcharge(o, &r.rules, postal);
    o.apply_review(
        &findings,
        extra,
        app.policies.tax_rounding,
        actor,
        app.now(),
    )
}

/// The review's effects first, then the receipt's.
pub(crate) fn merge(mut first: Effects, then: Effects) -> Effects {
    first.events.extend(then.events);
    first.stock.extend(then.stock);
    first.points.extend(then.points);
    first
}
