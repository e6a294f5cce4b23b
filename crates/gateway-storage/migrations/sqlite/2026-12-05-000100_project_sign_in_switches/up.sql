-- The sign-in switches of a tiered project (the vendor's sign_up_enabled, credential_enabled,
-- magic_link_enabled): on, as every project behaved before they existed.
ALTER TABLE projects ADD COLUMN sign_up_enabled BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN credential_enabled BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN magic_link_enabled BOOLEAN NOT NULL DEFAULT 1;
