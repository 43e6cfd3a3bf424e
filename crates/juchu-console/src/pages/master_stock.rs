//! Warehouses and stock (倉庫・在庫): the warehouses with a form to add or change one
//! (`App::put_warehouse`, role MASTER_WRITE), stock per SKU per warehouse (on hand, allocated,
//! available) with a filter, the recent movements, and the stock adjustment form
//! (`App::adjust_stock`, role STOCK_WRITE) — the same use cases as the API's.

use crate::ctx::{ConsoleState, CsrfForm, Page};
use crate::error::{ConsoleError, urlencode};
use crate::format::jst;
use crate::pages::view::{after_post, number};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use juchu_app::{AppError, NewWarehouse, StockAdjustment};
use juchu_domain::actor::roles;
use juchu_store::WarehouseRecord;
use serde::Deserialize;

pub fn router() -> Routes {
    Routes::default()
        .get("/master/stock", stock)
        .post("/master/stock/adjust", adjust)
        .post("/master/warehouses", put_warehouse)
}

/// How many movements the page lists.
const MOVEMENTS: i64 = 50;

#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    warehouse: String,
}

#[derive(Template)]
#[template(path = "master_stock.html")]
struct StockPage {
    page: Page,
    sku: String,
    warehouse: String,
    warehouses: Vec<WarehouseRecord>,
    skus: Vec<String>,
    levels: Vec<Level>,
    movements: Vec<Movement>,
    can_adjust: bool,
    can_write: bool,
}

struct Level {
    sku: String,
    warehouse: String,
    on_hand: i64,
    allocated: i64,
    available: i64,
}

struct Movement {
    at: String,
    sku: String,
    warehouse: String,
    on_hand: i64,
    allocated: i64,
    reason: String,
    order_id: Option<String>,
    actor: String,
}

async fn stock(
    State(s): State<ConsoleState>,
    page: Page,
    Query(f): Query<Filter>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let sku = f.sku.trim().to_owned();
    let warehouse = f.warehouse.trim().to_owned();
    let (sku_q, wh_q) = (
        Some(sku.as_str()).filter(|x| !x.is_empty()),
        Some(warehouse.as_str()).filter(|x| !x.is_empty()),
    );
    let levels = s
        .app
        .stock(sku_q, wh_q)
        .await?
        .into_iter()
        .map(|l| Level {
            available: l.on_hand - l.allocated,
            sku: l.sku,
            warehouse: l.warehouse,
            on_hand: l.on_hand,
            allocated: l.allocated,
        })
        .collect();
    let movements = s
        .app
        .store
        .stock_movements(sku_q, wh_q, MOVEMENTS)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|m| Movement {
            at: jst(m.at),
            sku: m.sku,
            warehouse: m.warehouse,
            on_hand: m.on_hand_delta,
            allocated: m.allocated_delta,
            reason: m.reason,
            order_id: m.order_id.map(|o| o.to_string()),
            actor: m.actor,
        })
        .collect();
    let warehouses = s.app.list_warehouses().await?;
    let can_adjust = page.can(roles::STOCK_WRITE);
    let skus = if can_adjust {
        s.app
            .list_skus()
            .await?
            .into_iter()
            .map(|k| k.code)
            .collect()
    } else {
        vec![]
    };
    let can_write = page.can(roles::MASTER_WRITE);
    render(&StockPage {
        page,
        sku,
        warehouse,
        warehouses,
        skus,
        levels,
        movements,
        can_adjust,
        can_write,
    })
}

#[derive(Debug, Deserialize)]
struct AdjustForm {
    #[serde(default)]
    warehouse: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
}

async fn adjust(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<AdjustForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::STOCK_WRITE)?;
    let sku = f.sku.trim().to_owned();
    let warehouse = f.warehouse.trim().to_owned();
    let result = async {
        let delta = number("delta", &f.delta)?
            .ok_or_else(|| AppError::invalid("delta", "入力してください / is required"))?;
        let level = s
            .app
            .adjust_stock(
                StockAdjustment {
                    warehouse: warehouse.clone(),
                    sku: sku.clone(),
                    delta,
                    reason: f.reason.clone(),
                },
                &page.actor().label(),
            )
            .await?;
        Ok(format!(
            "{} {} @ {}: {} {} · {} {}",
            page.t("在庫を調整しました:", "Stock adjusted:"),
            level.sku,
            level.warehouse,
            page.t("実在庫", "on hand"),
            level.on_hand,
            page.t("有効在庫", "available"),
            level.on_hand - level.allocated
        ))
    }
    .await;
    let back = format!(
        "/master/stock?sku={}&warehouse={}",
        urlencode(&sku),
        urlencode(&warehouse)
    );
    after_post(&s, &back, result)
}

#[derive(Debug, Deserialize)]
struct WarehouseForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    priority: String,
    /// Prefectures separated by spaces, commas or 、.
    #[serde(default)]
    prefectures: String,
}

async fn put_warehouse(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<WarehouseForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let code = f.code.trim().to_owned();
    let result = async {
        let priority = number("priority", &f.priority)?.unwrap_or(0);
        let prefectures = f
            .prefectures
            .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let created = s
            .app
            .put_warehouse(
                &code,
                NewWarehouse {
                    name: f.name.clone(),
                    priority,
                    prefectures,
                },
            )
            .await?;
        Ok(format!(
            "{} {code}",
            if created {
                page.t("倉庫を登録しました:", "Warehouse created:")
            } else {
                page.t("倉庫を更新しました:", "Warehouse saved:")
            }
        ))
    }
    .await;
    after_post(&s, "/master/stock", result)
}
