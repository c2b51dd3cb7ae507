-- The hub's desired configuration for this box (the device twin), the latest version only: kept so it
-- survives a restart and is loaded at the next start, below the box's own file and environment.
CREATE TABLE desired_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  command_id TEXT NOT NULL,
  config TEXT NOT NULL,
  received_at TEXT NOT NULL
);
