-- Single sign-on through OpenID Connect (optional). A sign-in in progress is kept here, not in the
-- process, so that the callback may reach another API process than the start: its state (by hash),
-- nonce and PKCE verifier, bound to the browser that started it (a cookie, by hash). Each is used once.
CREATE TABLE oidc_sign_ins (
  state_hash text PRIMARY KEY,
  browser_hash text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_sign_ins_expires ON oidc_sign_ins (expires_at);

-- The one-time code the portal trades for a session after the callback (by hash, a minute, once),
-- so that no token travels in a URL.
CREATE TABLE oidc_tickets (
  code_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_tickets_expires ON oidc_tickets (expires_at);

-- The identity provider's account (issuer and subject) a user is bound to at their first single
-- sign-on: afterwards another account that claims the same user name is refused.
ALTER TABLE users ADD COLUMN oidc_subject text UNIQUE;
