//! 受注一覧 (`GET /orders`): search, filters, sort and keyset pages over `App::list_orders` (the
//! same query as the API's `GET /api/v1/orders`), and the selection form whose checked rows post
//! to `POST /bulk/instruct`.

use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use crate::format::{jst, yen};
use crate::i18n::{Lang, hold_label, payment_method_label, payment_status_label, status_label};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use juchu_app::{AppError, OrderListParams, OrderSort};
use juchu_domain::payment::{PaymentMethod, PaymentStatus};
use juchu_domain::{HoldCode, Order, OrderStatus, Role};

pub fn router() -> Routes {
    Routes::default().get("/orders", list)
}

/// Rows per page unless the form asks for another size.
const PAGE: i64 = 50;

/// An `<option>` of a filter.
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

fn opts<I: IntoIterator<Item = (String, String)>>(current: Option<&str>, items: I) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: current == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

struct Row {
    id: String,
    number: i64,
    ordered_at: String,
    status_code: &'static str,
    status: &'static str,
    customer: String,
    kana: String,
    channel: String,
    external_id: String,
    payment: &'static str,
    payment_status: &'static str,
    total: String,
    holds: Vec<(&'static str, &'static str)>,
    warehouses: String,
}

fn row(lang: Lang, o: &Order) -> Row {
    let mut warehouses: Vec<&str> = o
        .allocations
        .iter()
        .map(|a| a.warehouse.as_str())
        .chain(o.shipments.iter().map(|s| s.warehouse.as_str()))
        .collect();
    warehouses.sort_unstable();
    warehouses.dedup();
    Row {
        id: o.id.to_string(),
        number: o.number,
        ordered_at: jst(o.ordered_at),
        status_code: o.status.as_str(),
        status: status_label(lang, o.status),
        customer: o.customer.name.clone(),
        kana: o.customer.kana.clone().unwrap_or_default(),
        channel: o.channel.clone(),
        external_id: o.external_id.clone(),
        payment: payment_method_label(lang, o.payment.method),
        payment_status: payment_status_label(lang, o.payment.status),
        total: yen(o.totals.total),
        holds: o
            .holds
            .iter()
            .map(|h| (h.code.as_str(), hold_label(lang, h.code)))
            .collect(),
        warehouses: warehouses.join(", "),
    }
}

/// A sortable column header: its link and `aria-sort`.
struct SortLink {
    href: String,
    aria: &'static str,
    arrow: &'static str,
}

#[derive(Template)]
#[template(path = "orders_list.html")]
struct ListPage {
    page: Page,
    p: OrderListParams,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    statuses: Vec<Opt>,
    methods: Vec<Opt>,
    payment_statuses: Vec<Opt>,
    holds: Vec<Opt>,
    warehouses: Vec<Opt>,
    sorts: Vec<Opt>,
    directions: Vec<Opt>,
    by_number: SortLink,
    by_ordered: SortLink,
    by_total: SortLink,
    can_instruct: bool,
}

/// `/orders?…` with these parameters (empty ones left out).
fn href(p: &OrderListParams) -> String {
    let mut p = p.clone();
    for f in [
        &mut p.status,
        &mut p.channel,
        &mut p.q,
        &mut p.payment_method,
        &mut p.payment_status,
        &mut p.hold,
        &mut p.warehouse,
        &mut p.ordered_from,
        &mut p.ordered_to,
        &mut p.sort,
        &mut p.direction,
        &mut p.cursor,
    ] {
        if f.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *f = None;
        }
    }
    match serde_html_form::to_string(&p) {
        Ok(q) if !q.is_empty() => format!("/orders?{q}"),
        _ => "/orders".to_owned(),
    }
}

fn sort_link(p: &OrderListParams, current: OrderSort, asc: bool, col: OrderSort) -> SortLink {
    let active = current == col;
    // A click on the active column turns it around; another column starts newest / largest first.
    let next_asc = active && !asc;
    let mut q = p.clone();
    q.sort = Some(col.as_str().to_owned());
    q.direction = Some(if next_asc { "asc" } else { "desc" }.to_owned());
    q.cursor = None;
    SortLink {
        href: href(&q),
        aria: match (active, asc) {
            (false, _) => "none",
            (true, true) => "ascending",
            (true, false) => "descending",
        },
        arrow: match (active, asc) {
            (false, _) => "",
            (true, true) => "▲",
            (true, false) => "▼",
        },
    }
}

fn invalid_text(e: &AppError) -> Option<String> {
    match e {
        AppError::Invalid(fields) => Some(
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        _ => None,
    }
}

async fn list(
    State(s): State<ConsoleState>,
    page: Page,
    Query(mut p): Query<OrderListParams>,
) -> Result<Html<String>, ConsoleError> {
    // The console's default: newest orders by order date.
    if p.sort.as_deref().is_none_or(str::is_empty) {
        p.sort = Some(OrderSort::OrderedAt.as_str().to_owned());
    }
    p.limit = Some(p.limit.unwrap_or(PAGE).clamp(1, 500));
    let lang = page.lang;
    let (rows, next, error) = match p.query() {
        Err(e) => (vec![], None, invalid_text(&e).ok_or(e)?),
        Ok(query) => match s.app.list_orders(query).await {
            Ok((orders, next)) => (
                orders.iter().map(|o| row(lang, o)).collect(),
                next.map(|c| {
                    let mut q = p.clone();
                    q.cursor = Some(c);
                    href(&q)
                }),
                String::new(),
            ),
            Err(e) => (vec![], None, invalid_text(&e).ok_or(e)?),
        },
    };
    let query = p.query().unwrap_or_default();
    let (sort, asc) = (query.sort, query.ascending);
    let first = p.cursor.as_deref().is_some_and(|c| !c.is_empty()).then(|| {
        let mut q = p.clone();
        q.cursor = None;
        href(&q)
    });
    let warehouses = s.app.list_warehouses().await?;
    let t = |ja: &str, en: &str| lang.t(ja, en).to_owned();
    let html = ListPage {
        statuses: opts(
            p.status.as_deref(),
            OrderStatus::ALL
                .iter()
                .map(|st| (st.as_str().to_owned(), status_label(lang, *st).to_owned())),
        ),
        methods: opts(
            p.payment_method.as_deref(),
            PaymentMethod::ALL.iter().map(|m| {
                (
                    m.as_str().to_owned(),
                    payment_method_label(lang, *m).to_owned(),
                )
            }),
        ),
        payment_statuses: opts(
            p.payment_status.as_deref(),
            PaymentStatus::ALL.iter().map(|m| {
                (
                    m.as_str().to_owned(),
                    payment_status_label(lang, *m).to_owned(),
                )
            }),
        ),
        holds: opts(
            p.hold.as_deref(),
            [
                (
                    "any".to_owned(),
                    t("保留中（理由を問わず）", "On hold (any reason)"),
                ),
                ("none".to_owned(), t("保留なし", "Not on hold")),
            ]
            .into_iter()
            .chain(
                HoldCode::ALL
                    .iter()
                    .map(|c| (c.as_str().to_owned(), hold_label(lang, *c).to_owned())),
            ),
        ),
        warehouses: opts(
            p.warehouse.as_deref(),
            warehouses
                .iter()
                .map(|w| (w.code.clone(), format!("{} ({})", w.name, w.code))),
        ),
        sorts: opts(
            p.sort.as_deref(),
            [
                ("ordered_at", t("受注日時", "Order date")),
                ("number", t("受注番号", "Order number")),
                ("total", t("合計金額", "Total")),
                ("created", t("取込順", "Intake order")),
            ]
            .into_iter()
            .map(|(v, l)| (v.to_owned(), l)),
        ),
        directions: opts(
            Some(if asc { "asc" } else { "desc" }),
            [
                (
                    "desc".to_owned(),
                    t("降順（新しい・大きい順）", "Descending"),
                ),
                ("asc".to_owned(), t("昇順（古い・小さい順）", "Ascending")),
            ],
        ),
        by_number: sort_link(&p, sort, asc, OrderSort::Number),
        by_ordered: sort_link(&p, sort, asc, OrderSort::OrderedAt),
        by_total: sort_link(&p, sort, asc, OrderSort::Total),
        can_instruct: page.can(&[Role::Operator, Role::Warehouse]),
        error: (!error.is_empty()).then_some(error),
        rows,
        next,
        first,
        p,
        page,
    };
    render(&html)
}
