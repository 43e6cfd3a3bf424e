//! The purchase-order file for the supplier: JSON (the purchase order as the API shows it) or a
//! flat EDI-style CSV: one header record `H`, then one record `L` per line; no title row; UTF-8,
//! CRLF line ends. Columns are documented in docs/purchase-orders.md.

use crate::AppError;
use juchu_domain::purchasing::{PurchaseOrder, jst_date};

/// `format=` of the purchase-order export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoExportFormat {
    Json,
    Csv,
}

impl PoExportFormat {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "json" => Ok(PoExportFormat::Json),
            "csv" => Ok(PoExportFormat::Csv),
            other => Err(AppError::invalid(
                "format",
                format!("`{other}` is not available; use csv or json"),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PoExportFormat::Json => "application/json",
            PoExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The columns of the `H` record.
pub const PO_HEADER_COLUMNS: [&str; 17] = [
    "record_type",
    "po_id",
    "po_date",
    "supplier",
    "status",
    "delivery_type",
    "warehouse",
    "order_number",
    "ship_to_name",
    "ship_to_postal_code",
    "ship_to_prefecture",
    "ship_to_city",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_phone",
    "line_count",
    "total_quantity",
];

/// The columns of an `L` record.
pub const PO_LINE_COLUMNS: [&str; 8] = [
    "record_type",
    "po_id",
    "line_no",
    "sku",
    "name",
    "quantity",
    "received_quantity",
    "expected_date",
];

fn yyyymmdd(d: jiff::civil::Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

pub fn export_purchase_order(
    po: &PurchaseOrder,
    format: PoExportFormat,
) -> Result<Vec<u8>, AppError> {
    let fail = |e: String| AppError::invalid("format", e);
    match format {
        PoExportFormat::Json => serde_json::to_vec_pretty(po).map_err(|e| fail(e.to_string())),
        PoExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new());
            let a = po.ship_to.clone();
            let a_ref = a.as_ref();
            let field = |f: fn(&juchu_domain::Address) -> Option<String>| {
                a_ref.and_then(f).unwrap_or_default()
            };
            let header = [
                "H".to_owned(),
                po.id.to_string(),
                yyyymmdd(jst_date(po.sent_at.unwrap_or(po.created_at))),
                po.supplier.clone(),
                po.status.as_str().to_owned(),
                if po.drop_ship {
                    "drop_ship"
                } else {
                    "warehouse"
                }
                .to_owned(),
                if po.drop_ship {
                    String::new()
                } else {
                    po.warehouse.clone()
                },
                po.order_number.map(|n| n.to_string()).unwrap_or_default(),
                field(|a| Some(a.name.clone())),
                field(|a| Some(a.postal_code.clone())),
                field(|a| Some(a.prefecture.clone())),
                field(|a| Some(a.city.clone())),
                field(|a| Some(a.line1.clone())),
                field(|a| a.line2.clone()),
                field(|a| a.phone.clone()),
                po.lines.len().to_string(),
                po.total_quantity().to_string(),
            ];
            w.write_record(&header).map_err(|e| fail(e.to_string()))?;
            for (i, l) in po.lines.iter().enumerate() {
                w.write_record([
                    "L".to_owned(),
                    po.id.to_string(),
                    (i + 1).to_string(),
                    l.sku.clone(),
                    l.name.clone(),
                    l.quantity.to_string(),
                    l.received_quantity.to_string(),
                    l.expected_date.map(yyyymmdd).unwrap_or_default(),
                ])
                .map_err(|e| fail(e.to_string()))?;
            }
            w.into_inner().map_err(|e| fail(e.to_string()))
        }
    }
}
