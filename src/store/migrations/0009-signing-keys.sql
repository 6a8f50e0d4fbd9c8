-- Signing keys for JWT access tokens and ID tokens (docs/tokens.md). `generation` orders them and is
-- unique: two instances rotating at once both try generation N+1, and the database lets one win.
-- A key is published in the JWKS from its creation, signs from `activates_at` (the publish delay)
-- until the next generation activates, and stays published `retain_previous` seconds of its
-- successor after that (the longest lifetime of a token it may have signed). Only the public JWK is
-- stored in clear; the private one is sealed under the server key.
CREATE TABLE signing_keys (
  kid             TEXT PRIMARY KEY,
  generation      INTEGER NOT NULL UNIQUE,
  alg             TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256', 'EdDSA')),
  public_jwk      TEXT NOT NULL,
  private_sealed  TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  activates_at    BIGINT NOT NULL,
  retain_previous BIGINT NOT NULL
);

-- Per client: opaque access tokens (the default) or RFC 9068 JWTs.
ALTER TABLE clients ADD COLUMN token_format TEXT NOT NULL DEFAULT 'opaque' CHECK (token_format IN ('opaque', 'jwt'));

-- How and when the user of a grant signed in (OpenID Connect's auth_time and amr), for the ID
-- tokens of later refreshes; NULL for client credentials.
ALTER TABLE token_families ADD COLUMN auth_time BIGINT;
ALTER TABLE token_families ADD COLUMN amr TEXT;

-- Optional profile claims of a user (userinfo and ID tokens).
ALTER TABLE users ADD COLUMN name TEXT;
ALTER TABLE users ADD COLUMN email TEXT;

-- A service whose JWT access tokens are also checked at the store (or by introspection) on every
-- call, so that a revocation is seen at once instead of at the token's expiry.
ALTER TABLE services ADD COLUMN introspect_always BOOLEAN NOT NULL DEFAULT FALSE;
