-- Bank transfer: the virtual-account pool and the deposits received (webhook, Zengin files).

-- One row per account number ever handed out. `order_id` is the open order holding it (NULL when
-- free); UNIQUE makes "one account, one open order" (DOMAIN.md §4.7) a database fact, and an order
-- holds at most one account. `released_at` starts the cool-off before the number is reused.
CREATE TABLE virtual_accounts (
    account     TEXT COLLATE "C" PRIMARY KEY,
    number      BIGINT NOT NULL,
    order_id    TEXT UNIQUE,
    assigned_at BIGINT,
    released_at BIGINT
);
CREATE INDEX virtual_accounts_free ON virtual_accounts (released_at) WHERE order_id IS NULL;

-- Every deposit seen, matched or not. `dedupe_key` is the source's own key (webhook event id, or
-- account + 照会番号 + 勘定日 + amount for statement files), so nothing is counted twice.
CREATE TABLE bank_deposits (
    id           BIGSERIAL PRIMARY KEY,
    dedupe_key   TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL,
    account      TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    deposited_at TEXT NOT NULL,
    payer_kana   TEXT,
    order_id     TEXT,
    received_at  BIGINT NOT NULL
);
CREATE INDEX bank_deposits_unmatched ON bank_deposits (id) WHERE order_id IS NULL;
