//! Settings: the embedded `config/default.toml`, then `config/$GATEWAY_ENV.toml`, then an optional
//! `--config FILE`, then `GATEWAY__SECTION__KEY` environment variables. Unknown keys are refused.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener and HTTP limits.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Tokens.
    pub auth: AuthSettings,
    /// Admin API.
    pub admin: AdminSettings,
    /// `/metrics`.
    pub metrics: MetricsSettings,
    /// Logging.
    pub log: LogSettings,
    /// Emulator features for test suites (fixtures, request journal).
    #[serde(default)]
    pub emulator: EmulatorSettings,
    /// Outgoing mail.
    #[serde(default)]
    pub mail: MailSettings,
    /// Outgoing webhooks.
    #[serde(default)]
    pub webhooks: WebhookSettings,
}

/// `[webhooks]`: how events reach the endpoints of tiered projects (`crate::webhooks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Events waiting to be sent, at most; past it new events are dropped (and logged).
    pub queue_capacity: usize,
    /// Deliveries waiting for a retry, at most; past it a failed delivery is not retried.
    pub pending_retries: usize,
    /// An attempt taking longer fails.
    pub timeout_ms: u64,
    /// The waits before each retry of a failed delivery (Svix's schedule: 5 s, 5 min, 30 min,
    /// 2 h, 5 h, 10 h, 10 h); empty = no retry.
    pub retry_delays_ms: Vec<u64>,
    /// How often the endpoint list is read again (what another instance configured is seen
    /// within this time; this instance's own changes at once).
    pub refresh_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        const MINUTE: u64 = 60_000;
        Self {
            queue_capacity: 1000,
            pending_retries: 1000,
            timeout_ms: 15_000,
            retry_delays_ms: vec![
                5_000,
                5 * MINUTE,
                30 * MINUTE,
                120 * MINUTE,
                300 * MINUTE,
                600 * MINUTE,
                600 * MINUTE,
            ],
            refresh_ms: 5_000,
        }
    }
}

/// `[mail]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// The sender address of every mail (the display name is the vendor's: a project's name).
    pub from: String,
    /// The SMTP relay every mail is delivered through (`smtp://host:port`, `smtps://host:port`,
    /// with `user:password@` when it wants a login, `?tls=required` for STARTTLS); empty = none
    /// (mail is only kept in the outbox).
    pub smtp_url: String,
    /// A delivery taking longer fails.
    pub smtp_timeout_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "noreply@example.com".into(),
            smtp_url: String::new(),
            smtp_timeout_ms: 10_000,
        }
    }
}

/// The relay's URL may hold a password: it is never printed.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("from", &self.from)
            .field("smtp_url", &crate::mail::redacted_url(&self.smtp_url))
            .field("smtp_timeout_ms", &self.smtp_timeout_ms)
            .finish()
    }
}

/// `[emulator]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmulatorSettings {
    /// Fixture file (YAML or JSON) loaded at start and by `POST /admin/reset`; empty = none.
    pub fixtures: String,
    /// Requests kept in the journal, per surface (0 disables the journal).
    pub journal_capacity: usize,
    /// Bytes of each request and response body kept in the journal.
    pub journal_body_limit_bytes: usize,
    /// Bytes the whole journal may hold (every entry's headers, bodies, path and query as kept,
    /// plus a fixed overhead); the oldest entries are dropped past it.
    pub journal_budget_bytes: usize,
    /// Mails kept in the outbox (`GET /admin/outbox`), the oldest dropped first; 0 = none kept
    /// (mail is then only sent through `mail.smtp_url`, and none can be sent without it).
    pub outbox_capacity: usize,
}

impl Default for EmulatorSettings {
    fn default() -> Self {
        Self {
            fixtures: String::new(),
            journal_capacity: 200,
            journal_body_limit_bytes: 16 * 1024,
            journal_budget_bytes: 8 << 20,
            outbox_capacity: 200,
        }
    }
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Interface to bind.
    pub host: String,
    /// Port (0 = any free port).
    pub port: u16,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// Time a client has to send its request.
    pub client_request_timeout_ms: u64,
    /// Grace period on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// The URL clients reach the gateway at (the issuer base of URL-named tokens); empty = the
    /// configured listener, `http://{host}:{port}`.
    #[serde(default)]
    pub public_base_url: String,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Connection wait limit.
    pub acquire_timeout_ms: u64,
    /// SQLite `PRAGMA synchronous`.
    pub sqlite_synchronous: SqliteSynchronous,
    /// PostgreSQL connect timeout (libpq `connect_timeout`); 0 = none.
    pub connect_timeout_secs: u64,
    /// PostgreSQL `statement_timeout` of pooled connections; 0 = none.
    pub statement_timeout_ms: u64,
    /// PostgreSQL TCP keepalive idle time (libpq `keepalives_idle`); 0 = the OS default.
    pub keepalives_idle_secs: u64,
    /// Most users in the user cache (0 = off).
    pub user_cache_entries: usize,
    /// Most estimated bytes in the user cache.
    pub user_cache_bytes: usize,
}

/// `database.sqlite_synchronous`: what a SQLite commit promises (see `config/default.toml`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// No fsync.
    Off,
    /// fsync at checkpoints (survives a process crash).
    Normal,
    /// fsync on every commit (survives power loss).
    Full,
    /// `full` plus directory syncs.
    Extra,
}

impl From<SqliteSynchronous> for gateway_storage::SqliteSynchronous {
    fn from(s: SqliteSynchronous) -> Self {
        match s {
            SqliteSynchronous::Off => Self::Off,
            SqliteSynchronous::Normal => Self::Normal,
            SqliteSynchronous::Full => Self::Full,
            SqliteSynchronous::Extra => Self::Extra,
        }
    }
}

impl DatabaseSettings {
    /// The pool and connection options these settings describe.
    pub fn pool_options(&self) -> gateway_storage::PoolOptions {
        use std::time::Duration;
        gateway_storage::PoolOptions {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
            connection: gateway_storage::ConnOptions {
                sqlite_synchronous: self.sqlite_synchronous.into(),
                connect_timeout: Duration::from_secs(self.connect_timeout_secs),
                statement_timeout: Duration::from_millis(self.statement_timeout_ms),
                keepalives_idle: Duration::from_secs(self.keepalives_idle_secs),
            },
            user_cache: gateway_storage::CacheLimits {
                entries: self.user_cache_entries,
                bytes: self.user_cache_bytes,
            },
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Token issuer.
    pub issuer: String,
    /// Access token lifetime.
    pub token_lifetime_secs: i64,
    /// HS256 secret; empty = generated and stored in the database.
    pub jwt_secret: String,
    /// How often the background task purges old sessions.
    pub session_purge_interval_secs: u64,
    /// How long an expired or revoked session is kept before it is purged.
    pub session_retention_secs: u64,
    /// Most sessions deleted by one statement of the purge.
    pub session_purge_batch: u32,
    /// Lifetime of a device login's codes (`dreadnode login`, `zenml login --pro`).
    pub device_lifetime_secs: u64,
    /// The polling interval device-login CLIs are told.
    pub device_interval_secs: u32,
    /// How many device logins may wait at once (starting one needs no credential).
    pub device_max_pending: u64,
}

impl AuthSettings {
    /// The device-login settings the dialects read.
    pub fn device_login(&self) -> gateway_http::DeviceLogin {
        gateway_http::DeviceLogin {
            timing: gateway_core::DeviceTiming {
                lifetime: chrono::Duration::seconds(
                    i64::try_from(self.device_lifetime_secs).unwrap_or(i64::MAX / 1000),
                ),
                interval_secs: i32::try_from(self.device_interval_secs).unwrap_or(i32::MAX),
            },
            max_pending: self.device_max_pending,
        }
    }
}

/// `[admin]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// `false` disables the admin API and the console.
    pub enabled: bool,
    /// Bearer token of `/admin`; empty = generated on first start and stored in the database.
    pub token: String,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token of `/metrics`; empty = open.
    pub token: String,
    /// Refuse to start without a token.
    pub require_token: bool,
}

/// Shortest token accepted on a listener that is not loopback.
pub const MIN_EXPOSED_TOKEN_BYTES: usize = 32;

/// Whether `host` (an IP address or `localhost`) only accepts connections from this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// EnvFilter directive.
    pub filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// A settings problem, as one line.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads the layered settings. `config_dir` holds `$GATEWAY_ENV.toml`; `extra` is `--config`.
    pub fn load(config_dir: &Path, extra: Option<&Path>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Ok(env) = std::env::var("GATEWAY_ENV")
            && !env.is_empty()
        {
            let path: PathBuf = config_dir.join(format!("{env}.toml"));
            if !path.is_file() {
                return Err(SettingsError(format!(
                    "GATEWAY_ENV={env} but {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path));
        }
        if let Some(extra) = extra {
            if !extra.is_file() {
                return Err(SettingsError(format!("{} does not exist", extra.display())));
            }
            builder = builder.add_source(File::from(extra.to_path_buf()));
        }
        builder = builder.add_source(
            Environment::with_prefix("GATEWAY")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    /// The embedded defaults only (no files, no environment): the base for tests.
    pub fn defaults() -> Result<Self, SettingsError> {
        let settings: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        if self.auth.token_lifetime_secs <= 0 {
            return Err(SettingsError(
                "auth.token_lifetime_secs must be positive".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError(
                "database.max_connections must be at least 1".into(),
            ));
        }
        if !self.auth.jwt_secret.is_empty() && self.auth.jwt_secret.len() < 32 {
            return Err(SettingsError(
                "auth.jwt_secret must be at least 32 bytes".into(),
            ));
        }
        if self.auth.device_lifetime_secs == 0
            || self.auth.device_interval_secs == 0
            || self.auth.device_max_pending == 0
        {
            return Err(SettingsError(
                "auth.device_lifetime_secs, auth.device_interval_secs and auth.device_max_pending must be at least 1"
                    .into(),
            ));
        }
        if !self.mail.smtp_url.is_empty() {
            crate::mail::SmtpRelay::check_url(&self.mail.smtp_url).map_err(SettingsError)?;
        }
        if self.mail.from.parse::<lettre::Address>().is_err() {
            return Err(SettingsError(format!(
                "mail.from is not an e-mail address: {:?}",
                self.mail.from
            )));
        }
        let hooks = &self.webhooks;
        if hooks.queue_capacity == 0 || hooks.timeout_ms == 0 || hooks.refresh_ms == 0 {
            return Err(SettingsError(
                "webhooks.queue_capacity, webhooks.timeout_ms and webhooks.refresh_ms must be at least 1"
                    .into(),
            ));
        }
        if hooks.retry_delays_ms.len() > 20 || hooks.retry_delays_ms.iter().any(|d| *d > 86_400_000)
        {
            return Err(SettingsError(
                "webhooks.retry_delays_ms: at most 20 retries, each within a day".into(),
            ));
        }
        if self.auth.session_purge_interval_secs == 0 || self.auth.session_purge_batch == 0 {
            return Err(SettingsError(
                "auth.session_purge_interval_secs and auth.session_purge_batch must be at least 1"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The listener rule: when `server.host` is not loopback, a configured admin or metrics token
    /// must be at least [`MIN_EXPOSED_TOKEN_BYTES`] long (a generated admin token is), and
    /// `metrics.require_token` needs a metrics token. Checked before anything is opened or bound.
    pub fn check_listener(&self) -> Result<(), SettingsError> {
        if self.metrics.require_token && self.metrics.token.is_empty() {
            return Err(SettingsError(
                "metrics.require_token is set but metrics.token is empty (set GATEWAY__METRICS__TOKEN)"
                    .into(),
            ));
        }
        if is_loopback_host(&self.server.host) {
            return Ok(());
        }
        let short = |t: &str| !t.is_empty() && t.len() < MIN_EXPOSED_TOKEN_BYTES;
        let host = &self.server.host;
        if self.admin.enabled && short(&self.admin.token) {
            return Err(SettingsError(format!(
                "admin.token is shorter than {MIN_EXPOSED_TOKEN_BYTES} bytes and server.host {host} is not loopback (use a longer token, leave it empty for a generated one, or set admin.enabled = false)"
            )));
        }
        if short(&self.metrics.token) {
            return Err(SettingsError(format!(
                "metrics.token is shorter than {MIN_EXPOSED_TOKEN_BYTES} bytes and server.host {host} is not loopback"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.server.body_limit_bytes, 65536);
        assert_eq!(s.database.url, "sqlite://./data/gateway.db");
        assert_eq!(s.log.format, LogFormat::Pretty);
    }

    /// The defaults carry no usable admin secret: the token is empty (a random one is generated
    /// and stored on first start), and no well-known token string is left in the file.
    #[test]
    fn the_defaults_have_no_admin_token_string() {
        let s = Settings::defaults().unwrap();
        assert!(s.admin.enabled);
        assert_eq!(s.admin.token, "");
        assert!(!DEFAULTS.contains("dev-admin-token"));
        assert_eq!(s.metrics.token, "");
        assert!(!s.metrics.require_token);
        assert_eq!(s.database.sqlite_synchronous, SqliteSynchronous::Normal);
        assert_eq!(s.database.statement_timeout_ms, 30_000);
        assert_eq!(s.database.connect_timeout_secs, 5);
        assert_eq!(s.auth.session_purge_interval_secs, 300);
    }

    /// `GATEWAY_ENV=production`: admin API off, commits fsynced, `/metrics` needs a token.
    #[test]
    fn production_disables_admin_fsyncs_and_protects_metrics() {
        let s: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from_str(
                include_str!("../../../config/production.toml"),
                FileFormat::Toml,
            ))
            .build()
            .and_then(Config::try_deserialize)
            .unwrap();
        assert!(!s.admin.enabled);
        assert_eq!(s.database.sqlite_synchronous, SqliteSynchronous::Full);
        assert!(s.metrics.require_token);
        let err = s.check_listener().unwrap_err().to_string();
        assert!(err.contains("metrics.token"), "{err}");
        let mut s = s;
        s.metrics.token = "m".repeat(32);
        s.check_listener().unwrap();
    }

    /// A listener that is not loopback refuses a configured admin or metrics token shorter than
    /// 32 bytes; an empty (generated) admin token, a disabled admin API and loopback are fine.
    #[test]
    fn exposed_listeners_need_long_tokens() {
        let mut s = Settings::defaults().unwrap();
        s.admin.token = "short-token".into();
        for host in ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"] {
            s.server.host = host.into();
            s.check_listener().unwrap();
        }
        for host in ["0.0.0.0", "::", "192.168.1.10", "gateway.example.com"] {
            s.server.host = host.into();
            let err = s.check_listener().unwrap_err().to_string();
            assert!(
                err.contains("admin.token is shorter than 32 bytes") && err.contains(host),
                "{err}"
            );
        }
        s.admin.token = String::new();
        s.check_listener().unwrap();
        s.admin.token = "x".repeat(32);
        s.check_listener().unwrap();
        s.admin.token = "short".into();
        s.admin.enabled = false;
        s.check_listener().unwrap();
        s.metrics.token = "short".into();
        let err = s.check_listener().unwrap_err().to_string();
        assert!(err.contains("metrics.token"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("gw-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("extra.toml");
        std::fs::write(&file, "[server]\nbogus = 1\n").unwrap();
        let err = Settings::load(&dir, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("bogus"), "{err}");
    }
}
