-- A user's contact channels besides its primary email (gateway-core `channels`; the primary is
-- the user's `email`). `id` is derived from the user and the lower-cased value: one channel per
-- address and user. A channel used for sign-in claims its value: the partial unique index keeps
-- two users from signing in with one address, the store checks it against the users' usernames
-- and emails under the identity locks. At most 20 rows per user (the core's cap).
CREATE TABLE contact_channels (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    is_verified BOOLEAN NOT NULL,
    used_for_auth BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX contact_channels_auth_value_unique ON contact_channels (lower(value))
    WHERE used_for_auth;
CREATE INDEX contact_channels_order ON contact_channels (created_at, id);
