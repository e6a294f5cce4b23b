ALTER TABLE sessions DROP COLUMN is_impersonation;
ALTER TABLE sessions DROP COLUMN last_used_at;
