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
    /// Logging.
    pub log: LogSettings,
    /// Emulator features for test suites (fixtures, request journal).
    #[serde(default)]
    pub emulator: EmulatorSettings,
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
}

impl Default for EmulatorSettings {
    fn default() -> Self {
        Self {
            fixtures: String::new(),
            journal_capacity: 200,
            journal_body_limit_bytes: 16 * 1024,
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
}

/// `[admin]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Bearer token of `/admin`; empty disables the admin API.
    pub token: String,
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
