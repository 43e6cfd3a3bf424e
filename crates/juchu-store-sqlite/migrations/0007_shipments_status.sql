-- A warehouse polls shipments by status (GET /api/v1/shipments?status=cancel_requested), oldest
-- first and paged by shipment id: this index answers it without scanning every shipment.
CREATE INDEX shipments_status ON shipments (status, id);
