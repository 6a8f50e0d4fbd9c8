-- A second factor for password logins (docs/mfa.md). A user's TOTP factor: the secret sealed under the
-- server key (never in the clear), when it was confirmed by a first correct code (an enrolment not yet
-- confirmed may be replaced), and the last RFC 6238 time step accepted, so that a code is accepted once.
CREATE TABLE mfa_factors (
  username      TEXT PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE,
  secret_sealed TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  confirmed_at  BIGINT,
  last_step     BIGINT NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Ten single-use recovery codes per factor, stored only as SHA-256 hashes; spent by setting used_at.
CREATE TABLE mfa_recovery_codes (
  username  TEXT NOT NULL REFERENCES mfa_factors (username) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at   BIGINT,
  PRIMARY KEY (username, code_hash)
) WITHOUT ROWID;

-- Challenges after a correct password (the mfa_token of the password grant, the sign-in page's pending
-- second step): only a SHA-256 of the token is stored, bound to the client, the user and the scope asked for. attempts counts
-- OTP guesses against it (a bounded number per token); used_at is set once, by the redemption that wins.
CREATE TABLE mfa_challenges (
  hash       TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  scope      TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  used_at    BIGINT
) WITHOUT ROWID;
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user ON mfa_challenges (username);
CREATE INDEX mfa_challenges_client ON mfa_challenges (client_id);
