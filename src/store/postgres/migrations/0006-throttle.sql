-- Brute-force counters shared by every instance (rate-limiter-flexible's RateLimiterPostgres
-- layout: key, points, expire in epoch milliseconds). Created here rather than by the limiter, so
-- that the schema has one owner and the server needs no CREATE privilege at run time.
CREATE TABLE throttle_counters (
  key    VARCHAR(255) PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire BIGINT
);
CREATE INDEX throttle_counters_expire ON throttle_counters (expire);
-- Blocks and delays as they start: who (lower-cased username and/or address), which counter, until
-- when. Lets an operator list locked accounts and find every counter an unlock must clear.
CREATE TABLE throttle_blocks (
  counter  TEXT NOT NULL,
  username TEXT NOT NULL DEFAULT '',
  ip       TEXT NOT NULL DEFAULT '',
  since    BIGINT NOT NULL,
  until    BIGINT NOT NULL,
  PRIMARY KEY (counter, username, ip)
);
CREATE INDEX throttle_blocks_username ON throttle_blocks (username);
CREATE INDEX throttle_blocks_ip ON throttle_blocks (ip);
CREATE INDEX throttle_blocks_until ON throttle_blocks (until);
