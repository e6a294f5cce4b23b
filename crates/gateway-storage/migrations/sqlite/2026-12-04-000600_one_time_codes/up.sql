-- One-time codes sent by mail (gateway-core `codes`): the SHA-256 of the code's text, never the
-- text; at most a few per address and purpose (the store drops the oldest), expired ones purged.
-- A sign-in code may be for an address no user has yet (no user_id).
CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX one_time_codes_user ON one_time_codes (user_id);
CREATE INDEX one_time_codes_address ON one_time_codes (email, purpose, created_at);
CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);
