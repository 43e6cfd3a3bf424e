//! The actions on a whole order (`POST /orders/{id}/…`): release a hold, edit, split, cancel,
//! confirm a payment, re-allocate and instruct shipping. Each calls the same `App` use case as
//! the API (role and refusal handling are `Act`'s).

use super::act::{Act, Done, done};
use super::form::Fields;
use crate::error::ConsoleError;
use crate::routes::Routes;
use axum::response::Response;
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::modify::{OrderPatch, PatchLine};
use juchu_domain::split::Prefer;
use juchu_domain::{Address, Delivery, HoldCode, LineId, Order, OrderStatus};

pub fn router() -> Routes {
    Routes::default()
        .post("/orders/{id}/holds/release", release_hold)
        .post("/orders/{id}/edit", edit)
        .post("/orders/{id}/split", split)
        .post("/orders/{id}/split-allocated", split_allocated)
        .post("/orders/{id}/cancel", cancel)
        .post("/orders/{id}/payment/confirm", confirm_payment)
        .post("/orders/{id}/allocate", allocate)
        .post("/orders/{id}/instruct", instruct)
}

/// The version the form was drawn from: the change is refused if the order moved on since.
fn version(f: &Fields) -> Result<Option<i64>, AppError> {
    f.parse("version")
}

async fn release_hold(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_REVIEW,
        ("保留を解除", "Releasing the hold"),
        async |a| {
            let code = a.f.required("code")?;
            let code = HoldCode::parse(code)
                .ok_or_else(|| AppError::invalid("code", format!("unknown hold `{code}`")))?;
            a.s.app
                .release_hold(a.id, code, a.f.get("note"), None, &a.actor())
                .await?;
            Ok(done("保留を解除しました。", "The hold was released."))
        },
    )
    .await
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

async fn edit(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_CREATE,
        ("注文を変更", "Modifying the order"),
        async |a| {
            let if_match = version(&a.f)?;
            let order = a.s.app.load_order(a.id).await?;
            if let Some(v) = if_match
                && v != order.version
            {
                return Err(AppError::VersionConflict {
                    current: order.version,
                });
            }
            let patch = patch_of(&order, &a.f)?;
            if is_empty(&patch) {
                return Ok(done("変更はありませんでした。", "Nothing was changed."));
            }
            a.s.app
                .modify_order(a.id, &patch, if_match, &a.actor())
                .await?;
            Ok(done("注文を変更しました。", "The order was modified."))
        },
    )
    .await
}

fn split_done(part: &Order) -> Done {
    done(
        "注文を分割しました。これが分割で作られた新しい注文です。",
        "The order was split; this is the new order it made.",
    )
    .at(part.id)
}

async fn split(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_REVIEW,
        ("注文を分割", "Splitting the order"),
        async |a| {
            let mut moves: Vec<(LineId, i64)> = Vec::new();
            for (line, q) in a.f.with_prefix("split_") {
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
            let (_, part) =
                a.s.app
                    .split_order(
                        a.id,
                        &moves,
                        Prefer::Unallocated,
                        version(&a.f)?,
                        &a.actor(),
                    )
                    .await?;
            Ok(split_done(&part))
        },
    )
    .await
}

async fn split_allocated(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_REVIEW,
        ("注文を分割", "Splitting the order"),
        async |a| {
            let (_, part) =
                a.s.app
                    .split_order(a.id, &[], Prefer::Allocated, version(&a.f)?, &a.actor())
                    .await?;
            Ok(split_done(&part))
        },
    )
    .await
}

/// No version: a cancel means "stop this order" whatever changed on the page meanwhile, and the
/// domain refuses it if the order has gone too far (shipped, say).
async fn cancel(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_CANCEL,
        ("キャンセル", "Cancelling the order"),
        async |a| {
            let reason = a.f.required("reason")?;
            let o = a.s.app.cancel_order(a.id, reason, None, &a.actor()).await?;
            Ok(if o.status == OrderStatus::Cancelled {
                done("注文をキャンセルしました。", "The order was cancelled.")
            } else {
                done(
                    "倉庫にキャンセルを依頼しました。倉庫の確定を待っています。",
                    "The cancellation was requested from the warehouse; it waits for its answer.",
                )
            })
        },
    )
    .await
}

async fn confirm_payment(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::PAYMENT_CONFIRM,
        ("入金を確認", "Confirming the payment"),
        async |a| {
            let amount: i64 =
                a.f.parse("amount")?
                    .ok_or_else(|| AppError::invalid("amount", "入力してください / is required"))?;
            a.s.app
                .confirm_payment(a.id, amount, a.f.get("note"), None, &a.actor())
                .await?;
            Ok(done("入金を確認しました。", "The payment was confirmed."))
        },
    )
    .await
}

async fn allocate(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::ORDER_REVIEW,
        ("引当", "Allocating stock"),
        async |a| {
            let order = a.s.app.load_order(a.id).await?;
            if !order.ready_for_allocation(&a.s.app.policies) {
                return Err(AppError::InvalidTransition {
                    status: Some(order.status),
                    detail: "the order is not waiting for stock, or a hold or its payment stops it"
                        .to_owned(),
                });
            }
            Ok(if a.s.app.allocate(a.id).await? {
                done("引当しました。", "Stock was allocated.")
            } else {
                done(
                    "引当できる在庫がありませんでした。",
                    "No stock could be allocated now.",
                )
            })
        },
    )
    .await
}

async fn instruct(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::SHIPPING,
        ("出荷指示", "Instructing shipping"),
        async |a| {
            let result =
                a.s.app
                    .instruct_shipping(None, Some(&[a.id]), &a.actor())
                    .await?;
            if let Some(skip) = result.skipped.first() {
                let status = a.s.app.load_order(a.id).await?.status;
                return Err(AppError::InvalidTransition {
                    status: Some(status),
                    detail: skip.reason.clone(),
                });
            }
            Ok(done("出荷指示しました。", "Shipping was instructed."))
        },
    )
    .await
}
