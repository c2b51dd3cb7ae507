-- The latest telemetry each device sent (health, backlog, upload progress), for the fleet view.
ALTER TABLE devices ADD COLUMN telemetry jsonb;
ALTER TABLE devices ADD COLUMN telemetry_at timestamptz;
