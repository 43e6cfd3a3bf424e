-- The console's order list (issue 8): columns to filter and sort by without reading the order
-- document, the holds per order, keyset-paging indexes and a trigram index for `q`.
ALTER TABLE orders
    ADD COLUMN payment_method TEXT NOT NULL DEFAULT '',
    ADD COLUMN payment_status TEXT NOT NULL DEFAULT '',
    ADD COLUMN total BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET
    payment_method = doc::jsonb #>> '{payment,method}',
    payment_status = doc::jsonb #>> '{payment,status}',
    total = (doc::jsonb #>> '{totals,total}')::BIGINT;

CREATE TABLE order_holds (
    order_id TEXT COLLATE "C" NOT NULL,
    code     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (order_id, code)
);
CREATE INDEX order_holds_code ON order_holds (code, order_id);
INSERT INTO order_holds (order_id, code)
    SELECT o.id, h ->> 'code' FROM orders o, jsonb_array_elements(o.doc::jsonb -> 'holds') h
    ON CONFLICT DO NOTHING;

CREATE INDEX orders_ordered ON orders (ordered_at, id);
CREATE INDEX orders_status_ordered ON orders (status, ordered_at, id);
CREATE INDEX orders_total ON orders (total, id);
CREATE INDEX orders_channel_ordered ON orders (channel, ordered_at, id);

-- Substring search (`q`): LIKE '%…%' on `search` uses this index for three characters or more.
-- pg_trgm ships with PostgreSQL and is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX orders_search_trgm ON orders USING gin (search gin_trgm_ops);
