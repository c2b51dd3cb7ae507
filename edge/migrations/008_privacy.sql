-- The device's on-screen-display mask layout (learned from the video and edited on the in-room
-- screen): one row, the whole layout as JSON. Every change is also an outbox event for the hub.
CREATE TABLE mask_layout (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  boxes TEXT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('learned', 'edited')),
  changed_by TEXT,
  changed_at TEXT NOT NULL
);

-- How much of the picture the recording masked over each procedure's in-body analysed frames
-- (sum of shares and their count), reported with the procedure's end.
ALTER TABLE procedures ADD COLUMN masked_in_picture_sum REAL NOT NULL DEFAULT 0;
ALTER TABLE procedures ADD COLUMN masked_in_picture_frames INTEGER NOT NULL DEFAULT 0;
