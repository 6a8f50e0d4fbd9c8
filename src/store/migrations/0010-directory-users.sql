-- Users of an LDAP or Active Directory server (docs/directory.md) live in `users` beside the local
-- ones, so that tokens, ACLs, admin sessions and userinfo see one kind of user. `source` tells them
-- apart. A directory user's password is checked by the directory at every login and never stored:
-- its password_hash is ''. `directory_dn` is its entry; `synced_at` is when its groups and enabled
-- flag were last read from the directory (the cached copy that outlives a directory outage).
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
ALTER TABLE users ADD COLUMN directory_dn TEXT;
ALTER TABLE users ADD COLUMN synced_at BIGINT;
