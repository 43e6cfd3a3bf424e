//! Group commit. SQLite has one writer, so change sets queue for it anyway: a writer task takes
//! every change set waiting and applies them in one `BEGIN IMMEDIATE` transaction. A change set
//! that fails (a version conflict, too little stock) is left out and reported to its caller alone;
//! the others commit (see [`apply_group`]). Nobody hears "done" before the transaction holding
//! their change set has committed.

use crate::writer::db_err;
use juchu_store::{ChangeSet, Result, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use sqlx::SqlitePool;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The most change sets one transaction takes (bounds the time a caller waits behind others).
const MAX_GROUP: usize = 64;

type Request = (ChangeSet, oneshot::Sender<Result<()>>);

/// The handle commits go through; the writer task stops when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Request>,
}

impl GroupCommit {
    /// Starts the writer task. `conn` is the writer's own connection ([`crate::writer`]); `gate`
    /// is the store's write pool (one connection), held while a group is written so that the
    /// store's other writes (job claims, settings) queue for it in-process instead of meeting
    /// SQLite's file lock.
    pub(crate) fn start(gate: SqlitePool, conn: Connection) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(run(gate, Arc::new(Mutex::new(conn)), rx));
        GroupCommit { queue }
    }

    /// Applies `cs` in the next group and returns its own outcome once the group has committed.
    pub(crate) async fn commit(&self, cs: ChangeSet) -> Result<()> {
        let (done, outcome) = oneshot::channel();
        self.queue.send((cs, done)).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer task has stopped".into())
}

async fn run(gate: SqlitePool, conn: Arc<Mutex<Connection>>, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        metrics::histogram!("juchu_sqlite_group_size").record(group.len() as f64);
        let (sets, replies): (Vec<ChangeSet>, Vec<_>) = group.into_iter().unzip();
        let outcome = match gate.acquire().await {
            Ok(held) => {
                let conn = conn.clone();
                let written = tokio::task::spawn_blocking(move || {
                    let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                    apply_group(&mut conn, &sets)
                })
                .await;
                drop(held);
                written
                    .unwrap_or_else(|e| Err(StoreError::Backend(format!("the writer failed: {e}"))))
            }
            Err(e) => Err(crate::db_err(e)),
        };
        match outcome {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Backend(message.clone())));
                }
            }
        }
    }
}

/// One transaction for the group. `Err` when the transaction itself failed (nothing committed);
/// otherwise each change set's own outcome, in order.
///
/// First without savepoints: nearly every group commits whole. If one change set fails, that
/// attempt is rolled back entirely and the group is applied again with a savepoint around each
/// change set, so that only the failing one is left out.
fn apply_group(conn: &mut Connection, sets: &[ChangeSet]) -> Result<Vec<Result<()>>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let mut failed = false;
    for cs in sets {
        if let Err(e) = crate::commit::apply(&tx, cs) {
            if sets.len() == 1 {
                return Ok(vec![Err(e)]); // dropping `tx` rolls it back
            }
            failed = true;
            break;
        }
    }
    if !failed {
        tx.commit().map_err(db_err)?;
        return Ok(sets.iter().map(|_| Ok(())).collect());
    }
    tx.rollback().map_err(db_err)?;
    let mut tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let mut outcomes = Vec::with_capacity(sets.len());
    for cs in sets {
        let sp = tx.savepoint().map_err(db_err)?;
        let outcome = crate::commit::apply(&sp, cs);
        if outcome.is_ok() {
            sp.commit().map_err(db_err)?;
        } // else dropping `sp` rolls back to it and releases it
        outcomes.push(outcome);
    }
    tx.commit().map_err(db_err)?;
    Ok(outcomes)
}
