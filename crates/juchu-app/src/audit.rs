//! The audit log (docs/security.md): who did what, to what, with what outcome.
//!
//! Entries are queued in memory and written in batches by the server's audit writer
//! ([`App::run_audit_writer`]), so recording one costs a push, not a transaction: order intake
//! keeps its speed. Reading the log ([`App::audit_log`]) writes the queue first, so a process sees
//! its own entries at once. A crash loses at most the entries of the last fraction of a second.

use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::Actor;
use juchu_store::{AuditFilter, AuditRecord};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// A batch this big is written at once; smaller ones wait for the next tick.
const BATCH: usize = 512;
const TICK: Duration = Duration::from_millis(200);
/// Entries queued while the database cannot take them; beyond this new ones are dropped (and
/// counted in `juchu_audit_dropped_total`) rather than the process running out of memory.
const MAX_QUEUED: usize = 100_000;
/// Longer actor, action, target or request id values are cut (a path can be long).
const MAX_FIELD: usize = 300;

/// The queue of entries not yet written.
#[derive(Default)]
pub(crate) struct AuditQueue {
    pending: Mutex<Vec<AuditRecord>>,
    wake: Notify,
    /// One writer at a time, so entries reach the table in the order they were queued.
    writing: tokio::sync::Mutex<()>,
}

/// `GET /api/v1/audit`: exact matches on actor, action and target, a time range, a page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of the log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_FIELD) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn time(field: &str, v: Option<&str>) -> Result<Option<Timestamp>, AppError> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<Timestamp>().map_err(|_| {
                AppError::invalid(
                    field,
                    "must be an RFC 3339 time, e.g. 2026-04-01T00:00:00+09:00",
                )
            })
        })
        .transpose()
}

fn filled(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl App {
    /// Records that `actor` did `action` (a route template such as `POST /console/orders/{id}/cancel`
    /// or a named action such as `console.login`) to `target`, with `outcome` (the HTTP status
    /// answered). Never fails and never waits: the entry is written by the audit writer.
    pub fn audit(&self, actor: &Actor, action: &str, target: Option<&str>, outcome: u16) {
        self.audit_request(&actor.label(), action, target, outcome, None);
    }

    /// [`App::audit`] with the actor's label and the request id (the HTTP middleware).
    pub fn audit_request(
        &self,
        actor: &str,
        action: &str,
        target: Option<&str>,
        outcome: u16,
        request_id: Option<&str>,
    ) {
        let entry = AuditRecord {
            id: 0,
            at: self.now(),
            actor: cut(actor),
            action: cut(action),
            target: target.map(cut),
            outcome,
            request_id: request_id.map(cut),
        };
        let Ok(mut q) = self.audit.pending.lock() else {
            return;
        };
        if q.len() >= MAX_QUEUED {
            metrics::counter!("juchu_audit_dropped_total").increment(1);
            return;
        }
        q.push(entry);
        if q.len() >= BATCH {
            self.audit.wake.notify_one();
        }
    }

    /// Writes every queued entry now; returns how many. On failure they stay queued.
    pub async fn flush_audit(&self) -> Result<usize, AppError> {
        let _one = self.audit.writing.lock().await;
        let batch = match self.audit.pending.lock() {
            Ok(mut q) => std::mem::take(&mut *q),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        match self.store.append_audit(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                // Put them back in front of what came meanwhile, within the bound.
                if let Ok(mut q) = self.audit.pending.lock() {
                    let newer = std::mem::take(&mut *q);
                    *q = batch;
                    q.extend(newer);
                    let over = q.len().saturating_sub(MAX_QUEUED);
                    if over > 0 {
                        q.truncate(MAX_QUEUED);
                        metrics::counter!("juchu_audit_dropped_total").increment(over as u64);
                    }
                }
                Err(e.into())
            }
        }
    }

    /// Writes queued entries every fraction of a second (or as soon as a batch is full) until
    /// `stop`, then once more. `juchu serve` runs one; the HTTP layer only queues.
    pub async fn run_audit_writer(self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = self.audit.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            if let Err(e) = self.flush_audit().await {
                tracing::warn!(error = %e, "writing the audit log failed; will retry");
            }
        }
        if let Err(e) = self.flush_audit().await {
            tracing::warn!(error = %e, "writing the audit log at shutdown failed");
        }
    }

    /// A page of the audit log, newest first (after writing what is queued).
    pub async fn audit_log(&self, q: &AuditQuery) -> Result<AuditPage, AppError> {
        let limit = q.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 1000"));
        }
        let before_id = filled(&q.cursor)
            .map(|c| {
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| AppError::invalid("cursor", "not a cursor this API returned"))
            })
            .transpose()?;
        let filter = AuditFilter {
            actor: filled(&q.actor),
            action: filled(&q.action),
            target: filled(&q.target),
            from: time("from", q.from.as_deref())?,
            to: time("to", q.to.as_deref())?,
            before_id,
            limit,
        };
        self.flush_audit().await?;
        let items = self.store.audit_log(&filter).await?;
        let next_cursor = if items.len() as i64 == limit {
            items.last().map(|e| e.id.to_string())
        } else {
            None
        };
        Ok(AuditPage { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let s = "あ".repeat(400);
        assert_eq!(cut(&s).chars().count(), 300);
        assert_eq!(cut("short"), "short");
    }
}
