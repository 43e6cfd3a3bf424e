//! The actions on an order's shipments and returns (`POST /orders/{id}/shipments/{sid}/…`,
//! `/orders/{id}/returns…`): record a shipment or a delivery, correct a delivery record, answer a
//! cancellation request (warehouse), announce and receive a return. Like `order_actions`, each
//! calls the API's use case through `Act`.

use super::act::{Act, done};
use super::form::Fields;
use crate::error::ConsoleError;
use crate::routes::Routes;
use axum::response::Response;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{TimeZone, offset};
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::carrier::Carrier;
use juchu_domain::delivery::DeliveryCorrection;
use juchu_domain::returns::ReturnRequestLine;
use juchu_domain::{LineId, Money, ReturnId, ShipmentId};

pub fn router() -> Routes {
    Routes::default()
        .post("/orders/{id}/shipments/{sid}/ship", ship)
        .post("/orders/{id}/shipments/{sid}/deliver", deliver)
        .post(
            "/orders/{id}/shipments/{sid}/delivery-correction",
            correct_delivery,
        )
        .post(
            "/orders/{id}/shipments/{sid}/cancel/confirm",
            confirm_cancel,
        )
        .post("/orders/{id}/shipments/{sid}/cancel/refuse", refuse_cancel)
        .post("/orders/{id}/returns", request_return)
        .post("/orders/{id}/returns/{rid}/receive", receive_return)
}

/// The path's shipment, which must be one of this order's (a shipment id of another order is
/// not found here).
async fn shipment(a: &Act) -> Result<ShipmentId, AppError> {
    let sid = a.param("sid");
    let missing = || AppError::NotFound(format!("shipment {sid}"));
    let id: ShipmentId = sid.parse().map_err(|_| missing())?;
    let order = a.s.app.load_order(a.id).await?;
    if order.shipments.iter().any(|x| x.id == id) {
        Ok(id)
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

async fn ship(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::SHIPPING,
        ("出荷を記録", "Recording the shipment"),
        async |a| {
            let sid = shipment(a).await?;
            let carrier = carrier(&a.f)?;
            let number = a.f.required("tracking_number")?;
            let at = jst_time(&a.f, "shipped_at")?;
            a.s.app
                .ship(sid, carrier, number, at, None, &a.actor())
                .await?;
            Ok(done("出荷を記録しました。", "The shipment was recorded."))
        },
    )
    .await
}

async fn deliver(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::SHIPPING,
        ("着荷を記録", "Recording the delivery"),
        async |a| {
            let sid = shipment(a).await?;
            let at = jst_time(&a.f, "delivered_at")?;
            a.s.app.deliver(sid, at, None, &a.actor()).await?;
            Ok(done("着荷を記録しました。", "The delivery was recorded."))
        },
    )
    .await
}

async fn correct_delivery(a: Act) -> Result<Response, ConsoleError> {
    let action = ("配達記録を訂正", "Correcting the delivery record");
    a.run(roles::ORDER_REVIEW, action, async |a| {
        let sid = shipment(a).await?;
        let correction = match a.f.get("mode") {
            Some("not_delivered") => DeliveryCorrection::NotDelivered,
            _ => DeliveryCorrection::DeliveredAt(jst_time(&a.f, "delivered_at")?.ok_or_else(
                || {
                    AppError::invalid(
                        "delivered_at",
                        "着荷日時を入力するか「未着」を選んでください / give the delivery time, or choose not delivered",
                    )
                },
            )?),
        };
        let reason = a.f.required("reason")?;
        a.s.app
            .correct_delivery(sid, correction, reason, None, &a.actor())
            .await?;
        Ok(done("配達記録を訂正しました。", "The delivery record was corrected."))
    })
    .await
}

async fn confirm_cancel(a: Act) -> Result<Response, ConsoleError> {
    let action = ("キャンセルを確定", "Confirming the cancellation");
    a.run(roles::SHIPPING, action, async |a| {
        let sid = shipment(a).await?;
        a.s.app.confirm_cancel(sid, None, &a.actor()).await?;
        Ok(done(
            "キャンセルを確定しました。",
            "The cancellation was confirmed.",
        ))
    })
    .await
}

async fn refuse_cancel(a: Act) -> Result<Response, ConsoleError> {
    let action = ("キャンセルを拒否", "Refusing the cancellation");
    a.run(roles::SHIPPING, action, async |a| {
        let sid = shipment(a).await?;
        let reason = a.f.required("reason")?;
        a.s.app.refuse_cancel(sid, reason, None, &a.actor()).await?;
        Ok(done(
            "キャンセルを拒否しました。注文はそのまま出荷されます。",
            "The cancellation was refused; the order ships as usual.",
        ))
    })
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

/// Receiving the goods at once (`received`) is warehouse work, as in the API.
async fn request_return(a: Act) -> Result<Response, ConsoleError> {
    let received = a.f.checked("received");
    if received {
        a.page.require(roles::SHIPPING)?;
    }
    a.run(
        roles::RETURN_REQUEST,
        ("返品を登録", "Recording the return"),
        async |a| {
            let lines = return_lines(&a.f)?;
            let reason = a.f.required("reason")?;
            let refund = a.f.parse::<i64>("refund_amount")?.map(Money::yen);
            let if_match = a.f.parse("version")?;
            a.s.app
                .request_return(a.id, &lines, reason, refund, received, if_match, &a.actor())
                .await?;
            Ok(if received {
                done("返品を受領しました。", "The return was received.")
            } else {
                done("返品依頼を登録しました。", "The return was requested.")
            })
        },
    )
    .await
}

async fn receive_return(a: Act) -> Result<Response, ConsoleError> {
    a.run(
        roles::SHIPPING,
        ("返品を受領", "Receiving the return"),
        async |a| {
            let rid = a.param("rid");
            let rid: ReturnId = rid
                .parse()
                .map_err(|_| AppError::NotFound(format!("return {rid}")))?;
            a.s.app.receive_return(a.id, rid, None, &a.actor()).await?;
            Ok(done("返品を受領しました。", "The return was received."))
        },
    )
    .await
}
