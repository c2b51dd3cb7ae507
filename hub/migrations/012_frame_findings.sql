-- What each edge's vision-language model made of frames (AI-generated, educational): the findings,
-- or why there are none. One row per device and findings id, whichever event brought it.
CREATE TABLE frame_findings (
  device_id text NOT NULL REFERENCES devices (id),
  findings_id uuid NOT NULL,
  event_id uuid NOT NULL,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  at timestamptz NOT NULL,
  pts_ms double precision NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('request', 'flagged', 'interval')),
  outcome text NOT NULL CHECK (outcome IN ('parsed', 'repaired', 'unparseable', 'engine-error')),
  findings jsonb,
  reason text,
  model_id text NOT NULL,
  attempts integer NOT NULL,
  ms double precision NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, findings_id)
);
CREATE INDEX frame_findings_procedure ON frame_findings (procedure_id, at);
