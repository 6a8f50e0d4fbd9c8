-- Two spellings of one canonical username (`Alice`, `alice`: src/core/username.ts) are refused by
-- the database itself, so that two instances creating them at the same moment cannot both succeed
-- (the store's NOT EXISTS check alone passes twice under READ COMMITTED). A database may already
-- hold such names from before 0011 (`portcullis migrate` lists them): of each set, every name but
-- the first by spelling is marked `username_key_duplicate` and left out of the unique index, so the
-- first still blocks any new spelling. Rows still without a key get theirs, and their mark, when
-- the store fills the keys right after the migrations (src/store/sql/accounts.ts).
ALTER TABLE users ADD COLUMN username_key_duplicate BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET username_key_duplicate = TRUE
  WHERE EXISTS (SELECT 1 FROM users earlier WHERE earlier.username_key = users.username_key AND earlier.username < users.username);
CREATE UNIQUE INDEX users_username_key_unique ON users (username_key) WHERE NOT username_key_duplicate;
