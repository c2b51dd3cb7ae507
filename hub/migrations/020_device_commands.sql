-- Remote commands to devices (restart the capture pipeline, collect logs, run the self-test) and what
-- each box answered. `status` moves forward only: issued -> accepted -> succeeded | failed, or straight
-- to refused | expired. A command still `issued` after `expires_at` reads as expired (the box never
-- answered). `detail`: the box's report (a self-test's findings, where its logs were stored).
CREATE TABLE device_commands (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('restart-capture', 'collect-logs', 'self-test')),
  issued_by text NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  safe_during_procedure boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'issued'
    CHECK (status IN ('issued', 'accepted', 'refused', 'succeeded', 'failed', 'expired')),
  reason text,
  detail jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_commands_device ON device_commands (device_id, issued_at DESC);
