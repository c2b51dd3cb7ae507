-- Every alert shown (or raised while no screen watched), with who acknowledged or dismissed it.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  procedure_id TEXT NOT NULL REFERENCES procedures (id),
  label TEXT NOT NULL,
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  first_frame_index INTEGER NOT NULL,
  raised_frame_index INTEGER NOT NULL,
  first_seen_ms REAL NOT NULL,
  raised_at_ms REAL NOT NULL,
  raised_at TEXT NOT NULL,
  best_score REAL NOT NULL,
  box TEXT NOT NULL,
  shown INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'dismissed', 'ended')),
  acknowledged_by TEXT,
  acknowledged_at TEXT,
  dismissed_by TEXT,
  dismissed_at TEXT,
  ended_at_ms REAL
);
CREATE INDEX alerts_procedure ON alerts (procedure_id, raised_at_ms);
