-- Order review (注文確認): shared settings (the review rules), the blacklist and postal data.

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE blacklist (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'address', 'customer_id')),
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (kind, value)
);

CREATE TABLE postal_codes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL,
    jis        TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    city       TEXT NOT NULL,
    town       TEXT NOT NULL
);
CREATE INDEX postal_codes_code ON postal_codes (code);

