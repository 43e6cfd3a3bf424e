//! Stock effects of order actions, applied by the store as conditional updates.

/// A change of one SKU's stock in one warehouse. `allocated` moves with reservations and releases;
/// `on_hand` moves with shipments, receipts and adjustments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub warehouse: String,
    pub sku: String,
    pub on_hand: i64,
    pub allocated: i64,
    /// Why (for the stock ledger): `allocate`, `release`, `ship`, `adjust`, …
    pub reason: String,
}
