//! A Zengin statement imported deposit by deposit, each with its own outcome, for the console's
//! row-by-row result page. Each deposit goes through `App::receive_deposit` like the API's import;
//! unlike it, one deposit an order refuses does not stop the rest (the refused one is still kept
//! for operators, as `receive_deposit` does).

use crate::zengin::{self, StatementDeposit};
use crate::{App, AppError};
use juchu_domain::payment::PaymentStatus;

/// What became of one deposit of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementOutcome {
    /// Applied to the order holding the account; its payment status afterwards.
    Matched {
        order_id: String,
        payment_status: Option<PaymentStatus>,
    },
    /// No order holds the account: stored for operators to match by hand.
    Unmatched,
    /// Imported before (this file or another): not counted again.
    Duplicate,
    /// The order refused the money (e.g. it was cancelled); the deposit is kept for operators.
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct StatementRow {
    pub deposit: StatementDeposit,
    pub outcome: StatementOutcome,
}

impl App {
    /// Imports every deposit of a statement file (種別 01 or 03, Shift_JIS or UTF-8). A file that
    /// does not fit the layout is refused whole before anything is applied. `progress` is told
    /// (done, total) after each deposit.
    pub async fn import_statement_rows(
        &self,
        bytes: &[u8],
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<Vec<StatementRow>, AppError> {
        let deposits = zengin::parse(bytes).map_err(|e| AppError::invalid("file", e))?;
        let total = deposits.len();
        let mut rows = Vec::with_capacity(total);
        for (i, dep) in deposits.into_iter().enumerate() {
            let outcome = match self
                .receive_deposit(crate::bank::statement_deposit(dep.clone()))
                .await
            {
                Ok(r) if r.duplicate => StatementOutcome::Duplicate,
                Ok(r) => match r.order_id {
                    Some(order_id) => StatementOutcome::Matched {
                        order_id,
                        payment_status: r.payment_status,
                    },
                    None => StatementOutcome::Unmatched,
                },
                // The database failing is not this row's fault: stop and say so.
                Err(e @ (AppError::Store(_) | AppError::Busy)) => return Err(e),
                Err(e) => StatementOutcome::Refused(e.one_line()),
            };
            rows.push(StatementRow {
                deposit: dep,
                outcome,
            });
            progress(i + 1, total);
        }
        Ok(rows)
    }
}
