-- juchu schema for PostgreSQL. Times are BIGINT microseconds since the Unix epoch (UTC), as in
-- the SQLite schema, so both backends share the codec and the data moves between them unchanged.
--
-- Codes and ids are TEXT COLLATE "C": ordering and range comparisons (`ORDER BY code`,
-- `id < $1` paging over time-ordered UUIDs) then follow byte order like SQLite, whatever locale
-- the database was created with, and every column that is joined with another uses the same
-- collation.

CREATE TABLE skus (
    code      TEXT COLLATE "C" PRIMARY KEY,
    name      TEXT NOT NULL,
    tax_rate  INTEGER NOT NULL CHECK (tax_rate IN (8, 10)),
    supplier  TEXT,
    drop_ship BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE warehouses (
    code        TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    -- A JSON array of prefecture names, the same encoding as in SQLite.
    prefectures TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE stock (
    warehouse TEXT COLLATE "C" NOT NULL REFERENCES warehouses (code),
    sku       TEXT COLLATE "C" NOT NULL REFERENCES skus (code),
    on_hand   BIGINT NOT NULL DEFAULT 0,
    allocated BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse, sku),
    CHECK (allocated >= 0 AND allocated <= on_hand)
);

CREATE TABLE stock_movements (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT NOT NULL,
    warehouse       TEXT COLLATE "C" NOT NULL,
    sku             TEXT COLLATE "C" NOT NULL,
    on_hand_delta   BIGINT NOT NULL,
    allocated_delta BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    order_id        TEXT COLLATE "C",
    actor           TEXT NOT NULL
);
CREATE INDEX stock_movements_sku ON stock_movements (sku, warehouse, id);

-- Order numbers come from a sequence rather than a counter row: `nextval` never blocks and is
-- never rolled back, so concurrent intakes do not queue on one row (gaps are allowed).
CREATE SEQUENCE order_number AS BIGINT START WITH 100001;

CREATE TABLE orders (
    id          TEXT COLLATE "C" PRIMARY KEY,
    number      BIGINT NOT NULL UNIQUE,
    channel     TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C" NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    priority    INTEGER NOT NULL,
    on_hold     BOOLEAN NOT NULL,
    ordered_at  BIGINT NOT NULL,
    search      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    CONSTRAINT orders_channel_external_id UNIQUE (channel, external_id)
);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_waiting ON orders (priority, ordered_at)
    WHERE status IN ('unallocated', 'partially_allocated') AND NOT on_hold;

CREATE TABLE order_events (
    seq      BIGSERIAL PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL,
    kind     TEXT NOT NULL,
    at       BIGINT NOT NULL,
    event    TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, seq);

CREATE TABLE allocations (
    order_id  TEXT COLLATE "C" NOT NULL,
    line_id   TEXT COLLATE "C" NOT NULL,
    warehouse TEXT COLLATE "C" NOT NULL,
    sku       TEXT COLLATE "C" NOT NULL,
    quantity  BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_id, warehouse)
);
CREATE INDEX allocations_stock ON allocations (warehouse, sku);

CREATE TABLE shipping_batches (
    id         TEXT COLLATE "C" PRIMARY KEY,
    warehouse  TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE shipments (
    id              TEXT COLLATE "C" PRIMARY KEY,
    order_id        TEXT COLLATE "C" NOT NULL,
    batch_id        TEXT COLLATE "C",
    warehouse       TEXT COLLATE "C" NOT NULL,
    status          TEXT NOT NULL,
    tracking_number TEXT
);
CREATE INDEX shipments_batch ON shipments (batch_id);
CREATE INDEX shipments_order ON shipments (order_id);

CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    available_at BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    dedupe_key   TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, available_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status = 'pending';

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE idempotency (
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    status     INTEGER,
    body       BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
