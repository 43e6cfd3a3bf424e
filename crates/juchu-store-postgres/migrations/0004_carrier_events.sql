-- Carrier delivery events (webhooks), recorded once processed: (carrier, event_id) de-duplicates
-- the carrier's retries; outcome says what juchu did with each.

CREATE TABLE carrier_events (
    carrier         TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status          TEXT NOT NULL,
    event_at        BIGINT NOT NULL,
    received_at     BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    PRIMARY KEY (carrier, event_id)
);

CREATE INDEX carrier_events_tracking ON carrier_events (tracking_number);
