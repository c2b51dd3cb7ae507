-- Retention: a legal hold exempts a procedure from every purge; each purge records what it deleted and why.
ALTER TABLE procedures ADD COLUMN legal_hold boolean NOT NULL DEFAULT false;
ALTER TABLE procedures ADD COLUMN legal_hold_by text;
ALTER TABLE procedures ADD COLUMN legal_hold_at timestamptz;
ALTER TABLE procedures ADD COLUMN legal_hold_reason text;

CREATE TABLE retention_purges (
  id bigserial PRIMARY KEY,
  purged_at timestamptz NOT NULL DEFAULT now(),
  procedure_id uuid,
  kind text NOT NULL CHECK (kind IN ('raw-upload', 'keyframe', 'export', 'stale-upload')),
  object_key text NOT NULL,
  reason text NOT NULL
);
CREATE INDEX retention_purges_recent ON retention_purges (purged_at DESC);
