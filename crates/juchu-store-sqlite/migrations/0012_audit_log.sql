-- The audit log (docs/security.md): who did what, with what outcome. One row per mutating API
-- request (written in batches by the server) and per console action. Never updated.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    outcome    INTEGER NOT NULL,
    request_id TEXT
);
-- Operators look up by who, by what it was done to, and by time; newest first (id).
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Signed webhook deliveries seen recently, so that a replayed delivery is refused. Rows older than
-- twice the timestamp tolerance are deleted: a replay that old fails the timestamp check anyway.
CREATE TABLE webhook_deliveries (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
