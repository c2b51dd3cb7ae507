-- Tags group devices across sites and rooms (a canary group, a scope model, a building). An enrolment
-- token carries the tags the device it enrols joins.
ALTER TABLE enrolment_tokens ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE devices ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX devices_tags ON devices USING gin (tags);

-- When a device last rotated its key pair (null: it still uses the key it enrolled with).
ALTER TABLE devices ADD COLUMN key_rotated_at timestamptz;
