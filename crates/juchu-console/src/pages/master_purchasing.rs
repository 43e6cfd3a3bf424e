//! Suppliers and purchase orders (仕入先・発注): the suppliers named by the SKUs, the purchase
//! orders (newest first, by supplier and status), one purchase order with its lines and history,
//! and its actions — create, send, cancel (role MASTER_WRITE: operators, as the API's purchase
//! order writes) and receive goods (role STOCK_WRITE: operators and warehouses, as the API's
//! receipts) — through the same App use cases as the API.

use crate::ctx::{ConsoleState, CsrfForm, Page};
use crate::error::{ConsoleError, urlencode};
use crate::format::jst;
use crate::pages::view::after_post;
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use juchu_app::{AppError, NewPurchaseOrder, PoLineRequest, PurchaseOrderQuery};
use juchu_domain::PurchaseOrderId;
use juchu_domain::actor::roles;
use juchu_domain::purchasing::{PoStatus, PurchaseOrder};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Routes {
    Routes::default()
        .get("/master/purchase-orders", list)
        .post("/master/purchase-orders", create)
        .get("/master/purchase-orders/{id}", detail)
        .post("/master/purchase-orders/{id}/send", send)
        .post("/master/purchase-orders/{id}/receive", receive)
        .post("/master/purchase-orders/{id}/cancel", cancel)
}

const LIST_LIMIT: i64 = 100;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    status: String,
}

struct Supplier {
    code: String,
    href: String,
    skus: usize,
    drop_ship: usize,
}

struct PoRow {
    id: String,
    created: String,
    supplier: String,
    warehouse: String,
    status: &'static str,
    lines: usize,
    ordered: i64,
    received: i64,
    order: Option<(String, i64)>,
}

impl From<&PurchaseOrder> for PoRow {
    fn from(po: &PurchaseOrder) -> Self {
        PoRow {
            id: po.id.to_string(),
            created: jst(po.created_at),
            supplier: po.supplier.clone(),
            warehouse: po.warehouse.clone(),
            status: po.status.as_str(),
            lines: po.lines.len(),
            ordered: po.lines.iter().map(|l| l.quantity).sum(),
            received: po.lines.iter().map(|l| l.received_quantity).sum(),
            order: po
                .order_id
                .zip(po.order_number)
                .map(|(id, n)| (id.to_string(), n)),
        }
    }
}

#[derive(Template)]
#[template(path = "master_purchase_orders.html")]
struct List {
    page: Page,
    supplier: String,
    status: String,
    statuses: Vec<&'static str>,
    suppliers: Vec<Supplier>,
    warehouses: Vec<String>,
    orders: Vec<PoRow>,
    can_write: bool,
}

async fn list(
    State(s): State<ConsoleState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let mut by_supplier: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for k in s.app.list_skus().await? {
        if let Some(code) = k.supplier {
            let e = by_supplier.entry(code).or_default();
            e.0 += 1;
            e.1 += usize::from(k.drop_ship);
        }
    }
    let orders = s
        .app
        .list_purchase_orders(PurchaseOrderQuery {
            supplier: Some(q.supplier.trim().to_owned()),
            status: Some(q.status.trim().to_owned()),
            order_id: None,
            limit: Some(LIST_LIMIT),
        })
        .await?;
    let can_write = page.can(roles::MASTER_WRITE);
    let warehouses = s
        .app
        .list_warehouses()
        .await?
        .into_iter()
        .map(|w| w.code)
        .collect();
    render(&List {
        page,
        supplier: q.supplier,
        status: q.status,
        statuses: PoStatus::ALL.iter().map(|x| x.as_str()).collect(),
        suppliers: by_supplier
            .into_iter()
            .map(|(code, (skus, drop_ship))| Supplier {
                href: urlencode(&code),
                code,
                skus,
                drop_ship,
            })
            .collect(),
        warehouses,
        orders: orders.iter().map(PoRow::from).collect(),
        can_write,
    })
}

fn po_id(id: &str) -> Result<PurchaseOrderId, ConsoleError> {
    id.parse()
        .map_err(|_| ConsoleError::NotFound(format!("purchase order {id}")))
}

#[derive(Template)]
#[template(path = "master_purchase_order.html")]
struct Detail {
    page: Page,
    po: PoRow,
    lines: Vec<Line>,
    history: Vec<(String, String, String)>,
    can_send: bool,
    can_receive: bool,
    can_cancel: bool,
}

struct Line {
    sku: String,
    name: String,
    quantity: i64,
    received: i64,
    open: i64,
}

async fn detail(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let po = s.app.purchase_order(po_id(&id)?).await?;
    let write = page.can(roles::MASTER_WRITE) && !po.drop_ship;
    let receiving = matches!(po.status, PoStatus::Sent | PoStatus::PartiallyReceived);
    render(&Detail {
        can_send: write && po.status == PoStatus::Draft,
        can_receive: page.can(roles::STOCK_WRITE) && receiving && !po.drop_ship,
        can_cancel: write && matches!(po.status, PoStatus::Draft | PoStatus::Sent),
        po: PoRow::from(&po),
        lines: po
            .lines
            .iter()
            .map(|l| Line {
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                received: l.received_quantity,
                open: (l.quantity - l.received_quantity).max(0),
            })
            .collect(),
        history: po
            .history
            .iter()
            .map(|e| (jst(e.at), e.kind.clone(), e.actor.label()))
            .collect(),
        page,
    })
}

/// New purchase order: one `SKU quantity` per line of `lines`.
#[derive(Debug, Deserialize)]
struct CreateForm {
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    warehouse: String,
    #[serde(default)]
    lines: String,
    #[serde(default)]
    send: Option<String>,
}

fn parse_lines(text: &str) -> Result<Vec<PoLineRequest>, AppError> {
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut parts = line.split(|c: char| c.is_whitespace() || c == ',');
        let sku = parts.next().unwrap_or_default().trim();
        let qty = parts.find(|p| !p.is_empty()).unwrap_or_default();
        let quantity = qty.parse().map_err(|_| {
            AppError::invalid(
                &format!("lines[{}]", i + 1),
                "「SKU 数量」で入力してください / write `SKU quantity`",
            )
        })?;
        out.push(PoLineRequest {
            sku: sku.to_owned(),
            quantity,
        });
    }
    Ok(out)
}

async fn create(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<CreateForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let created = async {
        let req = NewPurchaseOrder {
            supplier: f.supplier.trim().to_owned(),
            warehouse: f.warehouse.trim().to_owned(),
            lines: parse_lines(&f.lines)?,
            send: f.send.is_some(),
        };
        s.app.create_purchase_order(req, &page.actor()).await
    }
    .await;
    match created {
        Ok(po) => after_post(
            &s,
            &format!("/master/purchase-orders/{}", po.id),
            Ok(page
                .t("発注を作成しました。", "Purchase order created.")
                .to_owned()),
        ),
        Err(e) => after_post(&s, "/master/purchase-orders", Err(e)),
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct NoFields {}

async fn send(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let id = po_id(&id)?;
    let r = s.app.send_purchase_order(id, &page.actor()).await;
    let msg = page.t("発注を送信しました。", "Purchase order sent.");
    after_post(
        &s,
        &format!("/master/purchase-orders/{id}"),
        r.map(|_| msg.to_owned()),
    )
}

/// Goods arrived: `sku` and `quantity` repeated, one pair per line of the purchase order (blank
/// or 0: nothing of that line arrived).
#[derive(Debug, Deserialize)]
struct ReceiveForm {
    #[serde(default)]
    sku: Vec<String>,
    #[serde(default)]
    quantity: Vec<String>,
}

async fn receive(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReceiveForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::STOCK_WRITE)?;
    let id = po_id(&id)?;
    let r = async {
        let mut lines = Vec::new();
        for (sku, qty) in f.sku.iter().zip(&f.quantity) {
            if let Some(n) = crate::pages::view::number::<i64>(&format!("quantity[{sku}]"), qty)?
                && n != 0
            {
                lines.push((sku.clone(), n));
            }
        }
        s.app
            .receive_purchase_order(id, &lines, &page.actor())
            .await?;
        Ok(page
            .t("入荷を記録しました。", "Receipt recorded.")
            .to_owned())
    }
    .await;
    after_post(&s, &format!("/master/purchase-orders/{id}"), r)
}

#[derive(Debug, Deserialize)]
struct CancelForm {
    #[serde(default)]
    reason: String,
}

async fn cancel(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CancelForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let id = po_id(&id)?;
    let r = s
        .app
        .cancel_purchase_order(id, &f.reason, &page.actor())
        .await;
    let msg = page.t("発注を取り消しました。", "Purchase order cancelled.");
    after_post(
        &s,
        &format!("/master/purchase-orders/{id}"),
        r.map(|_| msg.to_owned()),
    )
}
