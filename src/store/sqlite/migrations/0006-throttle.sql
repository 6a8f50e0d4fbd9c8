-- Brute-force counters (rate-limiter-flexible's RateLimiterSQLite layout: key, points, expire in
-- epoch milliseconds). In the database file, so counters survive a restart and the CLI can unlock.
CREATE TABLE throttle_counters (
  key    TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);
-- Blocks and delays as they start: who (lower-cased username and/or address), which counter, until
-- when. Lets an operator list locked accounts and find every counter an unlock must clear.
CREATE TABLE throttle_blocks (
  counter  TEXT NOT NULL,
  username TEXT NOT NULL DEFAULT '',
  ip       TEXT NOT NULL DEFAULT '',
  since    INTEGER NOT NULL,
  until    INTEGER NOT NULL,
  PRIMARY KEY (counter, username, ip)
) WITHOUT ROWID;
CREATE INDEX throttle_blocks_username ON throttle_blocks (username);
CREATE INDEX throttle_blocks_ip ON throttle_blocks (ip);
CREATE INDEX throttle_blocks_until ON throttle_blocks (until);
