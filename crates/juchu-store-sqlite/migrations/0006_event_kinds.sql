-- The accounting journal reads revenue events by kind and time across all orders.
CREATE INDEX order_events_kind_at ON order_events (kind, at);
