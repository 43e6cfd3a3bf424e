//! The actions on an order's shipments and returns (`POST /orders/{id}/shipments/{sid}/…`,
//! `/orders/{id}/returns…`): record a shipment or a delivery, correct a delivery record, answer a
//! cancellation request (warehouse), announce and receive a return. Like `order_actions`, each
//! calls the API's use case and comes back to the detail page.

use super::form::Fields;
use super::order_actions::{begin, done, finish};
use crate::ctx::{ConsoleState, CsrfForm, Page};
use crate::error::ConsoleError;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{TimeZone, offset};
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::carrier::Carrier;
use juchu_domain::delivery::DeliveryCorrection;
use juchu_domain::returns::ReturnRequestLine;
use juchu_domain::{LineId, Money, OrderId, ReturnId, ShipmentId};

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/orders/{id}/shipments/{sid}/ship", post(ship))
        .route("/orders/{id}/shipments/{sid}/deliver", post(deliver))
        .route(
            "/orders/{id}/shipments/{sid}/delivery-correction",
            post(correct_delivery),
        )
        .route(
            "/orders/{id}/shipments/{sid}/cancel/confirm",
            post(confirm_cancel),
        )
        .route(
            "/orders/{id}/shipments/{sid}/cancel/refuse",
            post(refuse_cancel),
        )
        .route("/orders/{id}/returns", post(request_return))
        .route("/orders/{id}/returns/{rid}/receive", post(receive_return))
}

/// A shipment of this order (a shipment id of another order is not found here).
async fn shipment_of(s: &ConsoleState, id: OrderId, sid: &str) -> Result<ShipmentId, AppError> {
    let missing = || AppError::NotFound(format!("shipment {sid}"));
    let sid: ShipmentId = sid.parse().map_err(|_| missing())?;
    let order = s.app.load_order(id).await?;
    if order.shipments.iter().any(|x| x.id == sid) {
        Ok(sid)
    } else {
        Err(missing())
    }
}

/// A `datetime-local` field (Japan time, as the operator reads the clock); blank is `None`.
fn jst_time(f: &Fields, name: &str) -> Result<Option<Timestamp>, AppError> {
    let Some(v) = f.get(name) else {
        return Ok(None);
    };
    let dt: DateTime = v.parse().map_err(|_| {
        AppError::invalid(
            name,
            format!("`{v}` は日時ではありません / is not a date and time"),
        )
    })?;
    dt.to_zoned(TimeZone::fixed(offset(9)))
        .map(|z| Some(z.timestamp()))
        .map_err(|e| AppError::invalid(name, e.to_string()))
}

fn carrier(f: &Fields) -> Result<Carrier, AppError> {
    let v = f.required("carrier")?;
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| AppError::invalid("carrier", format!("unknown carrier `{v}`")))
}

async fn ship(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let sid = shipment_of(&s, id, &sid).await?;
        let carrier = carrier(&fields)?;
        let number = fields.required("tracking_number")?;
        let at = jst_time(&fields, "shipped_at")?;
        s.app.ship(sid, carrier, number, at, None, &actor).await?;
        Ok(done("出荷を記録しました。", "The shipment was recorded."))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("出荷を記録", "Recording the shipment"),
        outcome,
    )
    .await
}

async fn deliver(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let sid = shipment_of(&s, id, &sid).await?;
        let at = jst_time(&fields, "delivered_at")?;
        s.app.deliver(sid, at, None, &actor).await?;
        Ok(done("着荷を記録しました。", "The delivery was recorded."))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("着荷を記録", "Recording the delivery"),
        outcome,
    )
    .await
}

async fn correct_delivery(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::ORDER_REVIEW, &id)?;
    let actor = page.actor();
    let outcome = async {
        let sid = shipment_of(&s, id, &sid).await?;
        let correction = match fields.get("mode") {
            Some("not_delivered") => DeliveryCorrection::NotDelivered,
            _ => DeliveryCorrection::DeliveredAt(jst_time(&fields, "delivered_at")?.ok_or_else(
                || {
                    AppError::invalid(
                        "delivered_at",
                        "着荷日時を入力するか「未着」を選んでください / give the delivery time, or choose not delivered",
                    )
                },
            )?),
        };
        let reason = fields.required("reason")?;
        s.app
            .correct_delivery(sid, correction, reason, None, &actor)
            .await?;
        Ok(done("配達記録を訂正しました。", "The delivery record was corrected."))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("配達記録を訂正", "Correcting the delivery record"),
        outcome,
    )
    .await
}

async fn confirm_cancel(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let sid = shipment_of(&s, id, &sid).await?;
        s.app.confirm_cancel(sid, None, &actor).await?;
        Ok(done(
            "キャンセルを確定しました。",
            "The cancellation was confirmed.",
        ))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("キャンセルを確定", "Confirming the cancellation"),
        outcome,
    )
    .await
}

async fn refuse_cancel(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let sid = shipment_of(&s, id, &sid).await?;
        let reason = fields.required("reason")?;
        s.app.refuse_cancel(sid, reason, None, &actor).await?;
        Ok(done(
            "キャンセルを拒否しました。注文はそのまま出荷されます。",
            "The cancellation was refused; the order ships as usual.",
        ))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("キャンセルを拒否", "Refusing the cancellation"),
        outcome,
    )
    .await
}

/// The lines of a return form: `ret_<line>` quantities, `restock_<line>` ticks and `wh_<line>`
/// warehouses; lines left at 0 are not returned.
fn return_lines(f: &Fields) -> Result<Vec<ReturnRequestLine>, AppError> {
    let mut lines = Vec::new();
    for (line, q) in f.with_prefix("ret_") {
        let field = format!("ret_{line}");
        let quantity: i64 = q
            .parse()
            .map_err(|_| AppError::invalid(&field, format!("`{q}` is not a quantity")))?;
        if quantity == 0 {
            continue;
        }
        let line_id: LineId = line
            .parse()
            .map_err(|_| AppError::invalid(&field, "is not a line of this order"))?;
        lines.push(ReturnRequestLine {
            line_id,
            quantity,
            restock: f.checked(&format!("restock_{line}")),
            warehouse: f.get(&format!("wh_{line}")).map(str::to_owned),
        });
    }
    Ok(lines)
}

async fn request_return(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let fields = Fields(fields);
    let id = begin(&page, roles::RETURN_REQUEST, &id)?;
    // Receiving the goods at once is warehouse work, as in the API.
    let received = fields.checked("received");
    if received {
        page.require(roles::SHIPPING)?;
    }
    let actor = page.actor();
    let outcome = async {
        let lines = return_lines(&fields)?;
        let reason = fields.required("reason")?;
        let refund = fields.parse::<i64>("refund_amount")?.map(Money::yen);
        let if_match = fields.parse("version")?;
        s.app
            .request_return(id, &lines, reason, refund, received, if_match, &actor)
            .await?;
        Ok(if received {
            done("返品を受領しました。", "The return was received.")
        } else {
            done("返品依頼を登録しました。", "The return was requested.")
        })
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("返品を登録", "Recording the return"),
        outcome,
    )
    .await
}

async fn receive_return(
    State(s): State<ConsoleState>,
    page: Page,
    Path((id, rid)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let id = begin(&page, roles::SHIPPING, &id)?;
    let actor = page.actor();
    let outcome = async {
        let rid: ReturnId = rid
            .parse()
            .map_err(|_| AppError::NotFound(format!("return {rid}")))?;
        s.app.receive_return(id, rid, None, &actor).await?;
        Ok(done("返品を受領しました。", "The return was received."))
    }
    .await;
    finish(
        &s,
        page,
        id,
        ("返品を受領", "Receiving the return"),
        outcome,
    )
    .await
}
