-- In-room credentials: a PIN and/or a badge number per person, for the in-room screens, stored only as
-- slow hashes (scrypt, a salt each). The boxes fetch them (hashes only) and check them offline.
-- A new role, `room`, for people who work in the rooms but have no business in the portal (nurses,
-- technicians): they hold an in-room credential and no permission but their own session.

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'reviewer', 'trainee', 'operator', 'auditor', 'room'));

CREATE TABLE room_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- The name the screen shows and records on alerts, procedures, landmarks and chat messages.
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  pin_hash text,
  badge_hash text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users (id),
  CHECK (pin_hash IS NOT NULL OR badge_hash IS NOT NULL)
);
