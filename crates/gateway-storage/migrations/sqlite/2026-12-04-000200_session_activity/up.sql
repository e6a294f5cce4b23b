-- When a session's refresh token was last used (NULL: not since its creation), and whether an
-- administrator opened it to act as the user (Stack Auth's sessions list shows both).
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN is_impersonation BOOLEAN NOT NULL DEFAULT 0;
