-- Each device's telemetry over time (a report about every 15 s: source, backlog, upload, disk, and
-- the machine's CPU, memory, temperature and GPUs), kept GIC_RETENTION_TELEMETRY_DAYS by the daily
-- purge. Keyed by the report's own time, so a report taken by two ingest processes is kept once.
CREATE TABLE device_telemetry (
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  telemetry jsonb NOT NULL,
  PRIMARY KEY (device_id, at)
);
CREATE INDEX device_telemetry_at ON device_telemetry (at);
