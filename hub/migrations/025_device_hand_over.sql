-- Re-enrolment hand-over: an enrolment token may name a revoked device the new one replaces. At
-- enrolment, what the old device synced (its procedures, events, analyses, recordings, alerts, chat
-- and findings) passes to the new one, so the box's un-synced data, resent under its new identity,
-- lands on the same procedures exactly once.
ALTER TABLE enrolment_tokens ADD COLUMN replaces_device_id text REFERENCES devices (id);
ALTER TABLE devices ADD COLUMN replaces_device_id text REFERENCES devices (id);
