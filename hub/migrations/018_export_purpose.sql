-- What an export is for: `clinical` (the reviewer's bundle, with the room's conversation) or
-- `teaching` (for trainees: no conversation typed in the room, no device names). Trainees may
-- download teaching exports only.
ALTER TABLE video_exports
  ADD COLUMN purpose text NOT NULL DEFAULT 'clinical' CHECK (purpose IN ('clinical', 'teaching'));
