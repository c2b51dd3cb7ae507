-- Remote commands this box has taken, by id: a command redelivered by the broker (MQTT QoS 1 is at
-- least once) is never run twice; its last answer is sent again instead.
CREATE TABLE remote_commands (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT
);
