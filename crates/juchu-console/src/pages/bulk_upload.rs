//! Uploads of bulk work, each answered with a row-by-row result page:
//! - a tracking file (B2 issued data, e飛伝 re-export, ゆうプリR 発送履歴 or the simple CSV), every
//!   row shipped through `App::import_tracking` as the API's tracking import does;
//! - a Zengin bank statement, every deposit applied through `App::import_statement_rows`.
//!
//! Both are safe to send twice (a row already applied says so and changes nothing), so the result
//! is the answer to the POST itself rather than a redirect: it cannot be rebuilt afterwards.

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use crate::format::yen;
use crate::pages::view::code_of;
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use juchu_app::{AppError, RowResult, StatementOutcome, TrackingImport};
use juchu_domain::actor::roles;
use juchu_formats::TrackingFormat;

/// Largest upload, in MiB (the API takes 1 MiB per request; a month of labels or a bank's
/// statement file can be bigger). Said on the upload forms.
pub const UPLOAD_LIMIT_MIB: usize = 20;
const UPLOAD_LIMIT: usize = UPLOAD_LIMIT_MIB * 1024 * 1024;
/// Room for the other form fields and the multipart framing around the file.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The tracking formats the upload form offers: (format, label).
pub const TRACKING_FORMATS: [(&str, &str); 4] = [
    ("yamato-b2", "B2 発行済データ (ヤマト)"),
    ("sagawa-ehiden", "e飛伝 再出力 (佐川)"),
    ("japanpost-history", "ゆうプリR 発送履歴 (日本郵便)"),
    (
        "csv",
        "CSV: shipment_id,carrier,tracking_number[,shipped_at]",
    ),
];

pub fn router() -> Routes {
    Routes::default()
        .post("/bulk/tracking", tracking.layer(upload_limit()))
        .post("/bulk/bank", bank.layer(upload_limit()))
}

/// An upload's body may be larger than axum's default limit: the file and the form around it.
fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(UPLOAD_LIMIT + FORM_OVERHEAD)
}

/// The fields of an upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    format: String,
    file_name: String,
    file: Vec<u8>,
}

/// Reads the form, then checks its CSRF token before anything acts on the file.
async fn read_upload(page: &Page, mut mp: Multipart) -> Result<Upload, ConsoleError> {
    let mut up = Upload::default();
    while let Some(field) = mp.next_field().await.map_err(|e| unreadable(page, e))? {
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.map_err(|e| unreadable(page, e))?,
            Some("format") => up.format = field.text().await.map_err(|e| unreadable(page, e))?,
            Some("file") => {
                up.file_name = field.file_name().unwrap_or_default().to_owned();
                up.file = field
                    .bytes()
                    .await
                    .map_err(|e| unreadable(page, e))?
                    .to_vec();
            }
            _ => {}
        }
    }
    page.check_csrf(&up.csrf)?;
    if up.file.len() > UPLOAD_LIMIT {
        return Err(too_large(page));
    }
    if up.file.is_empty() {
        return Err(ConsoleError::BadRequest(
            page.t(
                "ファイルを選択してください(空のファイルは取り込めません)。",
                "Choose a file to upload (an empty file cannot be imported).",
            )
            .to_owned(),
        ));
    }
    Ok(up)
}

fn too_large(page: &Page) -> ConsoleError {
    ConsoleError::BadRequest(format!(
        "{} {UPLOAD_LIMIT_MIB} MiB",
        page.t(
            "ファイルが大きすぎます。上限:",
            "The file is too large. The limit is"
        )
    ))
}

fn unreadable(page: &Page, e: MultipartError) -> ConsoleError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(page)
    } else {
        ConsoleError::BadRequest(format!(
            "{}: {}",
            page.t(
                "アップロードを読めませんでした",
                "The upload could not be read"
            ),
            e.body_text()
        ))
    }
}

#[derive(Template)]
#[template(path = "bulk_tracking_result.html")]
struct TrackingResult {
    page: Page,
    file_name: String,
    format: String,
    /// The whole file was refused (nothing applied), and why.
    error: Option<String>,
    rows: Vec<TrackingRow>,
    shipped: usize,
    already: usize,
    delivered: usize,
    errors: usize,
}

struct TrackingRow {
    row: usize,
    shipment: String,
    /// `ok`, `same` (already applied) or `error`: the row's CSS class.
    class: &'static str,
    result: &'static str,
    message: String,
}

async fn tracking(
    State(s): State<ConsoleState>,
    page: Page,
    mp: Multipart,
) -> Result<Response, ConsoleError> {
    page.require(roles::SHIPPING)?;
    let up = read_upload(&page, mp).await?;
    let format = TrackingFormat::parse(&up.format).ok_or_else(|| {
        ConsoleError::BadRequest(format!(
            "{} `{}`",
            page.t("取込形式が不正です:", "Unknown file format:"),
            up.format
        ))
    })?;
    let label = TRACKING_FORMATS
        .iter()
        .find(|(f, _)| *f == up.format)
        .map_or(up.format.clone(), |(_, l)| (*l).to_owned());
    let imported = s
        .app
        .import_tracking(format, &up.file, &page.actor(), &mut |_, _| {})
        .await;
    let (status, error, import) = match imported {
        Ok(r) => (StatusCode::OK, None, r),
        Err(e @ (AppError::Store(_) | AppError::Busy)) => return Err(e.into()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(e.one_line()),
            TrackingImport {
                rows: vec![],
                summary: Default::default(),
            },
        ),
    };
    let rows = import
        .rows
        .iter()
        .map(|r| {
            let (class, result) = match r.result {
                RowResult::Shipped => ("ok", page.t("出荷済にしました", "shipped")),
                RowResult::Delivered => ("ok", page.t("着荷を記録しました", "delivered")),
                RowResult::AlreadyShipped => ("same", page.t("取込済み", "already applied")),
                RowResult::Error => ("error", page.t("エラー", "error")),
            };
            TrackingRow {
                row: r.row,
                shipment: r.shipment_id.map(|i| i.to_string()).unwrap_or_default(),
                class,
                result,
                message: r.message.clone(),
            }
        })
        .collect();
    let sum = &import.summary;
    let html = render(&TrackingResult {
        file_name: up.file_name,
        format: label,
        error,
        rows,
        shipped: sum.shipped,
        already: sum.already_shipped,
        delivered: sum.delivered,
        errors: sum.errors,
        page,
    })?;
    Ok((status, html).into_response())
}

#[derive(Template)]
#[template(path = "bulk_bank_result.html")]
struct BankResult {
    page: Page,
    file_name: String,
    error: Option<String>,
    rows: Vec<BankRow>,
    matched: usize,
    unmatched: usize,
    duplicates: usize,
    refused: usize,
}

struct BankRow {
    record: usize,
    account: String,
    date: String,
    amount: String,
    payer: String,
    class: &'static str,
    result: String,
    order_id: Option<String>,
}

async fn bank(
    State(s): State<ConsoleState>,
    page: Page,
    mp: Multipart,
) -> Result<Response, ConsoleError> {
    page.require(roles::PAYMENT_CONFIRM)?;
    let up = read_upload(&page, mp).await?;
    let (status, error, rows) = match s.app.import_statement_rows(&up.file, &mut |_, _| {}).await {
        Ok(rows) => (StatusCode::OK, None, rows),
        Err(e @ (AppError::Store(_) | AppError::Busy)) => return Err(e.into()),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Some(e.one_line()), vec![]),
    };
    let count = |f: fn(&StatementOutcome) -> bool| rows.iter().filter(|r| f(&r.outcome)).count();
    let matched = count(|o| matches!(o, StatementOutcome::Matched { .. }));
    let unmatched = count(|o| matches!(o, StatementOutcome::Unmatched));
    let duplicates = count(|o| matches!(o, StatementOutcome::Duplicate));
    let refused = count(|o| matches!(o, StatementOutcome::Refused(_)));
    let rows = rows
        .into_iter()
        .map(|r| {
            let (class, result, order_id) = match r.outcome {
                StatementOutcome::Matched {
                    order_id,
                    payment_status,
                } => (
                    "ok",
                    format!(
                        "{} ({})",
                        page.t("入金を記録しました", "applied"),
                        payment_status.map(|p| code_of(&p)).unwrap_or_default()
                    ),
                    Some(order_id),
                ),
                StatementOutcome::Unmatched => (
                    "warn",
                    page.t(
                        "該当する受注がありません(入金一覧に保留)",
                        "no order holds this account (kept for operators)",
                    )
                    .to_owned(),
                    None,
                ),
                StatementOutcome::Duplicate => (
                    "same",
                    page.t("取込済み", "already applied").to_owned(),
                    None,
                ),
                StatementOutcome::Refused(why) => (
                    "error",
                    format!("{}: {why}", page.t("エラー", "error")),
                    None,
                ),
            };
            BankRow {
                record: r.deposit.record,
                account: r.deposit.account,
                date: r.deposit.value_date,
                amount: yen(juchu_domain::Money::yen(r.deposit.amount)),
                payer: r.deposit.payer_name.unwrap_or_default(),
                class,
                result,
                order_id,
            }
        })
        .collect();
    let html = render(&BankResult {
        file_name: up.file_name,
        error,
        rows,
        matched,
        unmatched,
        duplicates,
        refused,
        page,
    })?;
    Ok((status, html).into_response())
}
