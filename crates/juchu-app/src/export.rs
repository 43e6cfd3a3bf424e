//! Warehouse files for a shipping-instruction batch: a JSON document and a flat CSV (one row per
//! shipment line) for a WMS. Carrier label layouts (B2, e飛伝) are written by `juchu-formats`
//! through `App::export_shipping` (they need the shop's shipper settings).

use crate::AppError;
use juchu_domain::Order;
use juchu_domain::payment::PaymentMethod;
use juchu_domain::shipment::ShipmentStatus;
use juchu_store::BatchRecord;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    /// ヤマト B2クラウド 外部データ取込 (Shift_JIS).
    YamatoB2,
    /// 佐川 e飛伝Ⅲ 出荷データ (Shift_JIS).
    SagawaEhiden,
    /// 日本郵便 ゆうパックプリントR 外部データ取込, juchu's layout (Shift_JIS, no header).
    JapanPostYupri,
    /// 日本郵便 クリックポスト まとめ申込 CSV (Shift_JIS).
    ClickPost,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            "yamato-b2" => Ok(ExportFormat::YamatoB2),
            "sagawa-ehiden" => Ok(ExportFormat::SagawaEhiden),
            "japanpost-yupri" => Ok(ExportFormat::JapanPostYupri),
            "clickpost" => Ok(ExportFormat::ClickPost),
            other => Err(AppError::invalid(
                "format",
                format!(
                    "`{other}` is not available; use json, csv, yamato-b2, sagawa-ehiden, \
                     japanpost-yupri or clickpost"
                ),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::YamatoB2
            | ExportFormat::SagawaEhiden
            | ExportFormat::JapanPostYupri
            | ExportFormat::ClickPost => "text/csv; charset=Shift_JIS",
        }
    }
}

const CSV_HEADER: [&str; 22] = [
    "batch_id",
    "warehouse",
    "shipment_id",
    "order_number",
    "external_id",
    "ship_to_name",
    "postal_code",
    "prefecture",
    "city",
    "line1",
    "line2",
    "phone",
    "delivery_date",
    "time_slot",
    "payment_method",
    "cod_amount",
    "sku",
    "name",
    "quantity",
    "parcel_id",
    "status",
    "cancel_reason",
];

/// Why the shop asks the warehouse to stop a `cancel_requested` shipment; empty otherwise.
fn cancel_reason(s: &juchu_domain::shipment::Shipment) -> String {
    match (s.status, &s.cancel_request) {
        (ShipmentStatus::CancelRequested, Some(r)) => r.reason.clone(),
        _ => String::new(),
    }
}

/// The shipments of `batch`, with what a warehouse needs to pick, pack and label them.
pub fn export_batch(
    batch: &BatchRecord,
    orders: &[Order],
    format: ExportFormat,
) -> Result<Vec<u8>, AppError> {
    let mut shipments = Vec::new();
    for o in orders {
        for s in o
            .shipments
            .iter()
            .filter(|s| s.batch_id == Some(batch.id) && s.status != ShipmentStatus::Cancelled)
        {
            shipments.push((o, s));
        }
    }
    let cod = |o: &Order, amount: juchu_domain::Money| {
        if o.payment.method == PaymentMethod::Cod {
            amount.minor()
        } else {
            0
        }
    };
    match format {
        ExportFormat::Json => {
            let items: Vec<_> = shipments
                .iter()
                .map(|(o, s)| {
                    json!({
                        "shipment_id": s.id, "order_id": o.id, "order_number": o.number, "external_id": o.external_id,
                        "status": s.status, "cancel_reason": s.cancel_request.as_ref().map(|r| r.reason.as_str()), "parcel_id": s.parcel(), "ship_to": o.shipping_address, "delivery": o.delivery, "notes": o.notes,
                        "payment_method": o.payment.method, "cod_amount": cod(o, s.amount),
                        "lines": s.lines.iter().map(|l| json!({
                            "line_id": l.line_id, "sku": l.sku, "quantity": l.quantity,
                            "name": o.line(l.line_id).map(|x| x.name.as_str()).unwrap_or(""),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = json!({"id": batch.id, "warehouse": batch.warehouse, "created_at": batch.created_at, "shipments": items});
            serde_json::to_vec_pretty(&doc).map_err(|e| AppError::invalid("format", e.to_string()))
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let fail = |e: csv::Error| AppError::invalid("format", e.to_string());
            w.write_record(CSV_HEADER).map_err(fail)?;
            for (o, s) in &shipments {
                let a = &o.shipping_address;
                let d = o.delivery.clone().unwrap_or_default();
                for l in &s.lines {
                    w.write_record([
                        batch.id.to_string(),
                        batch.warehouse.clone(),
                        s.id.to_string(),
                        o.number.to_string(),
                        o.external_id.clone(),
                        a.name.clone(),
                        a.postal_code.clone(),
                        a.prefecture.clone(),
                        a.city.clone(),
                        a.line1.clone(),
                        a.line2.clone().unwrap_or_default(),
                        a.phone.clone().unwrap_or_default(),
                        d.date.map(|x| x.to_string()).unwrap_or_default(),
                        d.time_slot.clone().unwrap_or_default(),
                        o.payment.method.as_str().to_owned(),
                        cod(o, s.amount).to_string(),
                        l.sku.clone(),
                        o.line(l.line_id)
                            .map(|x| x.name.clone())
                            .unwrap_or_default(),
                        l.quantity.to_string(),
                        s.parcel().to_string(),
                        s.status.as_str().to_owned(),
                        cancel_reason(s),
                    ])
                    .map_err(fail)?;
                }
            }
            w.into_inner()
                .map_err(|e| AppError::invalid("format", e.to_string()))
        }
        ExportFormat::YamatoB2
        | ExportFormat::SagawaEhiden
        | ExportFormat::JapanPostYupri
        | ExportFormat::ClickPost => Err(AppError::invalid(
            "format",
            "carrier layouts need the shipper settings: use App::export_shipping",
        )),
    }
}

impl crate::App {
    /// The newest shipping-instruction batches (at most `limit`, 1–500), to pick a file from.
    pub async fn recent_batches(
        &self,
        limit: i64,
    ) -> Result<Vec<juchu_store::BatchSummary>, AppError> {
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 500"));
        }
        Ok(self.store.recent_batches(limit).await?)
    }
}
