-- Procedures start and end from the screen, the API or automatically (in-body / out-of-body timing),
-- each with who started and ended it; endoscopists keep their own alert settings on the box.
ALTER TABLE procedures ADD COLUMN operator TEXT;
ALTER TABLE procedures ADD COLUMN start_trigger TEXT;
ALTER TABLE procedures ADD COLUMN ended_by TEXT;

CREATE TABLE operators (
  name TEXT PRIMARY KEY,
  -- JSON of edge/src/alerts/alert-settings.ts, validated on the way in and out.
  alert_settings TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
