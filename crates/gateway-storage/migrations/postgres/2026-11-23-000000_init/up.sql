CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    email TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    email_auth_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash TEXT,
    password_expired BOOLEAN,
    totp_secret TEXT,
    oauth_provider TEXT,
    oauth_id TEXT,
    kind TEXT NOT NULL DEFAULT 'regular',
    organization_id TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    is_platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_onboarded BOOLEAN NOT NULL DEFAULT FALSE,
    email_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    is_anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    restricted_by_admin BOOLEAN NOT NULL DEFAULT FALSE,
    restricted_by_admin_reason TEXT,
    restricted_by_admin_private_details TEXT,
    otp_auth_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    passkey_auth_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    first_name TEXT,
    last_name TEXT,
    display_name TEXT,
    bio TEXT,
    avatar_url TEXT,
    locale TEXT,
    timezone TEXT,
    phone_number TEXT,
    company TEXT,
    job_title TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    country_code TEXT,
    risk_sign_up_bot BIGINT NOT NULL DEFAULT 0,
    risk_sign_up_free_trial_abuse BIGINT NOT NULL DEFAULT 0,
    client_metadata TEXT,
    client_read_only_metadata TEXT,
    server_metadata TEXT,
    selected_team_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    signed_up_at TIMESTAMP NOT NULL,
    last_active_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_username_unique ON users (username);
CREATE UNIQUE INDEX users_email_unique ON users (email);

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    profile_image_url TEXT,
    client_metadata TEXT,
    client_read_only_metadata TEXT,
    server_metadata TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE team_memberships (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user ON team_memberships (user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    surface TEXT NOT NULL,
    refresh_token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX sessions_refresh_token_hash_unique ON sessions (refresh_token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    surface TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    label TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE gateway_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
