-- Loyalty points (docs/points.md): one balance row per customer, never negative, and the ledger
-- of every movement. Credits (grant, restore, positive adjust) keep what is left of them in
-- `remaining`; debits take from the soonest-expiring credits first.
CREATE TABLE points_balances (
    customer_id TEXT COLLATE "C" PRIMARY KEY,
    balance     BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

CREATE TABLE points_ledger (
    id          BIGSERIAL PRIMARY KEY,
    customer_id TEXT COLLATE "C" NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    order_id    TEXT COLLATE "C",
    expires_at  BIGINT,
    remaining   BIGINT NOT NULL DEFAULT 0 CHECK (remaining >= 0),
    note        TEXT
);
CREATE INDEX points_ledger_customer ON points_ledger (customer_id, id);
CREATE INDEX points_ledger_open ON points_ledger (customer_id, id) WHERE remaining > 0;
-- An order is granted points at most once.
CREATE UNIQUE INDEX points_ledger_grant ON points_ledger (order_id) WHERE kind = 'grant';
