-- Carrier events name a tracking number: find its shipments directly (not through the search text).
CREATE INDEX shipments_tracking ON shipments (tracking_number);
