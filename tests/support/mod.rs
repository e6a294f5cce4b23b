//! Test harness shared by every end-to-end test (zero-to-production style): the real server on
//! `127.0.0.1:0` with a fresh database per test, an HTTP client, admin helpers, and runners for
//! the vendor SDK scripts.
//!
//! Databases: a fresh SQLite file in a temp dir always; a fresh PostgreSQL schema (dropped at the
//! end) when `GATEWAY_TEST_POSTGRES_URL` is set.

pub mod hooks;
pub mod http;
pub mod sdk;
pub mod smtp;

use std::sync::Once;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use gateway_server::{AppState, Application, Settings};
use serde_json::{Value, json};

/// The admin token every test server uses.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A fresh database for one test.
pub enum TestDb {
    /// A SQLite file in its own temp dir (deleted on drop).
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL schema (dropped on drop).
    Postgres {
        /// Server URL without the schema option.
        base: String,
        /// Schema name.
        schema: String,
    },
}

impl TestDb {
    /// A fresh SQLite file.
    pub fn sqlite() -> Self {
        #[expect(clippy::expect_used, reason = "test setup")]
        Self::Sqlite(tempfile::tempdir().expect("create temp dir"))
    }

    /// A fresh PostgreSQL schema, or `None` (with a notice) when `GATEWAY_TEST_POSTGRES_URL` is
    /// not set.
    pub fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var("GATEWAY_TEST_POSTGRES_URL") else {
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                eprintln!("GATEWAY_TEST_POSTGRES_URL is not set: PostgreSQL tests are skipped");
            });
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        #[expect(clippy::expect_used, reason = "test setup")]
        admin_sql(&base, &format!("CREATE SCHEMA {schema}")).expect("create test schema");
        Some(Self::Postgres { base, schema })
    }

    /// Every backend this run covers: SQLite always, PostgreSQL when configured.
    pub fn all() -> Vec<Self> {
        let mut dbs = vec![Self::sqlite()];
        dbs.extend(Self::postgres());
        dbs
    }

    /// The database URL.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}", dir.path().join("gateway.db").display()),
            Self::Postgres { base, schema } => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-csearch_path%3D{schema}")
            }
        }
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { base, schema } = self
            && let Err(e) = admin_sql(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        {
            eprintln!("could not drop test schema {schema}: {e}");
        }
    }
}

fn admin_sql(url: &str, sql: &str) -> anyhow::Result<()> {
    let target = gateway_storage::DbTarget::from_url(url)?;
    let mut conn = gateway_storage::conn::establish(&target)?;
    conn.batch_execute(sql)?;
    Ok(())
}

/// Settings for a test server on `db`: port 0, test admin token, quiet logs.
pub fn test_settings(db: &TestDb) -> anyhow::Result<Settings> {
    let mut settings = Settings::defaults()?;
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.database.url = db.url();
    settings.database.max_connections = 4;
    settings.admin.token = ADMIN_TOKEN.into();
    settings.log.filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
    Ok(settings)
}

/// A running gateway and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The server's state (gateway, tokens, store).
    pub state: AppState,
    /// The database; dropped after the app.
    pub db: TestDb,
}

static TELEMETRY: Once = Once::new();

/// Starts a gateway on a fresh SQLite database.
pub async fn spawn_app() -> TestApp {
    #[expect(clippy::expect_used, reason = "test setup")]
    spawn_app_on(TestDb::sqlite())
        .await
        .expect("start the test gateway")
}

/// Starts a gateway on `db`.
pub async fn spawn_app_on(db: TestDb) -> anyhow::Result<TestApp> {
    let settings = test_settings(&db)?;
    spawn_with(db, settings).await
}

/// Starts a gateway on `db` serving the dialects of `registry` (a test may add its own).
pub async fn spawn_with_registry(
    db: TestDb,
    registry: gateway_http::Registry,
) -> anyhow::Result<TestApp> {
    let settings = test_settings(&db)?;
    TELEMETRY.call_once(|| gateway_server::telemetry::init(&settings.log));
    let mut state = gateway_server::startup::state(&settings).await?;
    state.registry = registry;
    let app = Application::build_with_state(&settings, state).context("build the application")?;
    serve(app, db).await
}

/// Starts a gateway on `db` with custom settings.
pub async fn spawn_with(db: TestDb, settings: Settings) -> anyhow::Result<TestApp> {
    TELEMETRY.call_once(|| gateway_server::telemetry::init(&settings.log));
    let app = Application::build(&settings)
        .await
        .context("build the application")?;
    serve(app, db).await
}

async fn serve(app: Application, db: TestDb) -> anyhow::Result<TestApp> {
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(TestApp {
        base_url,
        client,
        state,
        db,
    })
}

impl TestApp {
    /// `base_url + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// An admin API request.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(&format!("/admin{path}")))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// Creates a user through the admin API with `body` (must include `username`); returns its
    /// JSON.
    pub async fn create_user_with(&self, body: Value) -> anyhow::Result<Value> {
        let res = self
            .admin(reqwest::Method::POST, "/users")
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let value: Value = res.json().await?;
        anyhow::ensure!(status == 201, "create user failed: {status} {value}");
        Ok(value)
    }

    /// Creates an active user `username` with email `<username>@example.com`; returns its id.
    pub async fn create_user(&self, username: &str) -> anyhow::Result<String> {
        let user = self
            .create_user_with(json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": "initial-password",
                "status": "active",
            }))
            .await?;
        user["id"].as_str().map(str::to_owned).context("user id")
    }

    /// Issues credentials for `surface` (token, plus an API key when `with_key`).
    pub async fn credentials(
        &self,
        user_id: &str,
        surface: &str,
        with_key: bool,
    ) -> anyhow::Result<Credentials> {
        let res = self
            .admin(reqwest::Method::POST, &format!("/users/{user_id}/tokens"))
            .json(&json!({"surface": surface, "with_keys": with_key}))
            .send()
            .await?;
        let status = res.status();
        let value: Value = res.json().await?;
        anyhow::ensure!(status == 201, "issue tokens failed: {status} {value}");
        let c = &value["credentials"][0];
        Ok(Credentials {
            token: c["access_token"]
                .as_str()
                .context("access_token")?
                .to_owned(),
            api_key: c["api_key"].as_str().map(str::to_owned),
        })
    }
}

/// A token and maybe an API key for one surface.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Access token (JWT).
    pub token: String,
    /// API key, when requested.
    pub api_key: Option<String>,
}
