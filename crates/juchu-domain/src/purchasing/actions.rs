//! The purchase order's actions: checks first, then changes and a history entry. A refused action
//! returns an error and leaves the purchase order as it was.

use super::jst_date;
use super::{
    MAX_QUANTITY, PoLine, PoOrigin, PoStatus, PurchaseError, PurchaseOrder, invalid,
    is_supplier_location,
};
use crate::actor::Actor;
use crate::carrier::Carrier;
use crate::event::Event;
use crate::ids::{LineId, PurchaseOrderId};
use crate::order::Address;
use crate::stock::StockChange;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

impl PurchaseOrder {
    /// A new, empty draft.
    pub fn draft(
        supplier: &str,
        warehouse: &str,
        origin: PoOrigin,
        actor: &Actor,
        at: Timestamp,
    ) -> Self {
        let mut po = PurchaseOrder {
            id: PurchaseOrderId::new(),
            supplier: supplier.to_owned(),
            warehouse: warehouse.to_owned(),
            status: PoStatus::Draft,
            origin,
            drop_ship: origin == PoOrigin::DropShip,
            order_id: None,
            order_number: None,
            ship_to: None,
            shipment_id: None,
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            lines: Vec::new(),
            version: 1,
            created_at: at,
            updated_at: at,
            sent_at: None,
            received_at: None,
            shipped_at: None,
            history: Vec::new(),
        };
        po.record(
            "purchase_order.created",
            actor,
            at,
            json!({"supplier": supplier, "warehouse": warehouse, "origin": origin}),
        );
        po
    }

    fn record(&mut self, kind: &str, actor: &Actor, at: Timestamp, data: serde_json::Value) {
        self.history.push(Event::new(kind, actor, at, data));
        self.updated_at = at;
    }

    fn touch(&mut self) {
        self.version += 1;
    }

    fn refuse(&self, why: impl Into<String>) -> PurchaseError {
        PurchaseError::NotAllowed {
            status: self.status,
            why: why.into(),
        }
    }

    /// Adds units of a SKU to a draft (merged with a line of the same SKU and order line).
    pub fn add_line(
        &mut self,
        sku: &str,
        name: &str,
        quantity: i64,
        lead_time_days: Option<i32>,
        line_id: Option<LineId>,
    ) -> Result<(), PurchaseError> {
        if self.status != PoStatus::Draft {
            return Err(self.refuse("lines are added to drafts only"));
        }
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(invalid(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        match self
            .lines
            .iter_mut()
            .find(|l| l.sku == sku && l.line_id == line_id)
        {
            Some(l) if l.quantity + quantity > MAX_QUANTITY => {
                return Err(invalid(
                    "quantity",
                    format!("a line may carry at most {MAX_QUANTITY}"),
                ));
            }
            Some(l) => l.quantity += quantity,
            None => self.lines.push(PoLine {
                sku: sku.to_owned(),
                name: name.to_owned(),
                quantity,
                received_quantity: 0,
                lead_time_days,
                expected_date: None,
                line_id,
            }),
        }
        Ok(())
    }

    /// Records lines added in one go (one history entry), e.g. by a shortage run.
    pub fn note_lines_added(&mut self, added: &[(String, i64)], actor: &Actor, at: Timestamp) {
        let lines: Vec<_> = added
            .iter()
            .map(|(sku, q)| json!({"sku": sku, "quantity": q}))
            .collect();
        self.record(
            "purchase_order.lines_added",
            actor,
            at,
            json!({ "lines": lines }),
        );
        self.touch();
    }

    /// Drop-ship: a draft's lines and address follow its order (modification, split).
    pub fn replace_lines(
        &mut self,
        lines: Vec<PoLine>,
        ship_to: Option<Address>,
        actor: &Actor,
        at: Timestamp,
    ) {
        let data: Vec<_> = lines
            .iter()
            .map(|l| json!({"sku": l.sku, "quantity": l.quantity}))
            .collect();
        self.lines = lines;
        self.ship_to = ship_to;
        self.record(
            "purchase_order.lines_changed",
            actor,
            at,
            json!({ "lines": data }),
        );
        self.touch();
    }

    /// Draft → sent: the supplier has it. Each line's expected date is the sending day (Asia/Tokyo)
    /// plus its lead time.
    pub fn send(&mut self, actor: &Actor, at: Timestamp) -> Result<(), PurchaseError> {
        if self.status != PoStatus::Draft {
            return Err(self.refuse("only a draft can be sent"));
        }
        if self.lines.is_empty() {
            return Err(self.refuse("it has no lines"));
        }
        let day = jst_date(at);
        for l in &mut self.lines {
            let days = i64::from(l.lead_time_days.unwrap_or(0));
            l.expected_date = day.checked_add(SignedDuration::from_hours(24 * days)).ok();
        }
        self.status = PoStatus::Sent;
        self.sent_at = Some(at);
        self.record("purchase_order.sent", actor, at, json!({}));
        self.touch();
        Ok(())
    }

    /// Goods arrived at the warehouse (full or partial): the lines are marked received and the stock
    /// changes to apply are returned (on hand up, one change per SKU).
    pub fn receive(
        &mut self,
        lines: &[(String, i64)],
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Vec<StockChange>, PurchaseError> {
        if self.drop_ship {
            return Err(self.refuse("a drop-ship purchase order is shipped by the supplier to the customer, not received"));
        }
        if !matches!(self.status, PoStatus::Sent | PoStatus::PartiallyReceived) {
            return Err(self.refuse("only a sent purchase order can receive goods"));
        }
        if lines.is_empty() {
            return Err(invalid("lines", "must list at least one SKU"));
        }
        let mut next = self.lines.clone();
        let mut changes: Vec<StockChange> = Vec::new();
        for (i, (sku, q)) in lines.iter().enumerate() {
            let field = format!("lines[{i}].quantity");
            if !(1..=MAX_QUANTITY).contains(q) {
                return Err(invalid(
                    field,
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            let Some(line) = next.iter_mut().find(|l| &l.sku == sku) else {
                return Err(invalid(
                    format!("lines[{i}].sku"),
                    format!("`{sku}` is not on this purchase order"),
                ));
            };
            if *q > line.outstanding() {
                return Err(invalid(
                    field,
                    format!(
                        "{q} exceeds the {} of {sku} still outstanding",
                        line.outstanding()
                    ),
                ));
            }
            line.received_quantity += q;
            match changes.iter_mut().find(|c| &c.sku == sku) {
                Some(c) => c.on_hand += q,
                None => changes.push(StockChange {
                    warehouse: self.warehouse.clone(),
                    sku: sku.clone(),
                    on_hand: *q,
                    allocated: 0,
                    reason: "po_receipt".into(),
                }),
            }
        }
        self.lines = next;
        let done = self.lines.iter().all(|l| l.outstanding() == 0);
        self.status = if done {
            self.received_at = Some(at);
            PoStatus::Received
        } else {
            PoStatus::PartiallyReceived
        };
        let got: Vec<_> = changes
            .iter()
            .map(|c| json!({"sku": c.sku, "quantity": c.on_hand}))
            .collect();
        self.record(
            "purchase_order.received",
            actor,
            at,
            json!({"lines": got, "status": self.status}),
        );
        self.touch();
        Ok(changes)
    }

    /// Cancels a purchase order before anything arrived or shipped.
    pub fn cancel(
        &mut self,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), PurchaseError> {
        if !matches!(self.status, PoStatus::Draft | PoStatus::Sent) {
            return Err(self.refuse(
                "only a draft or sent purchase order with nothing received can be cancelled",
            ));
        }
        self.status = PoStatus::Cancelled;
        self.record(
            "purchase_order.cancelled",
            actor,
            at,
            json!({"reason": reason}),
        );
        self.touch();
        Ok(())
    }

    /// Drop-ship: the supplier shipped to the customer.
    pub fn mark_shipped(
        &mut self,
        carrier: Option<Carrier>,
        tracking_number: Option<String>,
        shipped_at: Timestamp,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), PurchaseError> {
        if !self.drop_ship || self.status != PoStatus::Sent {
            return Err(self.refuse("only a sent drop-ship purchase order can ship"));
        }
        self.status = PoStatus::Shipped;
        self.tracking_url = match (carrier, tracking_number.as_deref()) {
            (Some(c), Some(n)) => c.tracking_url(n),
            _ => None,
        };
        self.carrier = carrier;
        self.tracking_number = tracking_number;
        self.shipped_at = Some(shipped_at);
        self.record("purchase_order.shipped", actor, at, json!({"carrier": carrier, "tracking_number": self.tracking_number, "shipped_at": shipped_at}));
        self.touch();
        Ok(())
    }

    pub fn total_quantity(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Everything wrong with one stored purchase order; empty when it is sound.
    pub fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in &self.lines {
            if l.quantity <= 0 || l.received_quantity < 0 || l.received_quantity > l.quantity {
                out.push(format!(
                    "purchase order {} line {}: received {} of {}",
                    self.id, l.sku, l.received_quantity, l.quantity
                ));
            }
        }
        let all = self.lines.iter().all(|l| l.outstanding() == 0);
        if self.status == PoStatus::Received && !all {
            out.push(format!(
                "purchase order {} is received with goods outstanding",
                self.id
            ));
        }
        if self.drop_ship != is_supplier_location(&self.warehouse) {
            out.push(format!(
                "purchase order {}: drop_ship {} but delivered to {}",
                self.id, self.drop_ship, self.warehouse
            ));
        }
        out
    }
}
