-- The console's order list (issue 8): columns to filter and sort by without reading the order
-- document, the holds per order, keyset-paging indexes and a trigram index for `q`.
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN payment_status TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET
    payment_method = json_extract(doc, '$.payment.method'),
    payment_status = json_extract(doc, '$.payment.status'),
    total = json_extract(doc, '$.totals.total');

CREATE TABLE order_holds (
    order_id TEXT NOT NULL,
    code     TEXT NOT NULL,
    PRIMARY KEY (order_id, code)
);
CREATE INDEX order_holds_code ON order_holds (code, order_id);
INSERT OR IGNORE INTO order_holds (order_id, code)
    SELECT o.id, json_extract(h.value, '$.code') FROM orders o, json_each(o.doc, '$.holds') h;

CREATE INDEX orders_ordered ON orders (ordered_at, id);
CREATE INDEX orders_status_ordered ON orders (status, ordered_at, id);
CREATE INDEX orders_total ON orders (total, id);
CREATE INDEX orders_channel_ordered ON orders (channel, ordered_at, id);

-- Substring search: trigrams of `search`, keyed by the order number (stable, unlike the rowid of
-- a table without an INTEGER PRIMARY KEY, which VACUUM may renumber).
CREATE VIRTUAL TABLE orders_fts USING fts5(
    search, content = 'orders', content_rowid = 'number', tokenize = 'trigram'
);
INSERT INTO orders_fts (orders_fts) VALUES ('rebuild');
CREATE TRIGGER orders_fts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_fts (rowid, search) VALUES (new.number, new.search);
END;
CREATE TRIGGER orders_fts_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, search) VALUES ('delete', old.number, old.search);
END;
CREATE TRIGGER orders_fts_update AFTER UPDATE OF search ON orders
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, search) VALUES ('delete', old.number, old.search);
    INSERT INTO orders_fts (rowid, search) VALUES (new.number, new.search);
END;
