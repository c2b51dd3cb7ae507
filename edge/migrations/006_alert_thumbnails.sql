-- A small JPEG of the frame each finding alerted on, privacy regions and on-screen display burned
-- out, for the in-room screen's findings list. Kept on the box; never sent.
CREATE TABLE alert_thumbnails (
  alert_id TEXT PRIMARY KEY REFERENCES alerts (id),
  jpeg BLOB NOT NULL,
  created_at TEXT NOT NULL
);
