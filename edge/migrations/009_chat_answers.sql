-- The chat answers now: an assistant message keeps the times it cites (JSON) and how it was made.
ALTER TABLE chat_messages ADD COLUMN citations TEXT;
ALTER TABLE chat_messages ADD COLUMN source TEXT CHECK (source IN ('timeline', 'model', 'unavailable'));
