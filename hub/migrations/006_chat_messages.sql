-- Messages of the educational chat, as each edge stored them (the edge's outbox brings every one).
CREATE TABLE chat_messages (
  device_id text NOT NULL REFERENCES devices (id),
  -- Made by the edge; with the device id, the idempotency key (a resend or a re-sent event adds nothing).
  message_id uuid NOT NULL,
  event_id uuid NOT NULL,
  session_id uuid NOT NULL,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  text text NOT NULL,
  by text,
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, message_id)
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, at);
CREATE INDEX chat_messages_procedure ON chat_messages (procedure_id, at);
