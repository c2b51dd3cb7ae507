-- In-room credentials from the hub (hashes only), checked here with no network; replaced as a whole
-- at each sync. Their version and whether the box ever held one sit in `settings`
-- (room_credentials.version, room_credentials.ever).
CREATE TABLE room_credentials (
  user_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  pin_hash TEXT,
  badge_hash TEXT
);
