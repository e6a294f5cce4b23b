ALTER TABLE projects DROP COLUMN magic_link_enabled;
ALTER TABLE projects DROP COLUMN credential_enabled;
ALTER TABLE projects DROP COLUMN sign_up_enabled;
