-- Orders per status for the console's home (`GET /api/v1/orders/counts`), kept by triggers in the
-- transaction that writes the order, so reading them does not count a million index entries.
-- SQLite has one writer at a time, so one row per status does not contend.
CREATE TABLE order_status_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO order_status_counts (status, n) SELECT status, COUNT(*) FROM orders GROUP BY status;

CREATE TRIGGER order_status_counts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO order_status_counts (status, n) VALUES (new.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER order_status_counts_delete AFTER DELETE ON orders BEGIN
    UPDATE order_status_counts SET n = n - 1 WHERE status = old.status;
END;
CREATE TRIGGER order_status_counts_update AFTER UPDATE OF status ON orders
WHEN old.status IS NOT new.status BEGIN
    UPDATE order_status_counts SET n = n - 1 WHERE status = old.status;
    INSERT INTO order_status_counts (status, n) VALUES (new.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
