//! SKUs (商品マスタ): the list with a search box, a form for a new SKU and one to edit each, saved
//! through `App::put_sku` like the API's `PUT /api/v1/skus/{sku}` (role: MASTER_WRITE).

use crate::ctx::{ConsoleState, CsrfForm, Page};
use crate::error::{ConsoleError, urlencode};
use crate::pages::view::{after_post, number, text};
use crate::render;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use juchu_app::{App, AppError, NewSku};
use juchu_domain::TaxRate;
use juchu_domain::actor::roles;
use juchu_store::SkuRecord;
use serde::Deserialize;

pub fn router() -> Routes {
    Routes::default()
        .get("/master/skus", list)
        .post("/master/skus", create)
        .get("/master/skus/{code}", edit)
        .post("/master/skus/{code}", update)
}

/// A SKU as the list and the edit form show it.
struct SkuRow {
    code: String,
    /// The code in a URL path.
    href: String,
    name: String,
    tax_rate: i64,
    supplier: String,
    drop_ship: bool,
    lead_time_days: String,
}

impl From<SkuRecord> for SkuRow {
    fn from(k: SkuRecord) -> Self {
        SkuRow {
            href: urlencode(&k.code),
            code: k.code,
            name: k.name,
            tax_rate: k.tax_rate.percent(),
            supplier: k.supplier.unwrap_or_default(),
            drop_ship: k.drop_ship,
            lead_time_days: k.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "master_skus.html")]
struct List {
    page: Page,
    q: String,
    skus: Vec<SkuRow>,
    total: usize,
    can_write: bool,
}

async fn list(
    State(s): State<ConsoleState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::READ)?;
    let all = s.app.list_skus().await?;
    let total = all.len();
    let needle = q.q.trim().to_lowercase();
    let skus = all
        .into_iter()
        .filter(|k| {
            needle.is_empty()
                || k.code.to_lowercase().contains(&needle)
                || k.name.to_lowercase().contains(&needle)
                || k.supplier
                    .as_deref()
                    .is_some_and(|x| x.to_lowercase().contains(&needle))
        })
        .map(SkuRow::from)
        .collect();
    let can_write = page.can(roles::MASTER_WRITE);
    render(&List {
        page,
        q: q.q,
        skus,
        total,
        can_write,
    })
}

#[derive(Template)]
#[template(path = "master_sku_edit.html")]
struct Edit {
    page: Page,
    sku: SkuRow,
}

async fn edit(
    State(s): State<ConsoleState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let sku = find(&s.app, &code)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("SKU {code}")))?;
    render(&Edit {
        page,
        sku: sku.into(),
    })
}

/// The SKU form: `code` only on the new-SKU form (the edit form's code is in the path).
#[derive(Debug, Deserialize)]
struct SkuForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_rate: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    drop_ship: Option<String>,
    #[serde(default)]
    lead_time_days: String,
}

impl SkuForm {
    fn to_new(&self) -> Result<NewSku, AppError> {
        let rate: u8 = number("tax_rate", &self.tax_rate)?
            .ok_or_else(|| AppError::invalid("tax_rate", "10 または 8 / must be 10 or 8"))?;
        Ok(NewSku {
            name: self.name.clone(),
            tax_rate: TaxRate::try_from(rate).map_err(|m| AppError::invalid("tax_rate", m))?,
            supplier: text(&self.supplier),
            drop_ship: self.drop_ship.is_some(),
            lead_time_days: number("lead_time_days", &self.lead_time_days)?,
        })
    }
}

async fn find(app: &App, code: &str) -> Result<Option<SkuRecord>, AppError> {
    Ok(app
        .store
        .get_skus(&[code.to_owned()])
        .await?
        .into_iter()
        .next())
}

async fn create(
    State(s): State<ConsoleState>,
    page: Page,
    CsrfForm(f): CsrfForm<SkuForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let code = f.code.trim().to_owned();
    let result = async {
        // The API's PUT replaces; a "new SKU" form must not overwrite one by a typo.
        if !code.is_empty() && find(&s.app, &code).await?.is_some() {
            return Err(AppError::invalid(
                "sku",
                format!("`{code}` は登録済みです / exists already: edit it instead"),
            ));
        }
        s.app.put_sku(&code, f.to_new()?).await?;
        Ok(format!(
            "{} {code}",
            page.t("SKUを登録しました:", "SKU created:")
        ))
    }
    .await;
    let back = format!("/master/skus?q={}", urlencode(&code));
    after_post(&s, &back, result)
}

async fn update(
    State(s): State<ConsoleState>,
    page: Page,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<SkuForm>,
) -> Result<Response, ConsoleError> {
    page.require(roles::MASTER_WRITE)?;
    let result = async {
        if find(&s.app, &code).await?.is_none() {
            return Err(AppError::NotFound(format!("SKU {code}")));
        }
        s.app.put_sku(&code, f.to_new()?).await?;
        Ok(format!(
            "{} {code}",
            page.t("SKUを更新しました:", "SKU saved:")
        ))
    }
    .await;
    let back = match &result {
        Ok(_) => format!("/master/skus?q={}", urlencode(&code)),
        Err(_) => format!("/master/skus/{}", urlencode(&code)),
    };
    after_post(&s, &back, result)
}
