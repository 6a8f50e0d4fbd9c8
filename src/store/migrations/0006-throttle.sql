-- Brute-force counters (rate-limiter-flexible's table layout: key, points, expire in epoch
-- milliseconds). In the store's database, so that counters survive a restart, every instance
-- shares them and the CLI can unlock.
CREATE TABLE throttle_counters (
  key    VARCHAR(255) PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire BIGINT
);
-- Blocks and delays as they start: who (lower-cased username and/or address), which counter, until
-- when. Lets an operator list locked accounts and find every counter an unlock must clear.
CREATE TABLE throttle_blocks (
  counter  TEXT NOT NULL,
  username TEXT NOT NULL DEFAULT '',
  ip       TEXT NOT NULL DEFAULT '',
  since    BIGINT NOT NULL,
  until    BIGINT NOT NULL,
  PRIMARY KEY (counter, username, ip)
) WITHOUT ROWID;
CREATE INDEX throttle_blocks_username ON throttle_blocks (username);
CREATE INDEX throttle_blocks_ip ON throttle_blocks (ip);
CREATE INDEX throttle_blocks_until ON throttle_blocks (until);
