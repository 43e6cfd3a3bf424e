//! What the order detail page shows, as text ready for the template: the order's parts with
//! Japanese (or English) labels, the payment ledger and the timeline from its events.

use super::labels;
use super::order_events::{EventRow, actor_text, event_row, is_money_event};
use crate::format::{jst, yen};
use crate::i18n::{self, Lang};
use juchu_domain::returns::ReturnStatus;
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{Address, Order};
use juchu_store::EventRecord;

pub struct LineRow {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub amount: String,
    pub tax_rate: i64,
    pub allocated: i64,
    pub shipped: i64,
    pub returned: i64,
    /// Shipped and not yet returned or announced: what a return may take.
    pub returnable: i64,
    /// Not shipped: what a split may move.
    pub splittable: i64,
}

pub struct TaxRow {
    pub rate: i64,
    pub base: String,
    pub tax: String,
}

pub struct AddressView {
    pub name: String,
    pub postal: String,
    pub postal_code: String,
    pub prefecture: String,
    pub city: String,
    pub line1: String,
    pub line2: String,
    pub phone: String,
}

impl AddressView {
    fn of(a: &Address) -> Self {
        AddressView {
            name: a.name.clone(),
            postal: labels::postal(&a.postal_code),
            postal_code: a.postal_code.clone(),
            prefecture: a.prefecture.clone(),
            city: a.city.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone().unwrap_or_default(),
            phone: a.phone.clone().unwrap_or_default(),
        }
    }
}

pub struct HoldRow {
    pub code: String,
    pub label: String,
    pub reason: String,
    pub placed_at: String,
}

pub struct AllocationRow {
    pub sku: String,
    pub warehouse: String,
    pub quantity: i64,
    pub reason: String,
}

pub struct ShipmentRow {
    pub id: String,
    pub warehouse: String,
    pub status: ShipmentStatus,
    pub status_label: String,
    pub amount: String,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: String,
    pub batch_id: String,
    pub instructed_at: String,
    pub shipped_at: String,
    pub delivered_at: String,
    pub lines: String,
    pub cancel_reason: String,
    pub recognized: bool,
}

impl ShipmentRow {
    /// Waiting for the warehouse to ship it (a pending cancellation does not stop a shipment).
    pub fn shippable(&self) -> bool {
        matches!(
            self.status,
            ShipmentStatus::Instructed | ShipmentStatus::CancelRequested
        )
    }

    pub fn in_transit(&self) -> bool {
        self.status == ShipmentStatus::Shipped
    }

    /// A delivery record an operator may correct: shipped or delivered, revenue not yet booked.
    pub fn correctable(&self) -> bool {
        matches!(
            self.status,
            ShipmentStatus::Shipped | ShipmentStatus::Delivered
        ) && !self.recognized
    }

    pub fn cancel_requested(&self) -> bool {
        self.status == ShipmentStatus::CancelRequested
    }
}

pub struct ReturnRow {
    pub id: String,
    pub requested: bool,
    pub status: String,
    pub reason: String,
    pub lines: String,
    pub refund: String,
    pub points_revoked: i64,
    pub requested_at: String,
    pub received_at: String,
}

pub struct PayoutRow {
    pub id: String,
    pub amount: String,
    pub paid: bool,
    pub requested_at: String,
    pub paid_at: String,
    pub bank_reference: String,
}

pub struct OrderView {
    pub lines: Vec<LineRow>,
    pub fees: Vec<(String, String)>,
    pub items: String,
    pub shipping_fee: String,
    pub discount: String,
    pub points_used: String,
    pub total: String,
    pub tax: Vec<TaxRow>,
    pub shipping: AddressView,
    pub billing: Option<AddressView>,
    pub delivery_date: String,
    pub time_slot: String,
    pub time_slot_code: String,
    pub ordered_at: String,
    pub status_label: String,
    pub payment_method: String,
    pub payment_status: String,
    pub authorized: String,
    pub captured: String,
    pub refunded: String,
    pub due_date: String,
    /// What is still to be paid (the default of the payment confirmation form).
    pub payment_due: i64,
    pub holds: Vec<HoldRow>,
    pub allocations: Vec<AllocationRow>,
    pub shipments: Vec<ShipmentRow>,
    pub returns: Vec<ReturnRow>,
    pub payouts: Vec<PayoutRow>,
    /// Payment, payout and revenue events: the money history of the order.
    pub ledger: Vec<EventRow>,
    /// Every event, newest first.
    pub timeline: Vec<EventRow>,
    pub cancel_request: Option<(String, String, String)>,
}

fn opt_time(t: Option<jiff::Timestamp>) -> String {
    t.map(jst).unwrap_or_default()
}

impl OrderView {
    pub fn new(lang: Lang, o: &Order, events: &[EventRecord]) -> Self {
        let lines = o
            .lines
            .iter()
            .map(|l| LineRow {
                id: l.id.to_string(),
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: yen(l.unit_price),
                amount: yen(l.amount()),
                tax_rate: l.tax_rate.percent(),
                allocated: l.allocated_quantity,
                shipped: l.shipped_quantity,
                returned: l.returned_quantity,
                returnable: o.returnable_quantity(l.id),
                splittable: l.quantity - l.shipped_quantity,
            })
            .collect();
        let sku_of = |id| o.line(id).map(|l| l.sku.clone()).unwrap_or_default();
        let shipments = o
            .shipments
            .iter()
            .map(|s| ShipmentRow {
                id: s.id.to_string(),
                warehouse: s.warehouse.clone(),
                status: s.status,
                status_label: labels::shipment_status(lang, s.status).to_owned(),
                amount: yen(s.amount),
                carrier: s
                    .carrier
                    .map(|c| labels::carrier(lang, c).to_owned())
                    .unwrap_or_default(),
                tracking_number: s.tracking_number.clone().unwrap_or_default(),
                tracking_url: s.tracking_url.clone().unwrap_or_default(),
                batch_id: s.batch_id.map(|b| b.to_string()).unwrap_or_default(),
                instructed_at: opt_time(s.instructed_at),
                shipped_at: opt_time(s.shipped_at),
                delivered_at: opt_time(s.delivered_at),
                lines: s
                    .lines
                    .iter()
                    .map(|l| format!("{} × {}", l.sku, l.quantity))
                    .collect::<Vec<_>>()
                    .join(", "),
                cancel_reason: s
                    .cancel_request
                    .as_ref()
                    .map(|c| c.reason.clone())
                    .unwrap_or_default(),
                recognized: s.revenue_recognized_at.is_some(),
            })
            .collect();
        let returns = o
            .returns
            .iter()
            .map(|r| ReturnRow {
                id: r.id.to_string(),
                requested: r.status == ReturnStatus::Requested,
                status: match r.status {
                    ReturnStatus::Requested => lang.t("返品依頼中", "requested"),
                    ReturnStatus::Received => lang.t("受領済", "received"),
                }
                .to_owned(),
                reason: r.reason.clone(),
                lines: r
                    .lines
                    .iter()
                    .map(|l| {
                        let what = if l.restock {
                            lang.t("在庫戻し", "restock")
                        } else {
                            lang.t("廃棄", "dispose")
                        };
                        format!("{} × {} ({what})", sku_of(l.line_id), l.quantity)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                refund: yen(r.refund_amount),
                points_revoked: r.points_revoked,
                requested_at: jst(r.requested_at),
                received_at: opt_time(r.received_at),
            })
            .collect();
        let timeline = events.iter().rev().map(|r| event_row(lang, r)).collect();
        let ledger = events
            .iter()
            .filter(|r| is_money_event(&r.event.kind))
            .map(|r| event_row(lang, r))
            .collect();
        let p = &o.payment;
        OrderView {
            lines,
            fees: o
                .fees
                .iter()
                .map(|f| (f.kind.clone(), yen(f.amount)))
                .collect(),
            items: yen(o.totals.items),
            shipping_fee: yen(o.totals.shipping_fee),
            discount: yen(o.totals.discount),
            points_used: yen(o.totals.points_used),
            total: yen(o.totals.total),
            tax: o
                .totals
                .tax
                .iter()
                .map(|t| TaxRow {
                    rate: t.rate.percent(),
                    base: yen(t.base),
                    tax: yen(t.tax),
                })
                .collect(),
            shipping: AddressView::of(&o.shipping_address),
            billing: o.billing_address.as_ref().map(AddressView::of),
            delivery_date: o
                .delivery
                .as_ref()
                .and_then(|d| d.date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            time_slot: o
                .delivery
                .as_ref()
                .and_then(|d| d.time_slot.as_deref())
                .map(|s| labels::time_slot(lang, s))
                .unwrap_or_default(),
            time_slot_code: o
                .delivery
                .as_ref()
                .and_then(|d| d.time_slot.clone())
                .unwrap_or_default(),
            ordered_at: jst(o.ordered_at),
            status_label: i18n::status_label(lang, o.status).to_owned(),
            payment_method: i18n::payment_method_label(lang, p.method).to_owned(),
            payment_status: i18n::payment_status_label(lang, p.status).to_owned(),
            authorized: yen(p.authorized_amount),
            captured: yen(p.captured_amount),
            refunded: yen(p.refunded_amount),
            due_date: p.due_date.map(|d| d.to_string()).unwrap_or_default(),
            payment_due: (o.totals.total - p.captured_amount).minor().max(0),
            holds: o
                .holds
                .iter()
                .map(|h| HoldRow {
                    code: h.code.as_str().to_owned(),
                    label: i18n::hold_label(lang, h.code).to_owned(),
                    reason: h.reason.clone(),
                    placed_at: jst(h.placed_at),
                })
                .collect(),
            allocations: o
                .allocations
                .iter()
                .map(|a| AllocationRow {
                    sku: a.sku.clone(),
                    warehouse: a.warehouse.clone(),
                    quantity: a.quantity,
                    reason: a.reason.clone(),
                })
                .collect(),
            shipments,
            returns,
            payouts: p
                .payouts
                .iter()
                .map(|x| PayoutRow {
                    id: x.id.clone(),
                    amount: yen(x.amount),
                    paid: x.paid_at.is_some(),
                    requested_at: jst(x.requested_at),
                    paid_at: opt_time(x.paid_at),
                    bank_reference: x.bank_reference.clone().unwrap_or_default(),
                })
                .collect(),
            ledger,
            timeline,
            cancel_request: o.cancel_request.as_ref().map(|c| {
                (
                    c.reason.clone(),
                    actor_text(&c.requested_by),
                    jst(c.requested_at),
                )
            }),
        }
    }
}
