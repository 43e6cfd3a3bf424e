-- Purchase orders (発注) and drop-shipping (直送).

ALTER TABLE skus ADD COLUMN lead_time_days INTEGER;

-- The stock ledger names the purchase order a receipt came from.
ALTER TABLE stock_movements ADD COLUMN po_id TEXT COLLATE "C";

-- Purchase orders are JSON documents (the API shape) plus the columns that queries need.
CREATE TABLE purchase_orders (
    id         TEXT COLLATE "C" PRIMARY KEY,
    supplier   TEXT COLLATE "C" NOT NULL,
    warehouse  TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL,
    drop_ship  BOOLEAN NOT NULL,
    order_id   TEXT COLLATE "C",
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX purchase_orders_status ON purchase_orders (status, id);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier, id);
-- One live drop-ship purchase order per order and supplier, even when two workers race to create it.
CREATE UNIQUE INDEX purchase_orders_drop_ship ON purchase_orders (order_id, supplier)
    WHERE drop_ship AND status <> 'cancelled';

-- The purchasing version: moved by every write of a purchase order for a warehouse, so that a
-- shortage run that read an older state cannot order the same shortage twice. Its row lock also
-- queues concurrent writers of such purchase orders; it is always taken last in a transaction.
CREATE TABLE purchasing_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO purchasing_state (id, version) VALUES (1, 0);
