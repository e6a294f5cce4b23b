-- Projects of the metadata-tiered (Stack Auth) surface and the binding of refresh sessions to them.
CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    publishable_client_key_hash TEXT NOT NULL,
    secret_server_key_hash TEXT NOT NULL,
    require_publishable_client_key BOOLEAN NOT NULL DEFAULT 0,
    allow_client_user_deletion BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE project_sessions (
    session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX project_sessions_project ON project_sessions (project_id);
