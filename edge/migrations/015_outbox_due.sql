-- The publisher's reads of what is due, without stepping over what waits for the hub's confirmation:
-- during a backlog's drain thousands of events are sent and not yet confirmed, and a scan of
-- outbox_order read past all of them at each read of 100 (about 1 ms a read per 10,000).
-- Never sent, in sending order:
CREATE INDEX outbox_unsent ON outbox (priority, seq) WHERE last_sent_at IS NULL;
-- Sent and not confirmed, by when (the resend looks for the oldest):
CREATE INDEX outbox_sent ON outbox (last_sent_at) WHERE last_sent_at IS NOT NULL;
