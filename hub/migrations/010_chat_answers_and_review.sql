-- The chat answers now. A room's answer (from the edge's outbox) keeps the times it cites and how it
-- was made; the review chat at the hub keeps its own sessions, asked by signed-in users.
ALTER TABLE chat_messages ADD COLUMN citations jsonb;
ALTER TABLE chat_messages ADD COLUMN source text CHECK (source IN ('timeline', 'model', 'unavailable'));

CREATE TABLE review_chat_messages (
  -- The order messages were stored in (a question and its answer can share a millisecond).
  seq bigserial PRIMARY KEY,
  message_id uuid NOT NULL UNIQUE,
  session_id uuid NOT NULL,
  procedure_id uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  text text NOT NULL,
  by text,
  citations jsonb,
  source text CHECK (source IN ('timeline', 'model', 'unavailable')),
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX review_chat_messages_session ON review_chat_messages (session_id, seq);
CREATE INDEX review_chat_messages_procedure ON review_chat_messages (procedure_id, seq);
