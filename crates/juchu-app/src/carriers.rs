//! Carrier files: label exports for a shipping-instruction batch (B2, e飛伝) and the tracking numbers
//! coming back (B2 issued data, e飛伝 re-export, a generic CSV), each row shipped through `App::ship`.

mod events;

pub use events::{CarrierEvent, DeliveryStatus, EventOutcome};

use crate::{App, AppError, ExportFormat, export_batch};
use futures::StreamExt;
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};
use juchu_domain::carrier::{Carrier, validate_tracking_number};
use juchu_domain::payment::PaymentMethod;
use juchu_domain::shipment::{Shipment, ShipmentStatus};
use juchu_domain::{Actor, BatchId, FieldError, Order, ShipmentId};
use juchu_formats::{
    Cod, FormatError, LabelRow, Recipient, TrackingFormat, TrackingRow, parse_tracking,
};
use serde::Serialize;

/// Tracking-file rows (of different shipments) shipped at once.
const ROWS_AT_ONCE: usize = 16;

/// One row's outcome: the shipment, what happened and a message; or the error (with the shipment
/// when the row named one).
type RowOutcome = Result<(ShipmentId, RowResult, String), (Option<ShipmentId>, String)>;

/// The result of a tracking import, row by row. Importing the same file again ships nothing twice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrackingImport {
    pub rows: Vec<ImportedRow>,
    pub summary: ImportSummary,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub rows: usize,
    pub shipped: usize,
    pub already_shipped: usize,
    /// Rows that also recorded a delivery (delivery-history files).
    pub delivered: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedRow {
    /// Line in the file, from 1.
    pub row: usize,
    pub shipment_id: Option<ShipmentId>,
    pub result: RowResult,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowResult {
    Shipped,
    AlreadyShipped,
    /// A delivery-history row recorded the delivery (shipping the shipment first if needed).
    Delivered,
    Error,
}

impl From<FormatError> for AppError {
    fn from(e: FormatError) -> Self {
        match e {
            FormatError::Field {
                order,
                field,
                message,
            } => AppError::Invalid(vec![FieldError::new(
                format!("order {order}: {field}"),
                message,
            )]),
            FormatError::File(m) => AppError::invalid("file", m),
        }
    }
}

/// Today in Japan: the 出荷予定日 printed on labels.
fn today_jst(app: &App) -> Date {
    app.now().to_zoned(TimeZone::fixed(offset(9))).date()
}

/// Our key for a shipment in carrier files (お客様管理番号): the shipment id without hyphens, 32
/// characters of 半角英数, so it fits B2's column 1 and comes back unchanged with the tracking number.
pub fn shipment_key(id: ShipmentId) -> String {
    id.0.simple().to_string()
}

/// The consumption tax inside a COD amount: the order's tax in proportion to this shipment's part.
fn cod_tax(o: &Order, amount: i64) -> i64 {
    let tax: i64 = o.totals.tax.iter().map(|t| t.tax.minor()).sum();
    let total = o.totals.total.minor();
    if total <= 0 || amount >= total {
        tax
    } else {
        // i128: amount × tax cannot overflow before the division.
        (i128::from(tax) * i128::from(amount) / i128::from(total)) as i64
    }
}

/// The names of the items in a shipment.
fn item_names(o: &Order, s: &Shipment) -> Vec<String> {
    s.lines
        .iter()
        .filter_map(|l| o.line(l.line_id).map(|x| x.name.clone()))
        .collect()
}

/// 品名 for a label: the first item, and how many more (`タオル 他2点`).
fn describe(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} 他{}点", rest.len()),
    }
}

fn label_row(o: &Order, s: &Shipment, ship_date: Date) -> LabelRow {
    let a = &o.shipping_address;
    let item_name = describe(&item_names(o, s));
    let d = o.delivery.clone().unwrap_or_default();
    LabelRow {
        key: shipment_key(s.id),
        order_ref: o.number.to_string(),
        ship_date,
        delivery_date: d.date,
        time_slot: d.time_slot,
        to: Recipient {
            name: a.name.clone(),
            phone: a
                .phone
                .clone()
                .or_else(|| o.customer.phone.clone())
                .unwrap_or_default(),
            postal_code: a.postal_code.clone(),
            address: format!("{}{}{}", a.prefecture, a.city, a.line1),
            building: a.line2.clone().unwrap_or_default(),
        },
        item_name,
        cod: (o.payment.method == PaymentMethod::Cod).then(|| Cod {
            amount: s.amount.minor(),
            tax: cod_tax(o, s.amount.minor()),
        }),
    }
}

impl App {
    /// The same app with the shop's shipper and carrier settings.
    pub fn with_carriers(mut self, carriers: juchu_formats::CarrierConfig) -> Self {
        self.carriers = std::sync::Arc::new(carriers);
        self
    }

    /// The warehouse or carrier file of a shipping-instruction batch.
    pub async fn export_shipping(
        &self,
        id: BatchId,
        format: ExportFormat,
    ) -> Result<Vec<u8>, AppError> {
        let (batch, orders) = self.batch_with_orders(id).await?;
        let write = match format {
            ExportFormat::Json | ExportFormat::Csv => {
                return export_batch(&batch, &orders, format);
            }
            ExportFormat::YamatoB2 => juchu_formats::write_b2,
            ExportFormat::SagawaEhiden => juchu_formats::write_ehiden,
            ExportFormat::JapanPostYupri => juchu_formats::write_yupri,
            ExportFormat::ClickPost => |_: &juchu_formats::CarrierConfig, rows: &[LabelRow]| {
                juchu_formats::write_clickpost(rows)
            },
        };
        let today = today_jst(self);
        let live: Vec<(&Order, &Shipment)> = orders
            .iter()
            .flat_map(|o| o.shipments.iter().map(move |s| (o, s)))
            .filter(|(_, s)| s.batch_id == Some(id) && s.status != ShipmentStatus::Cancelled)
            .collect();
        // 同梱: one label per parcel, naming the items of every order packed into it.
        let mut packed: std::collections::BTreeMap<ShipmentId, Vec<String>> = Default::default();
        for (o, s) in live.iter().filter(|(_, s)| s.combined_into.is_some()) {
            packed
                .entry(s.parcel())
                .or_default()
                .extend(item_names(o, s));
        }
        let mut rows = Vec::new();
        for (o, s) in live.iter().filter(|(_, s)| s.combined_into.is_none()) {
            let mut row = label_row(o, s, today);
            if let Some(more) = packed.get(&s.id) {
                let mut names = item_names(o, s);
                names.extend(more.iter().cloned());
                row.item_name = describe(&names);
            }
            rows.push(row);
        }
        Ok(write(&self.carriers, &rows)?)
    }

    /// Ships every row of a tracking file through the normal flow (capture, deferred report, e-mail).
    /// `progress` is told (done, total) after each row.
    pub async fn import_tracking(
        &self,
        format: TrackingFormat,
        bytes: &[u8],
        actor: &Actor,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<TrackingImport, AppError> {
        let parsed = parse_tracking(format, bytes)?;
        let total = parsed.len();
        let mut out = TrackingImport {
            rows: Vec::with_capacity(total),
            summary: ImportSummary {
                rows: total,
                ..ImportSummary::default()
            },
        };
        // Rows of one shipment run in file order, in one lane; lanes run side by side so that
        // their commits can share a transaction where the store groups commits.
        let lanes = crate::lanes::by_key(parsed.iter().enumerate(), |&(_, r)| r.key.as_str());
        let mut outcomes: Vec<Option<RowOutcome>> = (0..total).map(|_| None).collect();
        let lanes: Vec<_> = lanes
            .into_iter()
            .map(|lane| self.import_lane(format, lane, actor))
            .collect();
        let mut running = futures::stream::iter(lanes).buffer_unordered(ROWS_AT_ONCE);
        let mut finished = 0;
        while let Some(done) = running.next().await {
            finished += done.len();
            for (i, outcome) in done {
                outcomes[i] = Some(outcome);
            }
            progress(finished, total);
        }
        for (r, outcome) in parsed.iter().zip(outcomes) {
            let outcome = outcome.unwrap_or_else(|| Err((None, "row was not processed".into())));
            let (shipment_id, result, message) = match outcome {
                Ok((id, result, message)) => (Some(id), result, message),
                Err((id, message)) => (id, RowResult::Error, message),
            };
            match result {
                RowResult::Shipped => out.summary.shipped += 1,
                RowResult::AlreadyShipped => out.summary.already_shipped += 1,
                RowResult::Delivered => out.summary.delivered += 1,
                RowResult::Error => out.summary.errors += 1,
            }
            out.rows.push(ImportedRow {
                row: r.row,
                shipment_id,
                result,
                message,
            });
        }
        Ok(out)
    }

    /// The rows of one shipment, in file order.
    async fn import_lane(
        &self,
        format: TrackingFormat,
        lane: Vec<(usize, &TrackingRow)>,
        actor: &Actor,
    ) -> Vec<(usize, RowOutcome)> {
        let mut done = Vec::with_capacity(lane.len());
        for (i, r) in lane {
            done.push((i, self.import_row(format, r, actor).await));
        }
        done
    }

    /// Ships the row's shipment, then records its delivery when the file says it was delivered.
    async fn import_row(
        &self,
        format: TrackingFormat,
        r: &TrackingRow,
        actor: &Actor,
    ) -> RowOutcome {
        let (id, result, message) = self.ship_row(format, r, actor).await?;
        let Some(day) = r.delivered_on else {
            return Ok((id, result, message));
        };
        let order_id = self
            .store
            .order_by_shipment(id)
            .await
            .map_err(|e| (Some(id), e.to_string()))?
            .ok_or_else(|| (Some(id), format!("no shipment {id}")))?;
        let order = self
            .load_order(order_id)
            .await
            .map_err(|e| (Some(id), e.to_string()))?;
        if order
            .shipments
            .iter()
            .any(|s| s.id == id && s.status == ShipmentStatus::Delivered)
        {
            return Ok((
                id,
                result,
                format!("order {} delivered already", order.number),
            ));
        }
        match self
            .deliver(id, Some(start_of_day_jst(day)), None, actor)
            .await
        {
            Ok(o) => Ok((
                id,
                RowResult::Delivered,
                format!("order {} {} ({day})", o.number, o.status),
            )),
            Err(e) => Err((
                Some(id),
                format!("order {}: {}", order.number, e.one_line()),
            )),
        }
    }

    async fn ship_row(
        &self,
        format: TrackingFormat,
        r: &TrackingRow,
        actor: &Actor,
    ) -> Result<(ShipmentId, RowResult, String), (Option<ShipmentId>, String)> {
        if let Some(e) = &r.error {
            return Err((None, e.clone()));
        }
        let id: ShipmentId = r
            .key
            .parse()
            .map_err(|_| (None, format!("`{}` is not a shipment key of juchu", r.key)))?;
        let fail = |m: String| (Some(id), m);
        let carrier = match format {
            TrackingFormat::YamatoB2 => Carrier::Yamato,
            TrackingFormat::SagawaEhiden => Carrier::Sagawa,
            TrackingFormat::JapanPostHistory => Carrier::Japanpost,
            TrackingFormat::Csv => {
                let name = r.carrier.as_deref().unwrap_or("");
                serde_json::from_value(serde_json::Value::String(name.to_owned()))
                    .map_err(|_| fail(format!("`{name}` is not a carrier")))?
            }
        };
        let shipped_at = match r.shipped_at.as_deref() {
            None => r.accepted_on.map(start_of_day_jst),
            Some(t) => Some(
                t.parse()
                    .map_err(|_| fail(format!("shipped_at `{t}` is not an RFC 3339 time")))?,
            ),
        };
        let tracking = validate_tracking_number(carrier, &r.tracking_number).map_err(fail)?;
        let order_id = self
            .store
            .order_by_shipment(id)
            .await
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail(format!("no shipment {id}")))?;
        let order = self
            .load_order(order_id)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if let Some(s) = order.shipments.iter().find(|s| s.id == id)
            && matches!(
                s.status,
                ShipmentStatus::Shipped | ShipmentStatus::Delivered
            )
        {
            // The same number again is a re-import; a different one is a mistake to look at.
            return if s.tracking_number.as_deref() == Some(tracking.as_str()) {
                Ok((
                    id,
                    RowResult::AlreadyShipped,
                    format!("order {} shipped already with {tracking}", order.number),
                ))
            } else {
                Err(fail(format!(
                    "order {} shipped already with {}",
                    order.number,
                    s.tracking_number.as_deref().unwrap_or("no tracking number")
                )))
            };
        }
        match self
            .ship(id, carrier, &tracking, shipped_at, None, actor)
            .await
        {
            Ok(o) => Ok((
                id,
                RowResult::Shipped,
                format!("order {} {}", o.number, o.status),
            )),
            Err(e) => Err(fail(format!("order {}: {}", order.number, e.one_line()))),
        }
    }
}

/// 00:00 in Japan on `day`: the time recorded for files that give only the day.
fn start_of_day_jst(day: Date) -> jiff::Timestamp {
    day.to_zoned(TimeZone::fixed(offset(9)))
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| jiff::Timestamp::UNIX_EPOCH)
}
