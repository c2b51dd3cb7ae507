-- People: five roles, sites, disabled accounts, forced password changes; sessions with rotating
-- refresh tokens; and the counters behind login throttling and rate limits, shared by every API process.

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'reviewer', 'trainee', 'operator', 'auditor'));
ALTER TABLE users
  ADD COLUMN disabled_at timestamptz,
  ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
  ADD COLUMN password_changed_at timestamptz,
  ADD COLUMN created_by uuid REFERENCES users (id);

-- One row per sign-in; its refresh tokens are one family. Revoked: every token of it is refused.
CREATE TABLE user_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at timestamptz,
  -- However often it is refreshed, a session ends here (a working shift).
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text,
  address text,
  user_agent text
);
CREATE INDEX user_sessions_user ON user_sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens, by SHA-256 only. Each is used once; a second use revokes its session (RFC 9700 4.14.2).
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Fixed-window counters: login failures per account and per address, API calls, uploads, exports.
CREATE TABLE rate_counters (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_end ON rate_counters (window_end);
