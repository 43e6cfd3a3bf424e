//! One query of `bench search`, run two ways: over HTTP (`GET /api/v1/orders`, `/orders/counts`)
//! and — the baseline — as the SQL the store runs for it (`order_list.rs` of each backend), sent
//! directly with sqlx, 51 rows per page as the app asks for 50.

use crate::bench_util::Api;
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};
use juchu_domain::order::normalize_search;
use juchu_store::codec::like_pattern;
use serde_json::Value;
use std::time::{Duration, Instant};

const PAGE: i64 = 50;

#[derive(Clone, Default)]
pub struct Spec {
    pub kind: &'static str,
    pub status: Option<&'static str>,
    pub channel: Option<&'static str>,
    /// First and last day ordered (Asia/Tokyo), both included.
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub q: Option<String>,
    /// Sort by ordered_at (newest first) instead of by id.
    pub by_ordered_at: bool,
    /// Pages followed with the keyset cursor after the first one.
    pub pages: usize,
    /// `GET /api/v1/orders/counts` instead of the list.
    pub counts: bool,
}

impl Spec {
    pub fn q(kind: &'static str, q: &str) -> Spec {
        Spec {
            kind,
            q: Some(q.to_owned()),
            ..Spec::default()
        }
    }

    /// Over HTTP; one latency per page.
    pub async fn http(&self, api: &Api) -> anyhow::Result<Vec<Duration>> {
        if self.counts {
            let t = Instant::now();
            api.get("/api/v1/orders/counts").await?;
            return Ok(vec![t.elapsed()]);
        }
        let mut params: Vec<(&str, String)> = vec![("limit", PAGE.to_string())];
        let opt = |k, v: Option<String>| v.map(|v| (k, v));
        params.extend(opt("status", self.status.map(str::to_owned)));
        params.extend(opt("channel", self.channel.map(str::to_owned)));
        params.extend(opt("ordered_from", self.from.map(|d| d.to_string())));
        params.extend(opt("ordered_to", self.to.map(|d| d.to_string())));
        params.extend(opt("q", self.q.clone()));
        if self.by_ordered_at {
            params.push(("sort", "ordered_at".into()));
        }
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..=self.pages {
            let mut req = api
                .http
                .get(format!("{}/api/v1/orders", api.url))
                .query(&params);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let t = Instant::now();
            let resp = req.header("authorization", &api.auth).send().await?;
            let status = resp.status();
            let body: Value = resp.json().await?;
            out.push(t.elapsed());
            anyhow::ensure!(status.is_success(), "{}: {status}: {body}", self.kind);
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        Ok(out)
    }

    /// The store's SQL for one page, with the keyset cursor `(ordered_at or unused, id)` of the
    /// previous page's last row.
    fn sql(&self, sqlite: bool, after: Option<&(i64, String)>) -> (String, Vec<Bind>) {
        let mut sql = String::from("SELECT o.doc, o.ordered_at, o.id FROM orders o WHERE 1 = 1");
        let mut binds = Vec::new();
        let mut push = |sql: &mut String, text: &str, b: Bind| {
            binds.push(b);
            sql.push_str(&text.replace('?', &format!("${}", binds.len())));
        };
        if let Some(s) = self.status {
            push(&mut sql, " AND o.status = ?", Bind::Text(s.into()));
        }
        if let Some(c) = self.channel {
            push(&mut sql, " AND o.channel = ?", Bind::Text(c.into()));
        }
        if let Some(q) = &self.q {
            let q = normalize_search(q.trim());
            if sqlite && q.chars().count() >= 3 {
                let phrase = format!("\"{}\"", q.replace('"', "\"\""));
                push(
                    &mut sql,
                    " AND o.number IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)",
                    Bind::Text(phrase),
                );
            }
            push(
                &mut sql,
                " AND o.search LIKE ? ESCAPE '\\'",
                Bind::Text(like_pattern(&q)),
            );
        }
        let jst = |d: Date| {
            d.to_zoned(TimeZone::fixed(offset(9)))
                .map(|z| z.timestamp().as_microsecond())
                .unwrap_or(0)
        };
        if let Some(d) = self.from {
            push(&mut sql, " AND o.ordered_at >= ?", Bind::Int(jst(d)));
        }
        if let Some(d) = self.to.and_then(|d| d.tomorrow().ok()) {
            push(&mut sql, " AND o.ordered_at < ?", Bind::Int(jst(d)));
        }
        if let Some((key, id)) = after {
            if self.by_ordered_at {
                push(&mut sql, " AND (o.ordered_at, o.id) < (?", Bind::Int(*key));
                push(&mut sql, ", ?)", Bind::Text(id.clone()));
            } else {
                push(&mut sql, " AND o.id < ?", Bind::Text(id.clone()));
            }
        }
        sql.push_str(if self.by_ordered_at {
            " ORDER BY o.ordered_at DESC, o.id DESC"
        } else {
            " ORDER BY o.id DESC"
        });
        sql.push_str(&format!(" LIMIT {}", PAGE + 1));
        (sql, binds)
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

const COUNTS: &str = "SELECT status, COUNT(*) AS n FROM orders GROUP BY status";

/// Direct sqlx connections to the bench database.
pub enum Baseline {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

macro_rules! fetch {
    ($pool:expr, $sql:expr, $binds:expr) => {{
        let mut q = sqlx::query($sql);
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
            };
        }
        let rows = q.fetch_all($pool).await?;
        let last = rows.get(PAGE as usize).map(|_| &rows[PAGE as usize - 1]);
        let cursor: Option<(i64, String)> = match last {
            Some(r) => Some((
                sqlx::Row::try_get(r, "ordered_at")?,
                sqlx::Row::try_get(r, "id")?,
            )),
            None => None,
        };
        for r in &rows {
            let _: String = sqlx::Row::try_get(r, "doc")?;
        }
        cursor
    }};
}

impl Baseline {
    pub async fn connect(url: &str, c: usize) -> anyhow::Result<Baseline> {
        Ok(if url.starts_with("sqlite:") {
            Baseline::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(c as u32)
                    .connect(url)
                    .await?,
            )
        } else {
            Baseline::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(c as u32)
                    .connect(url)
                    .await?,
            )
        })
    }

    /// The spec's SQL; one latency per page.
    pub async fn run(&self, spec: &Spec) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::new();
        if spec.counts {
            let t = Instant::now();
            match self {
                Baseline::Sqlite(p) => drop(sqlx::query(COUNTS).fetch_all(p).await?),
                Baseline::Postgres(p) => drop(sqlx::query(COUNTS).fetch_all(p).await?),
            }
            return Ok(vec![t.elapsed()]);
        }
        let mut after = None;
        for _ in 0..=spec.pages {
            let sqlite = matches!(self, Baseline::Sqlite(_));
            let (sql, binds) = spec.sql(sqlite, after.as_ref());
            let t = Instant::now();
            after = match self {
                Baseline::Sqlite(p) => fetch!(p, &sql, binds),
                Baseline::Postgres(p) => fetch!(p, &sql, binds),
            };
            out.push(t.elapsed());
            if after.is_none() {
                break;
            }
        }
        Ok(out)
    }
}
