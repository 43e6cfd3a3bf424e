//! The order list: filters, sorts and keyset pages (`OrderFilter`), and counts for the console's
//! home. `q` goes through the FTS5 trigram index (`orders_fts`, migration 0011) when it has three
//! characters or more: the index is asked for the term as a phrase, or for its rarest trigrams
//! only when the phrase's trigrams are common ([`crate::trigrams`]); the LIKE on `search`
//! re-checks the candidates against the whole term.
//!
//! A text search whose trigrams are common enough to expect a page among the first [`WINDOW`]
//! rows of the list in its sort order (after the other filters) looks there first, with the LIKE
//! alone: a common term (a family name) fills its page there in a few milliseconds, where the
//! index would first list and sort every match. When the window is skipped or does not fill the
//! page, the index finds the candidates. Either way the page's ids are chosen first and only its
//! documents are read.

use crate::trigrams::{expected_share, fts_query};
use crate::{SqliteStore, db_err};
use juchu_domain::{HoldCode, Order};
use juchu_store::codec::{like_pattern, micros, order_from_json};
use juchu_store::{HoldFilter, OrderFilter, OrderSort, Result, StoreError};
use sqlx::{QueryBuilder, Row, Sqlite};

/// Rows of the list (in its sort order, after the other filters) a text search first looks at.
const WINDOW: i64 = 3_000;

/// How `q` takes part in a statement.
#[derive(Clone, Copy, PartialEq)]
enum Text<'a> {
    /// No `q`.
    Off,
    /// Under three characters: the LIKE alone.
    Like,
    /// The search index asked this FTS5 query, the LIKE re-checking its candidates.
    Index(&'a str),
    /// The LIKE over the first [`WINDOW`] rows only.
    Window,
}

impl SqliteStore {
    pub(crate) async fn list_orders_impl(&self, f: &OrderFilter) -> Result<Vec<Order>> {
        let docs = match &f.q {
            None => self.fetch_list(f, Text::Off).await?,
            Some(q) if q.chars().count() < 3 => self.fetch_list(f, Text::Like).await?,
            Some(q) => {
                let rarest = self.trigram_counts.of(&self.read, q).await?;
                let share = expected_share(&rarest, self.order_total().await?);
                let first = if share * WINDOW as f64 >= f.limit as f64 {
                    self.fetch_list(f, Text::Window).await?
                } else {
                    vec![]
                };
                if first.len() as i64 >= f.limit {
                    first
                } else {
                    self.fetch_list(f, Text::Index(&fts_query(q, &rarest)))
                        .await?
                }
            }
        };
        docs.iter().map(|d| order_from_json(d)).collect()
    }

    /// Orders in the store, from the counts migration 0014 keeps.
    async fn order_total(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(SUM(n), 0) FROM order_status_counts")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)
    }

    async fn fetch_list(&self, f: &OrderFilter, text: Text<'_>) -> Result<Vec<String>> {
        let key = match f.sort {
            OrderSort::Created => None,
            OrderSort::OrderedAt => Some("o.ordered_at"),
            OrderSort::Number => Some("o.number"),
            OrderSort::Total => Some("o.total"),
        };
        let k = key.unwrap_or("o.id");
        let (cmp, dir) = if f.ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        // The page's ids are chosen first; only its documents are read (`JOIN orders d`).
        let mut b: QueryBuilder<Sqlite> = if text == Text::Window {
            QueryBuilder::new(format!(
                "SELECT d.doc FROM (SELECT id, k FROM (SELECT o.id AS id, {k} AS k, o.search AS search FROM orders o WHERE 1 = 1"
            ))
        } else {
            QueryBuilder::new(format!(
                "SELECT d.doc FROM (SELECT o.id AS id, {k} AS k FROM orders o WHERE 1 = 1"
            ))
        };
        if let Some(s) = f.status {
            b.push(" AND o.status = ").push_bind(s.as_str());
        }
        if let Some(c) = &f.channel {
            b.push(" AND o.channel = ").push_bind(c.clone());
        }
        if let Some(q) = &f.q {
            if let Text::Index(m) = text {
                b.push(" AND o.number IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ")
                    .push_bind(m.to_owned())
                    .push(")");
            }
            if matches!(text, Text::Index(_) | Text::Like) {
                b.push(" AND o.search LIKE ")
                    .push_bind(like_pattern(q))
                    .push(" ESCAPE '\\'");
            }
        }
        if let Some(m) = f.payment_method {
            b.push(" AND o.payment_method = ").push_bind(m.as_str());
        }
        if let Some(s) = f.payment_status {
            b.push(" AND o.payment_status = ").push_bind(s.as_str());
        }
        match f.hold {
            None => {}
            Some(HoldFilter::None) => {
                b.push(" AND o.on_hold = 0");
            }
            Some(HoldFilter::Any) => {
                b.push(" AND o.on_hold = 1 AND o.status <> 'cancelled'");
            }
            Some(HoldFilter::Code(code)) => {
                b.push(" AND o.status <> 'cancelled' AND EXISTS (SELECT 1 FROM order_holds h WHERE h.order_id = o.id AND h.code = ")
                    .push_bind(code.as_str())
                    .push(")");
            }
        }
        if let Some(w) = &f.warehouse {
            b.push(" AND (EXISTS (SELECT 1 FROM allocations a WHERE a.order_id = o.id AND a.warehouse = ")
                .push_bind(w.clone())
                .push(") OR EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.warehouse = ")
                .push_bind(w.clone())
                .push("))");
        }
        if let Some(t) = f.ordered_from {
            b.push(" AND o.ordered_at >= ").push_bind(micros(t));
        }
        if let Some(t) = f.ordered_before {
            b.push(" AND o.ordered_at < ").push_bind(micros(t));
        }
        if let Some(after) = f.after {
            match key {
                None => b
                    .push(format!(" AND o.id {cmp} "))
                    .push_bind(after.id.to_string()),
                Some(k) => b
                    .push(format!(" AND ({k}, o.id) {cmp} ("))
                    .push_bind(after.key)
                    .push(", ")
                    .push_bind(after.id.to_string())
                    .push(")"),
            };
        }
        match key {
            None => b.push(format!(" ORDER BY o.id {dir}")),
            Some(k) => b.push(format!(" ORDER BY {k} {dir}, o.id {dir}")),
        };
        if let (Text::Window, Some(q)) = (text, &f.q) {
            b.push(" LIMIT ").push_bind(WINDOW);
            b.push(") w WHERE w.search LIKE ")
                .push_bind(like_pattern(q))
                .push(" ESCAPE '\\'");
            b.push(format!(" ORDER BY w.k {dir}, w.id {dir}"));
        }
        b.push(" LIMIT ").push_bind(f.limit);
        b.push(format!(
            ") t JOIN orders d ON d.id = t.id ORDER BY t.k {dir}, t.id {dir}"
        ));
        b.build_query_scalar()
            .fetch_all(&self.read)
            .await
            .map_err(db_err)
    }

    pub(crate) async fn count_holds_impl(&self) -> Result<Vec<(HoldCode, i64)>> {
        let rows = sqlx::query(
            "SELECT h.code, COUNT(*) AS n FROM order_holds h JOIN orders o ON o.id = h.order_id
             WHERE o.status <> 'cancelled' GROUP BY h.code",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("code").map_err(db_err)?;
                let code = HoldCode::parse(&code)
                    .ok_or_else(|| StoreError::Corrupt(format!("hold code {code}")))?;
                Ok((code, r.try_get("n").map_err(db_err)?))
            })
            .collect()
    }
}
