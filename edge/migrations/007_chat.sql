-- Messages of the educational chat, each about one procedure; every one is also an outbox event.
CREATE TABLE chat_messages (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  procedure_id TEXT NOT NULL REFERENCES procedures (id),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  text TEXT NOT NULL,
  by TEXT,
  at TEXT NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id);
