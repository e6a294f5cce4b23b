-- What the vendors' user API keys carry besides the secret: an expiry (the key stops working
-- then), whether it is public, and its last four characters (shown in lists).
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_keys ADD COLUMN hint TEXT;
-- The switch of the tiered surface's user API keys (off, as in a new vendor project).
ALTER TABLE projects ADD COLUMN allow_user_api_keys BOOLEAN NOT NULL DEFAULT FALSE;
