-- When each recording segment's first frame was captured, on the edge's clock, as its seal said
-- (recording.sealed's optional startedAt): it places the video exactly against the procedure's
-- timeline. Null for seals from older edges and for files the edge replayed faster than real time.
ALTER TABLE recording_seals ADD COLUMN started_at timestamptz;
