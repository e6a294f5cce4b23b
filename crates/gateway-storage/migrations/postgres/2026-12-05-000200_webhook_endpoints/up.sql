-- Webhook endpoints of a tiered project (gateway-core `webhooks`). The signing secret is not
-- stored: it is derived from the server's secret and `secret_salt`. `filter_types` is the event
-- types it receives, comma-separated; empty: every type. At most 100 rows (the core's cap).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    filter_types TEXT NOT NULL,
    secret_salt TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id, created_at);
