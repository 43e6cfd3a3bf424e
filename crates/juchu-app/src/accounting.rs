//! The accounting journal (仕訳帳): entries read back from the revenue events that carry them
//! (`order.recognized`, `revenue.reversed`), named with the shop's accounts, and written as JSON
//! or as 弥生 / freee / マネーフォワード import files; and a summary per tax rate.

use crate::{App, AppError};
use jiff::civil::Date;
use juchu_domain::journal::{AccountKind, JournalEntry, Side};
use juchu_domain::{Money, TaxRate};
use juchu_formats::{AccountingConfig, JournalRow, Posting};
use serde::Serialize;
use serde_json::json;

/// The events whose data hold a journal entry (`order.recognized` held the whole order's before
/// revenue was booked per shipment).
const JOURNAL_EVENTS: [&str; 3] = ["revenue.recognized", "order.recognized", "revenue.reversed"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFormat {
    Json,
    /// 弥生会計 仕訳日記帳 (Shift_JIS, no header).
    Yayoi,
    /// freee 取引 (Shift_JIS).
    Freee,
    /// マネーフォワード クラウド会計 仕訳帳 (Shift_JIS).
    MoneyForward,
}

impl JournalFormat {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "json" => Ok(JournalFormat::Json),
            "yayoi" => Ok(JournalFormat::Yayoi),
            "freee" => Ok(JournalFormat::Freee),
            "moneyforward" => Ok(JournalFormat::MoneyForward),
            other => Err(AppError::invalid(
                "format",
                format!("`{other}` is not available; use json, yayoi, freee or moneyforward"),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            JournalFormat::Json => "application/json",
            _ => "text/csv; charset=Shift_JIS",
        }
    }
}

/// Sales, tax and sales without tax for one rate over a period (reversals subtracted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RateSummary {
    pub rate: TaxRate,
    /// Tax-inclusive.
    pub sales: Money,
    pub tax: Money,
    /// sales − tax.
    pub net: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JournalSummary {
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub sale_entries: usize,
    pub reversal_entries: usize,
    pub debits: Money,
    pub credits: Money,
    pub rates: Vec<RateSummary>,
}

/// `YYYY-MM-DD`, or an error naming the parameter.
pub fn parse_date(field: &str, s: &str) -> Result<Date, AppError> {
    s.parse::<Date>()
        .map_err(|_| AppError::invalid(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
}

/// The first and last day of `YYYY-MM`.
pub fn month_range(s: &str) -> Result<(Date, Date), AppError> {
    let bad = || AppError::invalid("month", format!("`{s}` is not a month (YYYY-MM)"));
    let first = format!("{s}-01").parse::<Date>().map_err(|_| bad())?;
    Ok((first, first.last_of_month()))
}

fn tokyo() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC)
}

impl App {
    /// Entries dated `from ..= to` (Asia/Tokyo), in the order they were booked.
    pub async fn journal(&self, from: Date, to: Date) -> Result<Vec<JournalEntry>, AppError> {
        if to < from {
            return Err(AppError::invalid(
                "to",
                format!("{to} is before from ({from})"),
            ));
        }
        let start = from
            .to_zoned(tokyo())
            .map_err(|e| AppError::invalid("from", e.to_string()))?
            .timestamp();
        let end = to
            .tomorrow()
            .and_then(|d| d.to_zoned(tokyo()))
            .map_err(|e| AppError::invalid("to", e.to_string()))?
            .timestamp();
        let events = self
            .store
            .events_of_kinds(&JOURNAL_EVENTS, start, end)
            .await?;
        events
            .into_iter()
            .filter_map(|r| r.event.data.get("journal").cloned())
            .map(|v| {
                serde_json::from_value::<JournalEntry>(v).map_err(|e| {
                    AppError::Store(juchu_store::StoreError::Corrupt(format!(
                        "a journal entry in the event history cannot be read: {e}"
                    )))
                })
            })
            .collect()
    }

    /// The journal as a file or JSON document.
    pub async fn export_journal(
        &self,
        from: Date,
        to: Date,
        format: JournalFormat,
    ) -> Result<Vec<u8>, AppError> {
        let entries = self.journal(from, to).await?;
        let cfg = &self.accounting;
        let rows: Vec<JournalRow> = entries.iter().map(|e| journal_row(cfg, e)).collect();
        Ok(match format {
            JournalFormat::Yayoi => juchu_formats::write_yayoi(&rows)?,
            JournalFormat::Freee => juchu_formats::write_freee(&rows, &cfg.receivable)?,
            JournalFormat::MoneyForward => juchu_formats::write_moneyforward(&rows)?,
            JournalFormat::Json => {
                let doc = json!({
                    "from": from,
                    "to": to,
                    "entries": entries.iter().zip(&rows).map(|(e, r)| entry_json(e, r)).collect::<Vec<_>>(),
                    "summary": summarize(from, to, &entries),
                });
                serde_json::to_vec_pretty(&doc)
                    .map_err(|e| AppError::invalid("format", e.to_string()))?
            }
        })
    }

    /// Sales and tax per rate over `from ..= to`: what the month's 消費税 return starts from.
    pub async fn journal_summary(&self, from: Date, to: Date) -> Result<JournalSummary, AppError> {
        let entries = self.journal(from, to).await?;
        Ok(summarize(from, to, &entries))
    }
}

fn summarize(from: Date, to: Date, entries: &[JournalEntry]) -> JournalSummary {
    let mut rates: Vec<RateSummary> = Vec::new();
    for e in entries {
        for (rate, sales, tax) in e.sales_by_rate() {
            match rates.iter_mut().find(|r| r.rate == rate) {
                Some(r) => {
                    r.sales += sales;
                    r.tax += tax;
                }
                None => rates.push(RateSummary {
                    rate,
                    sales,
                    tax,
                    net: Money::ZERO,
                }),
            }
        }
    }
    for r in &mut rates {
        r.net = r.sales - r.tax;
    }
    rates.sort_by_key(|r| std::cmp::Reverse(r.rate));
    let count = |k| entries.iter().filter(|e| e.kind == k).count();
    JournalSummary {
        from,
        to,
        sale_entries: count(juchu_domain::journal::EntryKind::Sale),
        reversal_entries: count(juchu_domain::journal::EntryKind::Reversal),
        debits: entries.iter().map(JournalEntry::debits).sum(),
        credits: entries.iter().map(JournalEntry::credits).sum(),
        rates,
    }
}

fn posting(
    cfg: &AccountingConfig,
    e: &JournalEntry,
    l: &juchu_domain::journal::JournalLine,
) -> Posting {
    let (account, sub_account) = match l.account {
        AccountKind::Receivable => (
            cfg.receivable.clone(),
            cfg.receivable_sub_accounts
                .get(&e.payment_method)
                .cloned()
                .unwrap_or_default(),
        ),
        AccountKind::Sales => (cfg.sales.clone(), String::new()),
        AccountKind::ShippingRevenue => (cfg.shipping.clone(), cfg.shipping_sub_account.clone()),
        AccountKind::PointsUsed => (cfg.points.clone(), String::new()),
    };
    let tax_category = match l.rate {
        Some(TaxRate::Standard10) => cfg.tax_category_10.clone(),
        Some(TaxRate::Reduced8) => cfg.tax_category_8.clone(),
        None => cfg.tax_category_none.clone(),
    };
    Posting {
        account,
        sub_account,
        tax_category,
        amount: l.amount.minor(),
        tax: l.rate.map(|_| l.tax.minor()),
    }
}

fn journal_row(cfg: &AccountingConfig, e: &JournalEntry) -> JournalRow {
    let side = |s: Side| {
        e.lines
            .iter()
            .filter(|l| l.side == s)
            .map(|l| posting(cfg, e, l))
            .collect()
    };
    JournalRow {
        reference: format!("#{}", e.order_number),
        date: e.date,
        memo: e.memo.clone(),
        debits: side(Side::Debit),
        credits: side(Side::Credit),
    }
}

fn entry_json(e: &JournalEntry, r: &JournalRow) -> serde_json::Value {
    let lines = |s: Side, postings: &[Posting]| {
        e.lines
            .iter()
            .filter(|l| l.side == s)
            .zip(postings)
            .map(|(l, p)| {
                json!({"side": l.side, "account_kind": l.account, "account": p.account,
                       "sub_account": p.sub_account, "tax_category": p.tax_category,
                       "rate": l.rate, "amount": l.amount, "tax": l.tax})
            })
            .collect::<Vec<_>>()
    };
    let mut all = lines(Side::Debit, &r.debits);
    all.extend(lines(Side::Credit, &r.credits));
    json!({"kind": e.kind, "date": e.date, "order_number": e.order_number,
           "payment_method": e.payment_method, "memo": e.memo, "lines": all,
           "debits": e.debits(), "credits": e.credits()})
}

/// A closed month (月次締め) with its summary as it stood at closing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthCloseView {
    pub month: String,
    #[schema(value_type = String, format = DateTime)]
    pub closed_at: jiff::Timestamp,
    pub closed_by: String,
    pub summary: JournalSummary,
}

impl App {
    /// 月次締め: records the month's summary as closed. The month must have ended (Asia/Tokyo);
    /// closing it again is refused.
    pub async fn close_month(
        &self,
        month: &str,
        actor: &juchu_domain::Actor,
    ) -> Result<MonthCloseView, AppError> {
        let (from, to) = month_range(month)?;
        let today = self.now().to_zoned(tokyo()).date();
        if to >= today {
            return Err(AppError::invalid(
                "month",
                format!(
                    "{month} has not ended yet (it closes from {})",
                    to.tomorrow().unwrap_or(to)
                ),
            ));
        }
        let summary = self.journal_summary(from, to).await?;
        let record = juchu_store::MonthClose {
            month: month.to_owned(),
            closed_at: self.now(),
            closed_by: actor.label(),
            summary: serde_json::to_string(&summary)
                .map_err(|e| AppError::invalid("month", e.to_string()))?,
        };
        if !self.store.close_month(&record).await? {
            return Err(AppError::InvalidTransition {
                status: None,
                detail: format!("{month} is closed already"),
            });
        }
        Ok(MonthCloseView {
            month: record.month,
            closed_at: record.closed_at,
            closed_by: record.closed_by,
            summary,
        })
    }

    /// The closed months, newest first.
    pub async fn month_closes(&self) -> Result<Vec<MonthCloseView>, AppError> {
        self.store
            .month_closes()
            .await?
            .into_iter()
            .map(|c| {
                let summary = serde_json::from_str(&c.summary).map_err(|e| {
                    AppError::Store(juchu_store::StoreError::Corrupt(format!(
                        "the summary of closed month {} cannot be read: {e}",
                        c.month
                    )))
                })?;
                Ok(MonthCloseView {
                    month: c.month,
                    closed_at: c.closed_at,
                    closed_by: c.closed_by,
                    summary,
                })
            })
            .collect()
    }

    /// The `accounting.close` job: closes the month before the current one (unless closed), then
    /// schedules itself for the next month's close day.
    pub(crate) async fn run_month_close(&self) -> Result<(), AppError> {
        let today = self.now().to_zoned(tokyo()).date();
        let previous = today.first_of_month().yesterday().unwrap_or(today);
        let month = format!("{:04}-{:02}", previous.year(), previous.month());
        let actor = juchu_domain::Actor::system("accounting.close");
        match self.close_month(&month, &actor).await {
            Ok(_) | Err(AppError::InvalidTransition { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Makes sure the monthly close is scheduled (`month_close_day` of the policies; 0 = off).
    pub async fn schedule_month_close(&self) -> Result<(), AppError> {
        let Some(job) = month_close_job(self) else {
            return Ok(());
        };
        let cs = juchu_store::ChangeSet {
            jobs: vec![job],
            ..juchu_store::ChangeSet::default()
        };
        Ok(self.store.commit(cs).await?)
    }
}

/// The next `accounting.close` job: at 00:00 Asia/Tokyo on `month_close_day` of the next month
/// (or of this month, when that is still ahead).
pub(crate) fn month_close_job(app: &App) -> Option<juchu_store::NewJob> {
    let day = i8::try_from(app.policies.month_close_day)
        .ok()
        .filter(|d| (1..=28).contains(d))?;
    let now = app.now().to_zoned(tokyo());
    let this = now.date().first_of_month().with().day(day).build().ok()?;
    let due = if this > now.date() {
        this
    } else {
        this.checked_add(jiff::Span::new().months(1)).ok()?
    };
    let at = due.to_zoned(tokyo()).ok()?.timestamp();
    Some(juchu_store::NewJob {
        kind: "accounting.close".into(),
        payload: json!({"month_close_day": day}),
        available_at: at,
        dedupe_key: Some(format!("accounting.close:{due}")),
    })
}
