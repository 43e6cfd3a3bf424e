//! Bulk work (一括処理): shipping instructions for the orders selected in the order list (or every
//! ready order), the warehouse and carrier files of each batch, and (in `bulk_upload`) the uploads
//! of tracking files and bank statements. Everything goes through the same App use cases as the
//! API (`instruct_shipping`, `export_shipping`).

use crate::ctx::{ConsoleState, CsrfForm, Flash, Page};
use crate::error::ConsoleError;
use crate::format::jst;
use crate::pages::bulk_upload::{self, TRACKING_FORMATS, UPLOAD_LIMIT_MIB};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use juchu_app::{ExportFormat, InstructionResult};
use juchu_domain::actor::roles;
use juchu_domain::carrier::Carrier;
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{BatchId, OrderId};
use juchu_store::BatchSummary;
use serde::Deserialize;

pub fn router() -> Routes {
    Routes::default()
        .get("/bulk", landing)
        .post("/bulk/instruct", instruct)
        .get("/bulk/batches/{id}", batch)
        .get("/bulk/batches/{id}/export", export)
        .merge(bulk_upload::router())
}

/// The files a batch can be downloaded as: (format, label, file extension).
pub const FILES: [(&str, &str, &str); 6] = [
    ("yamato-b2", "B2 (ヤマト)", "csv"),
    ("sagawa-ehiden", "e飛伝 (佐川)", "csv"),
    ("japanpost-yupri", "ゆうプリR", "csv"),
    ("clickpost", "クリックポスト", "csv"),
    ("csv", "WMS CSV", "csv"),
    ("json", "WMS JSON", "json"),
];

/// How many batches the landing page lists.
const RECENT: i64 = 30;

#[derive(Template)]
#[template(path = "bulk.html")]
struct Landing {
    page: Page,
    can_ship: bool,
    can_bank: bool,
    warehouses: Vec<String>,
    batches: Vec<BatchRow>,
    files: &'static [(&'static str, &'static str, &'static str)],
    tracking_formats: &'static [(&'static str, &'static str)],
    limit_mib: usize,
}

struct BatchRow {
    id: String,
    created: String,
    warehouse: String,
    shipments: i64,
    shipped: i64,
}

impl From<BatchSummary> for BatchRow {
    fn from(b: BatchSummary) -> Self {
        BatchRow {
            id: b.batch.id.to_string(),
            created: jst(b.batch.created_at),
            warehouse: b.batch.warehouse,
            shipments: b.shipments,
            shipped: b.shipped,
        }
    }
}

async fn landing(State(s): State<ConsoleState>, page: Page) -> Result<Html<String>, ConsoleError> {
    let can_ship = page.can(roles::SHIPPING);
    let can_bank = page.can(roles::PAYMENT_CONFIRM);
    if !can_ship && !can_bank {
        page.require(roles::SHIPPING)?;
    }
    let (warehouses, batches) = if can_ship {
        let w = s.app.list_warehouses().await?;
        let b = s.app.recent_batches(RECENT).await?;
        (
            w.into_iter().map(|w| w.code).collect(),
            b.into_iter().map(BatchRow::from).collect(),
        )
    } else {
        (vec![], vec![])
    };
    render(&Landing {
        page,
        can_ship,
        can_bank,
        warehouses,
        batches,
        files: &FILES,
        tracking_formats: &TRACKING_FORMATS,
        limit_mib: UPLOAD_LIMIT_MIB,
    })
}

/// The order list's selection form (`order=<id>` repeated), or the landing page's "every ready
/// order" form (`all=1`, optionally one `warehouse`).
#[derive(Debug, Deserialize)]
struct InstructForm {
    #[serde(default)]
    order: Vec<String>,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    warehouse: Option<String>,
}

#[derive(Template)]
#[template(path = "bulk_instructed.html")]
struct Instructed {
    page: Page,
    rows: Vec<OrderResult>,
    batches: Vec<BatchResult>,
    files: &'static [(&'static str, &'static str, &'static str)],
    instructed: usize,
    refused: usize,
}

/// One selected order and what became of it.
struct OrderResult {
    /// `None` when the selection named something that is not an order id.
    order_id: Option<String>,
    label: String,
    /// Where it went (batch and warehouse), or why not.
    ok: bool,
    detail: String,
}

struct BatchResult {
    id: String,
    warehouse: String,
    orders: Vec<i64>,
}

async fn instruct(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<InstructForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::SHIPPING)?;
    let warehouse = f
        .warehouse
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty());
    let all = f.all.is_some();
    if !all && f.order.is_empty() {
        return Ok(s.redirect_flash(
            "/orders",
            Flash::error(page.t(
                "出荷指示する受注を選択してください。",
                "Select the orders to instruct first.",
            )),
        ));
    }
    let mut rows = Vec::new();
    let mut ids: Vec<OrderId> = Vec::new();
    for raw in &f.order {
        match raw.trim().parse::<OrderId>() {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => rows.push(OrderResult {
                order_id: None,
                label: raw.clone(),
                ok: false,
                detail: page.t("受注IDではありません", "not an order id").to_owned(),
            }),
        }
    }
    let result = s
        .app
        .instruct_shipping(warehouse, (!all).then_some(ids.as_slice()), &page.actor())
        .await?;
    let listed = if all { instructed_ids(&result) } else { ids };
    for id in listed {
        rows.push(order_result(&s, &page, &result, id).await?);
    }
    let instructed = rows.iter().filter(|r| r.ok).count();
    let refused = rows.len() - instructed;
    let batches = result
        .batches
        .iter()
        .map(|b| BatchResult {
            id: b.id.to_string(),
            warehouse: b.warehouse.clone(),
            orders: b.shipments.iter().map(|x| x.order_number).collect(),
        })
        .collect();
    let html = render(&Instructed {
        page,
        rows,
        batches,
        files: &FILES,
        instructed,
        refused,
    })?;
    Ok(html.into_response())
}

/// Every order that got a shipment, in batch order (for "every ready order").
fn instructed_ids(r: &InstructionResult) -> Vec<OrderId> {
    let mut out: Vec<OrderId> = Vec::new();
    for s in r.batches.iter().flat_map(|b| &b.shipments) {
        if !out.contains(&s.order_id) {
            out.push(s.order_id);
        }
    }
    out
}

async fn order_result(
    s: &ConsoleState,
    page: &Page,
    r: &InstructionResult,
    id: OrderId,
) -> Result<OrderResult, ConsoleError> {
    let into: Vec<String> = r
        .batches
        .iter()
        .filter(|b| b.shipments.iter().any(|x| x.order_id == id))
        .map(|b| b.warehouse.clone())
        .collect();
    let number = r
        .batches
        .iter()
        .flat_map(|b| &b.shipments)
        .find(|x| x.order_id == id)
        .map(|x| x.order_number);
    let number = match number {
        Some(n) => Some(n),
        None => s
            .app
            .store
            .get_order(id)
            .await
            .map_err(juchu_app::AppError::from)?
            .map(|o| o.number),
    };
    let label = number.map_or_else(|| id.to_string(), |n| format!("#{n}"));
    let order_id = Some(id.to_string());
    if !into.is_empty() {
        return Ok(OrderResult {
            order_id,
            label,
            ok: true,
            detail: format!(
                "{} {}",
                page.t("出荷指示済:", "instructed:"),
                into.join(", ")
            ),
        });
    }
    let reason = r
        .skipped
        .iter()
        .find(|k| k.order_id == id.to_string())
        .map(|k| k.reason.clone())
        .unwrap_or_else(|| {
            page.t("出荷指示できませんでした", "not instructed")
                .to_owned()
        });
    Ok(OrderResult {
        order_id,
        label,
        ok: false,
        detail: reason,
    })
}

#[derive(Template)]
#[template(path = "bulk_batch.html")]
struct BatchPage {
    page: Page,
    id: String,
    warehouse: String,
    created: String,
    shipments: Vec<ShipmentRow>,
    files: &'static [(&'static str, &'static str, &'static str)],
}

struct ShipmentRow {
    order_id: String,
    order_number: i64,
    ship_to: String,
    status: &'static str,
    shipped: bool,
    carrier: String,
    tracking: String,
    tracking_url: Option<String>,
}

fn batch_id(id: &str) -> Result<BatchId, ConsoleError> {
    id.parse()
        .map_err(|_| ConsoleError::NotFound(format!("shipping instruction {id}")))
}

async fn batch(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::SHIPPING)?;
    let (batch, orders) = s.app.batch_with_orders(batch_id(&id)?).await?;
    let mut shipments = Vec::new();
    for o in &orders {
        for sh in o.shipments.iter().filter(|x| x.batch_id == Some(batch.id)) {
            shipments.push(ShipmentRow {
                order_id: o.id.to_string(),
                order_number: o.number,
                ship_to: o.shipping_address.name.clone(),
                status: sh.status.as_str(),
                shipped: matches!(
                    sh.status,
                    ShipmentStatus::Shipped | ShipmentStatus::Delivered
                ),
                carrier: sh.carrier.map(carrier_name).unwrap_or_default().to_owned(),
                tracking: sh.tracking_number.clone().unwrap_or_default(),
                tracking_url: sh.tracking_url.clone(),
            });
        }
    }
    render(&BatchPage {
        page,
        id: batch.id.to_string(),
        warehouse: batch.warehouse,
        created: jst(batch.created_at),
        shipments,
        files: &FILES,
    })
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// The file of a batch, as the API's `GET /api/v1/shipping-instructions/{id}/export` writes it,
/// offered as a download named after the carrier, warehouse and time of the batch.
async fn export(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ConsoleError> {
    page.require(roles::SHIPPING)?;
    let name = q.format.unwrap_or_else(|| "json".to_owned());
    let format = ExportFormat::parse(&name)?;
    let id = batch_id(&id)?;
    let bytes = s.app.export_shipping(id, format).await?;
    let (batch, _) = s.app.batch_with_orders(id).await?;
    let ext = FILES
        .iter()
        .find(|(f, _, _)| *f == name)
        .map_or("txt", |(_, _, e)| *e);
    let stamp = batch
        .created_at
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .strftime("%Y%m%d-%H%M")
        .to_string();
    let file = format!("{name}_{}_{stamp}.{ext}", safe(&batch.warehouse));
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// A warehouse code as part of a file name: letters, digits, `-` and `_` only.
fn safe(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A carrier as the warehouse calls it.
fn carrier_name(c: Carrier) -> &'static str {
    match c {
        Carrier::Yamato => "ヤマト運輸",
        Carrier::Sagawa => "佐川急便",
        Carrier::Japanpost => "日本郵便",
        Carrier::Seino => "西濃運輸",
        Carrier::Fukuyama => "福山通運",
        Carrier::Other => "other",
    }
}
