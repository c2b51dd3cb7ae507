-- GI Copilot edge store, version 1. Never edit after it lands: add a new numbered file.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Per-device event sequence; only ever goes up, even when outbox rows are deleted.
CREATE TABLE event_sequence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL
);
INSERT INTO event_sequence (id, last_seq) VALUES (1, 0);

CREATE TABLE procedures (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT,
  source_label TEXT NOT NULL,
  frame_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE frame_analyses (
  procedure_id TEXT NOT NULL REFERENCES procedures (id),
  frame_index INTEGER NOT NULL,
  analysis TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (procedure_id, frame_index)
);

-- Events waiting for the hub's confirmation that they are committed in PostgreSQL.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  procedure_id TEXT,
  -- 0 = clinical (procedure start/end, alerts) first, 1 = bulk (frame analyses) after.
  priority INTEGER NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_order ON outbox (priority, seq);

CREATE TABLE recordings (
  id TEXT PRIMARY KEY,
  procedure_id TEXT NOT NULL REFERENCES procedures (id),
  path TEXT NOT NULL,
  size_bytes INTEGER,
  sha256 TEXT,
  status TEXT NOT NULL CHECK (status IN ('recording', 'ready', 'uploading', 'verifying', 'verified', 'failed')),
  upload_id TEXT,
  part_size INTEGER,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Finished parts of a multipart upload, so an upload resumes after a crash without asking the server.
CREATE TABLE upload_parts (
  recording_id TEXT NOT NULL REFERENCES recordings (id),
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  PRIMARY KEY (recording_id, part_number)
);
