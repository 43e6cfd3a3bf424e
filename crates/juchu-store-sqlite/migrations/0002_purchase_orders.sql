-- Purchase orders (発注) and drop-shipping (直送).

ALTER TABLE skus ADD COLUMN lead_time_days INTEGER;

-- The stock ledger names the purchase order a receipt came from.
ALTER TABLE stock_movements ADD COLUMN po_id TEXT;

-- Purchase orders are JSON documents (the API shape) plus the columns that queries need.
CREATE TABLE purchase_orders (
    id         TEXT PRIMARY KEY,
    supplier   TEXT NOT NULL,
    warehouse  TEXT NOT NULL,
    status     TEXT NOT NULL,
    drop_ship  INTEGER NOT NULL,
    order_id   TEXT,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX purchase_orders_status ON purchase_orders (status, id);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier, id);
-- One live drop-ship purchase order per order and supplier, even when two workers race to create it.
CREATE UNIQUE INDEX purchase_orders_drop_ship ON purchase_orders (order_id, supplier)
    WHERE drop_ship = 1 AND status <> 'cancelled';

-- The purchasing version: moved by every write of a purchase order for a warehouse, so that a
-- shortage run that read an older state cannot order the same shortage twice.
CREATE TABLE purchasing_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO purchasing_state (id, version) VALUES (1, 0);
