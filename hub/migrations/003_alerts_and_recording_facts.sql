-- Alerts as the edge audited them (latest state wins; the edge sends every change).
CREATE TABLE alerts (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  label text NOT NULL,
  model_id text NOT NULL,
  model_version text NOT NULL,
  first_frame_index integer NOT NULL,
  raised_frame_index integer NOT NULL,
  raised_at timestamptz NOT NULL,
  best_score double precision NOT NULL,
  box jsonb NOT NULL,
  shown boolean NOT NULL,
  state text NOT NULL,
  acknowledged_by text,
  acknowledged_at timestamptz,
  dismissed_by text,
  dismissed_at timestamptz,
  -- Device sequence number of the change applied last, so an older change never overwrites a newer one.
  last_seq bigint NOT NULL
);
CREATE INDEX alerts_procedure ON alerts (procedure_id);

-- What the edge says of each procedure's recording before (or instead of) uploading it.
ALTER TABLE procedures ADD COLUMN recording_sealed text;
ALTER TABLE procedures ADD COLUMN recording_error text;
