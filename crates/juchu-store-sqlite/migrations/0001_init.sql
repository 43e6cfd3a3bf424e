-- juchu schema for SQLite. Times are INTEGER microseconds since the Unix epoch (UTC).

CREATE TABLE skus (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    tax_rate  INTEGER NOT NULL CHECK (tax_rate IN (8, 10)),
    supplier  TEXT,
    drop_ship INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE warehouses (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    prefectures TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE stock (
    warehouse TEXT NOT NULL REFERENCES warehouses (code),
    sku       TEXT NOT NULL REFERENCES skus (code),
    on_hand   INTEGER NOT NULL DEFAULT 0,
    allocated INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse, sku),
    CHECK (allocated >= 0 AND allocated <= on_hand)
);

CREATE TABLE stock_movements (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    warehouse       TEXT NOT NULL,
    sku             TEXT NOT NULL,
    on_hand_delta   INTEGER NOT NULL,
    allocated_delta INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    order_id        TEXT,
    actor           TEXT NOT NULL
);
CREATE INDEX stock_movements_sku ON stock_movements (sku, warehouse, id);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('order_number', 100000);

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    number      INTEGER NOT NULL UNIQUE,
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    priority    INTEGER NOT NULL,
    on_hold     INTEGER NOT NULL,
    ordered_at  INTEGER NOT NULL,
    search      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_waiting ON orders (priority, ordered_at)
    WHERE status IN ('unallocated', 'partially_allocated') AND on_hold = 0;

CREATE TABLE order_events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    event    TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, seq);

CREATE TABLE allocations (
    order_id  TEXT NOT NULL,
    line_id   TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    sku       TEXT NOT NULL,
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_id, warehouse)
);
CREATE INDEX allocations_stock ON allocations (warehouse, sku);

CREATE TABLE shipping_batches (
    id         TEXT PRIMARY KEY,
    warehouse  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE shipments (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL,
    batch_id        TEXT,
    warehouse       TEXT NOT NULL,
    status          TEXT NOT NULL,
    tracking_number TEXT
);
CREATE INDEX shipments_batch ON shipments (batch_id);
CREATE INDEX shipments_order ON shipments (order_id);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    available_at INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until INTEGER,
    last_error   TEXT,
    dedupe_key   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, available_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status = 'pending';

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE idempotency (
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    status     INTEGER,
    body       BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
