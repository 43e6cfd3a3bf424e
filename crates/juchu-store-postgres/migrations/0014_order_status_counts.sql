-- Orders per status for the console's home (`GET /api/v1/orders/counts`), kept by triggers in the
-- transaction that writes the order, so reading them does not count a million index entries.
-- Concurrent writers must not queue on one row per status: each status has up to 16 shards, a
-- writer adds to the shard of its backend (pg_backend_pid() % 16; a backend runs one transaction
-- at a time, so two connections share a shard only by chance), and a read sums the shards. A
-- shard may go negative (an order counted in one shard leaves its status from another); the sum
-- is exact.
CREATE TABLE order_status_counts (
    status TEXT COLLATE "C" NOT NULL,
    shard  SMALLINT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (status, shard)
);
INSERT INTO order_status_counts (status, shard, n)
    SELECT status, 0, COUNT(*) FROM orders GROUP BY status;

CREATE FUNCTION order_status_counts_add(s TEXT, d BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO order_status_counts (status, shard, n) VALUES (s, pg_backend_pid() % 16, d)
        ON CONFLICT (status, shard) DO UPDATE SET n = order_status_counts.n + EXCLUDED.n;
$$;

-- A status change moves one order between two rows of the same shard in one statement, the two
-- rows in status order, so that two transactions sharing a shard (one moving an order from A to B,
-- the other from B to A) lock them in the same order and cannot deadlock.
CREATE FUNCTION order_status_counts_move(old_status TEXT, new_status TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO order_status_counts (status, shard, n)
        SELECT v.s, pg_backend_pid() % 16, v.d
        FROM (VALUES (old_status, -1::BIGINT), (new_status, 1::BIGINT)) AS v(s, d)
        ORDER BY v.s
        ON CONFLICT (status, shard) DO UPDATE SET n = order_status_counts.n + EXCLUDED.n;
$$;

CREATE FUNCTION order_status_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM order_status_counts_move(OLD.status, NEW.status);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM order_status_counts_add(OLD.status, -1);
    ELSE
        PERFORM order_status_counts_add(NEW.status, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER order_status_counts_insert AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION order_status_counts_track();
CREATE TRIGGER order_status_counts_delete AFTER DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION order_status_counts_track();
CREATE TRIGGER order_status_counts_update AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION order_status_counts_track();
