//! The actions on a whole order (`POST /orders/{id}/…`): release a hold, edit, split, cancel,
//! confirm a payment, re-allocate and instruct shipping. Each checks the role (the API's sets)
//! and the CSRF token, calls the same `App` use case as the API, and comes back to the detail
//! page: with a 303 and a message when it worked, or with the page as it is now and the reason
//! when it was refused.

use super::form::Fields;
use super::order_detail::{self, parse_order_id, refusal};
use crate::ctx::{ConsoleState, CsrfForm, Flash, Page};
use crate::error::ConsoleError;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::modify::{OrderPatch, PatchLine};
use juchu_domain::split::Prefer;
use juchu_domain::{Address, Delivery, HoldCode, LineId, Order, OrderId, OrderStatus, Role};

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/orders/{id}/holds/release", post(release_hold))
        .route("/orders/{id}/edit", post(edit))
        .route("/orders/{id}/split", post(split))
        .route("/orders/{id}/split-allocated", post(split_allocated))
        .route("/orders/{id}/cancel", post(cancel))
        .route("/orders/{id}/payment/confirm", post(confirm_payment))
        .route("/orders/{id}/allocate", post(allocate))
        .route("/orders/{id}/instruct", post(instruct))
}

/// Everything an action handler starts with (`CsrfForm` has checked the token): the role, then
/// the order id.
pub fn begin(page: &Page, allowed: &[Role], id: &str) -> Result<OrderId, ConsoleError> {
    page.require(allowed)?;
    parse_order_id(id)
}

/// What a successful action says on the page it leads to (the order's, or `to`).
pub struct Done {
    ja: &'static str,
    en: &'static str,
    to: Option<OrderId>,
}

pub fn done(ja: &'static str, en: &'static str) -> Done {
    Done { ja, en, to: None }
}

/// Back to the detail page: a 303 with the message after success, or the page as it is now
/// with the refusal.
pub async fn finish(
    s: &ConsoleState,
    page: Page,
    id: OrderId,
    action: (&str, &str),
    outcome: Result<Done, AppError>,
) -> Result<Response, ConsoleError> {
    match outcome {
        Ok(d) => Ok(s.redirect_flash(
            &format!("/orders/{}", d.to.unwrap_or(id)),
            Flash::ok(page.t(d.ja, d.en)),
        )),
        Err(e) => {
            let (status, flash) = refusal(action, e)?;
            order_detail::render(s, page, id, Some(flash), status).await
        }
    }
}

/// The version the form was drawn from: the change is refused if the order moved on since.
fn version(fields: &Fields) -> Result<Option<i64>, AppError> {
    fields.parse("version")
}

async fn release_hold(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_REVIEW, &id)?;
    let actor = page.actor();
    let outcome = async {
        let code = fields.required("code")?;
        let code = HoldCode::parse(code)
            .ok_or_else(|| AppError::invalid("code", format!("unknown hold `{code}`")))?;
        s.app
            .release_hold(id, code, fields.get("note"), None, &actor)
            .await?;
        Ok(done("保留を解除しました。", "The hold was released."))
    }
    .await;
    finish(&s, page, id, ("保留を解除", "Releasing the hold"), outcome).await
}

/// The patch an edit form asks for: only what differs from the order as it is, so an unchanged
/// address is not "changed" (and re-reviewed) because the form sent it back.
fn patch_of(o: &Order, f: &Fields) -> Result<OrderPatch, AppError> {
    let mut patch = OrderPatch::default();
    let mut lines = Vec::with_capacity(o.lines.len());
    let mut changed = false;
    for l in &o.lines {
        let q: i64 = f.parse(&format!("qty_{}", l.id))?.unwrap_or(l.quantity);
        changed |= q != l.quantity;
        if q > 0 {
            lines.push(PatchLine {
                line_id: Some(l.id),
                sku: None,
                quantity: q,
                unit_price: None,
            });
        }
    }
    if changed {
        patch.lines = Some(lines);
    }
    let address = Address {
        name: f.required("ship_name")?.to_owned(),
        postal_code: f.required("ship_postal_code")?.to_owned(),
        prefecture: f.required("ship_prefecture")?.to_owned(),
        city: f.required("ship_city")?.to_owned(),
        line1: f.required("ship_line1")?.to_owned(),
        line2: f.get("ship_line2").map(str::to_owned),
        phone: f.get("ship_phone").map(str::to_owned),
    };
    if address != o.shipping_address {
        patch.shipping_address = Some(address);
    }
    let delivery = Delivery {
        date: f.parse("delivery_date")?,
        time_slot: f.get("delivery_time_slot").map(str::to_owned),
    };
    if delivery != o.delivery.clone().unwrap_or_default() {
        patch.delivery = Some(delivery);
    }
    let notes = f.get("notes").unwrap_or("");
    if notes != o.notes.as_deref().unwrap_or("").trim() {
        patch.notes = Some(notes.to_owned());
    }
    Ok(patch)
}

fn is_empty(p: &OrderPatch) -> bool {
    p.lines.is_none()
        && p.shipping_address.is_none()
        && p.billing_address.is_none()
        && p.delivery.is_none()
        && p.notes.is_none()
        && p.payment.is_none()
}

async fn edit(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_CREATE, &id)?;
    let actor = page.actor();
    let outcome = async {
        let if_match = version(&fields)?;
        let order = s.app.load_order(id).await?;
        if let Some(v) = if_match
            && v != order.version
        {
            return Err(AppError::VersionConflict {
                current: order.version,
            });
        }
        let patch = patch_of(&order, &fields)?;
        if is_empty(&patch) {
            return Ok(done("変更はありませんでした。", "Nothing was changed."));
        }
        s.app.modify_order(id, &patch, if_match, &actor).await?;
        Ok(done("注文を変更しました。", "The order was modified."))
    }
    .await;
    finish(&s, page, id, ("注文を変更", "Modifying the order"), outcome).await
}

async fn split(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_REVIEW, &id)?;
    let actor = page.actor();
    let outcome = async {
        let mut moves: Vec<(LineId, i64)> = Vec::new();
        for (line, q) in fields.with_prefix("split_") {
            let field = format!("split_{line}");
            let line: LineId = line
                .parse()
                .map_err(|_| AppError::invalid(&field, "is not a line of this order"))?;
            let q: i64 = q
                .parse()
                .map_err(|_| AppError::invalid(&field, format!("`{q}` is not a quantity")))?;
            if q != 0 {
                moves.push((line, q));
            }
        }
        let (_, part) = s
            .app
            .split_order(id, &moves, Prefer::Unallocated, version(&fields)?, &actor)
            .await?;
        Ok(Done {
            to: Some(part.id),
            ..done(
                "注文を分割しました。これが分割で作られた新しい注文です。",
                "The order was split; this is the new order it made.",
            )
        })
    }
    .await;
    finish(&s, page, id, ("注文を分割", "Splitting the order"), outcome).await
}

async fn split_allocated(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_REVIEW, &id)?;
    let actor = page.actor();
    let outcome = async {
        let (_, part) = s
            .app
            .split_order(id, &[], Prefer::Allocated, version(&fields)?, &actor)
            .await?;
        Ok(Done {
            to: Some(part.id),
            ..done(
                "注文を分割しました。これが分割で作られた新しい注文です。",
                "The order was split; this is the new order it made.",
            )
        })
    }
    .await;
    finish(&s, page, id, ("注文を分割", "Splitting the order"), outcome).await
}

async fn cancel(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_CANCEL, &id)?;
    let actor = page.actor();
    // No version: a cancel means "stop this order" whatever changed on the page meanwhile, and
    // the domain refuses it if the order has gone too far (shipped, say).
    let outcome = async {
        let reason = fields.required("reason")?;
        let o = s.app.cancel_order(id, reason, None, &actor).await?;
        Ok(if o.status == OrderStatus::Cancelled {
            done("注文をキャンセルしました。", "The order was cancelled.")
        } else {
            done(
                "倉庫にキャンセルを依頼しました。倉庫の確定を待っています。",
                "The cancellation was requested from the warehouse; it waits for its answer.",
            )
        })
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("キャンセル", "Cancelling the order"),
        outcome,
    )
    .await
}

async fn confirm_payment(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::PAYMENT_CONFIRM, &id)?;
    let actor = page.actor();
    let outcome = async {
        let amount: i64 = fields
            .parse("amount")?
            .ok_or_else(|| AppError::invalid("amount", "入力してください / is required"))?;
        s.app
            .confirm_payment(id, amount, fields.get("note"), None, &actor)
            .await?;
        Ok(done("入金を確認しました。", "The payment was confirmed."))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("入金を確認", "Confirming the payment"),
        outcome,
    )
    .await
}

async fn allocate(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let id = begin(&page, roles::ORDER_REVIEW, &id)?;
    let outcome = async {
        let order = s.app.load_order(id).await?;
        if !order.ready_for_allocation(&s.app.policies) {
            return Err(AppError::InvalidTransition {
                status: Some(order.status),
                detail: "the order is not waiting for stock, or a hold or its payment stops it"
                    .to_owned(),
            });
        }
        Ok(if s.app.allocate(id).await? {
            done("引当しました。", "Stock was allocated.")
        } else {
            done(
                "引当できる在庫がありませんでした。",
                "No stock could be allocated now.",
            )
        })
    }
    .await;
    finish(&s, page, id, ("引当", "Allocating stock"), outcome).await
}

async fn instruct(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let result = s.app.instruct_shipping(None, Some(&[id]), &actor).await?;
        if let Some(skip) = result.skipped.first() {
            let status = s.app.load_order(id).await?.status;
            return Err(AppError::InvalidTransition {
                status: Some(status),
                detail: skip.reason.clone(),
            });
        }
        Ok(done("出荷指示しました。", "Shipping was instructed."))
    }
    .await;
    finish(&s, page, id, ("出荷指示", "Instructing shipping"), outcome).await
}
