-- A procedure's recording is a series of segments: each row is one segment file, numbered within
-- its procedure; `final` marks the last one, so the hub knows when it has them all.
ALTER TABLE recordings ADD COLUMN segment_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recordings ADD COLUMN final INTEGER NOT NULL DEFAULT 1;
