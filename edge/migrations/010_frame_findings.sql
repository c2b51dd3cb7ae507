-- What the vision-language model made of frames (AI-generated, educational): the findings JSON, or
-- why there are none. Written with its frame.findings outbox event in one transaction.
CREATE TABLE frame_findings (
  findings_id TEXT PRIMARY KEY,
  procedure_id TEXT NOT NULL REFERENCES procedures (id),
  at TEXT NOT NULL,
  pts_ms REAL NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('request', 'flagged', 'interval')),
  outcome TEXT NOT NULL CHECK (outcome IN ('parsed', 'repaired', 'unparseable', 'engine-error')),
  findings TEXT,
  reason TEXT,
  model_id TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  ms REAL NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX frame_findings_procedure ON frame_findings (procedure_id, at);
