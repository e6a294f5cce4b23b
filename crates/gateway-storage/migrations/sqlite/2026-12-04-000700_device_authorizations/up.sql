-- Device authorizations (gateway-core `device`, RFC 8628): the SHA-256 of the device code and of
-- the approval page's ticket, never their text. Starting one needs no credential, so the store
-- refuses a new one while too many are pending, and expired ones are purged.
CREATE TABLE device_authorizations (
    id TEXT PRIMARY KEY NOT NULL,
    surface TEXT NOT NULL,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT,
    client_details TEXT,
    state TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    interval_secs INTEGER NOT NULL,
    last_polled_at TIMESTAMP,
    decided_at TIMESTAMP,
    ticket_hash TEXT,
    ticket_user_id TEXT REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX device_authorizations_state ON device_authorizations (state, expires_at);
CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);
CREATE INDEX device_authorizations_user ON device_authorizations (user_id);
CREATE INDEX device_authorizations_ticket_user ON device_authorizations (ticket_user_id);
