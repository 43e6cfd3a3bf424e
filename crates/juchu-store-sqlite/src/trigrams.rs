//! How common each trigram of a search term is in the search index (`orders_fts`), so that a
//! text search asks the index for its rarest trigrams only and lets the LIKE re-check the whole
//! term. FTS5 reads the doclist of every trigram it is given: for an e-mail, the trigrams of the
//! domain are in every order, while two or three of the local part narrow a million orders to a
//! handful.
//!
//! A trigram is counted by asking the index for it, up to [`COUNTED_UP_TO`] orders (~1 ms at
//! most; FTS5's `fts5vocab` reads the whole doclist, ~50 ms for a trigram in every order), and the
//! counts are kept for a few minutes. They steer the plan only: the candidates of any subset of
//! the term's trigrams include every match, and the LIKE decides.

use crate::db_err;
use juchu_store::Result;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long counts are kept: they change slowly, and only steer the plan.
const KEEP: Duration = Duration::from_secs(600);
/// Counts kept at most; the cache starts over beyond that.
const MAX_KEPT: usize = 20_000;
/// Orders a trigram is counted up to: more means "common", whatever the number.
const COUNTED_UP_TO: i64 = 20_000;
/// Trigrams the index is asked for at most.
const MAX_ASKED: usize = 3;

/// One trigram of a term: its first character's position and its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Trigram {
    pub at: usize,
    pub text: String,
    /// Orders whose search text holds it, up to [`COUNTED_UP_TO`].
    pub orders: i64,
}

/// The trigrams of `q` (three characters or more), each once, in order.
fn trigrams_of(q: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = q.chars().collect();
    let mut out: Vec<(usize, String)> = Vec::new();
    for (at, w) in chars.windows(3).enumerate() {
        let text: String = w.iter().collect();
        if !out.iter().any(|(_, t)| *t == text) {
            out.push((at, text));
        }
    }
    out
}

/// An FTS5 string: the text in double quotes, quotes doubled.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Trigram counts kept for a while.
#[derive(Default)]
pub(crate) struct TrigramCounts {
    kept: Mutex<(Option<Instant>, HashMap<String, i64>)>,
}

impl TrigramCounts {
    /// The trigrams of `q`, rarest first, each with its count of orders.
    pub(crate) async fn of(&self, pool: &SqlitePool, q: &str) -> Result<Vec<Trigram>> {
        let mut out = Vec::new();
        for (at, text) in trigrams_of(q) {
            let orders = match self.kept(&text) {
                Some(n) => n,
                None => {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM orders_fts WHERE orders_fts MATCH ?
                         LIMIT ?)",
                    )
                    .bind(quoted(&text))
                    .bind(COUNTED_UP_TO)
                    .fetch_one(pool)
                    .await
                    .map_err(db_err)?;
                    self.keep(&text, n);
                    n
                }
            };
            out.push(Trigram { at, text, orders });
        }
        out.sort_by_key(|t| t.orders);
        Ok(out)
    }

    fn kept(&self, text: &str) -> Option<i64> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match kept.0 {
            Some(since) if since.elapsed() < KEEP => kept.1.get(text).copied(),
            _ => None,
        }
    }

    fn keep(&self, text: &str, n: i64) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let stale = kept.0.is_none_or(|since| since.elapsed() >= KEEP);
        if stale || kept.1.len() >= MAX_KEPT {
            *kept = (Some(Instant::now()), HashMap::new());
        }
        kept.1.insert(text.to_owned(), n);
    }
}

/// Postings (orders × trigrams) up to which the index is asked for the whole term as a phrase:
/// FTS5 reads every posting of a phrase's trigrams (~20 ns each) but then returns only orders that
/// hold the whole term, each of which the LIKE re-checks by reading its row (~10 µs each).
const PHRASE_POSTINGS: i64 = 150_000;

/// The FTS5 query for `q`: the whole term as a phrase when its trigrams are rare enough in sum
/// ([`PHRASE_POSTINGS`]), else its rarest trigrams (at most [`MAX_ASKED`]) as quoted tokens
/// joined with AND, which reads a few short doclists and leaves more candidates to re-check (an
/// e-mail: ~100 of a million orders, where its phrase reads the domain's trigrams in every order).
/// `rarest` is sorted rarest first.
pub(crate) fn fts_query(q: &str, rarest: &[Trigram]) -> String {
    if rarest.iter().map(|t| t.orders).sum::<i64>() <= PHRASE_POSTINGS {
        return quoted(q);
    }
    rarest
        .iter()
        .take(MAX_ASKED)
        .map(|t| quoted(&t.text))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The share of orders expected to hold the whole term: the product of the shares of trigrams
/// that do not overlap (rarest first), as if they were independent. An estimate to choose a plan
/// with, not a bound.
pub(crate) fn expected_share(rarest: &[Trigram], orders: i64) -> f64 {
    let total = orders.max(1) as f64;
    let mut taken: Vec<usize> = Vec::new();
    let mut share = 1.0;
    for t in rarest {
        if taken.iter().all(|&a| a.abs_diff(t.at) >= 3) {
            taken.push(t.at);
            share *= (t.orders as f64 / total).min(1.0);
        }
    }
    share
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(at: usize, text: &str, orders: i64) -> Trigram {
        Trigram {
            at,
            text: text.into(),
            orders,
        }
    }

    #[test]
    fn trigrams_are_distinct_and_in_order() {
        let got: Vec<String> = trigrams_of("ababa").into_iter().map(|(_, t)| t).collect();
        assert_eq!(got, ["aba", "bab"]);
        assert!(trigrams_of("ab").is_empty());
    }

    #[test]
    fn a_term_of_common_trigrams_asks_for_the_rarest_three() {
        let r = [
            t(0, "a\"b", 1),
            t(4, "cde", 2),
            t(1, "xyz", 3),
            t(2, "zzz", PHRASE_POSTINGS),
        ];
        assert_eq!(fts_query("q", &r), "\"a\"\"b\" AND \"cde\" AND \"xyz\"");
    }

    #[test]
    fn a_term_of_rare_trigrams_is_asked_as_a_phrase() {
        let r = [t(0, "abc", 10), t(1, "bcd", 20)];
        assert_eq!(fts_query("ab\"cd", &r), "\"ab\"\"cd\"");
    }

    #[test]
    fn overlapping_trigrams_count_once_in_the_share() {
        // サトウ and トウハ overlap; サトウ and ハナコ do not.
        let r = [
            t(0, "サトウ", 100),
            t(1, "トウハ", 200),
            t(3, "ハナコ", 500),
        ];
        assert!((expected_share(&r, 1000) - 0.05).abs() < 1e-9);
    }
}
