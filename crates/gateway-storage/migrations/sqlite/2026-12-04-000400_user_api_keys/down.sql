ALTER TABLE projects DROP COLUMN allow_user_api_keys;
ALTER TABLE api_keys DROP COLUMN hint;
ALTER TABLE api_keys DROP COLUMN is_public;
ALTER TABLE api_keys DROP COLUMN expires_at;
