//! Operational hardening: no built-in admin secret (a generated token kept in the database),
//! bounded session tables (the background purge), PostgreSQL statement timeouts, client errors
//! that do not log as errors, and a `/metrics` that can require a token. `docs/reliability.md`
//! ("Threat model") lists the promise each test holds.

use std::{process::Stdio, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use chrono::Utc;
use gateway_core::{SessionStore, Surface, UserId, credentials, model::NewSession};
use gateway_tests::{ADMIN_TOKEN, TestDb};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{Gw, gateway_binary, send};

/// With the default (empty) `admin.token` the admin API is not open to a well-known string: a
/// random 32-byte token is generated on first start and kept in the database, so a restart (or a
/// second instance on the same database) uses the same one. A suite's own token still works.
#[tokio::test]
async fn the_default_admin_token_is_generated_stored_and_shared() {
    for db in TestDb::all() {
        let backend = db.backend();
        let mut settings = gateway_tests::test_settings(&db).unwrap();
        settings.admin.token = gateway_server::Settings::defaults().unwrap().admin.token;
        assert_eq!(settings.admin.token, "", "the default has no token string");

        let first = gateway_server::Application::build(&settings).await.unwrap();
        let token = first.state().admin_token.clone();
        let gw = Gw::at(format!("http://127.0.0.1:{}", first.port()));
        tokio::spawn(first.run_until_stopped());
        assert_eq!(token.len(), 43, "{backend}: 32 random bytes, URL-safe");
        for guess in ["dev-admin-token", "", ADMIN_TOKEN] {
            let a = send(gw.req(Method::GET, "/admin/users").bearer_auth(guess))
                .await
                .unwrap();
            assert_eq!(a.status, 401, "{backend}: {guess:?} opened the admin API");
        }
        let a = send(gw.req(Method::GET, "/admin/users").bearer_auth(&token))
            .await
            .unwrap();
        assert_eq!(a.status, 200, "{backend}: {}", a.describe());

        // A restart on the same database agrees on the token.
        let second = gateway_server::Application::build(&settings).await.unwrap();
        assert_eq!(second.state().admin_token, token, "{backend}");
        let gw2 = Gw::at(format!("http://127.0.0.1:{}", second.port()));
        tokio::spawn(second.run_until_stopped());
        let a = send(gw2.req(Method::GET, "/admin/users").bearer_auth(&token))
            .await
            .unwrap();
        assert_eq!(a.status, 200, "{backend}: {}", a.describe());

        // Test suites keep their own token.
        let app = gateway_tests::spawn_app_on(db).await.unwrap();
        let a = send(Gw::of(&app).admin(Method::GET, "/users"))
            .await
            .unwrap();
        assert_eq!(a.status, 200, "{backend}: {}", a.describe());
    }
}

/// A session row as the purge test plants it.
fn session(user: UserId, expires_in: chrono::Duration) -> NewSession {
    let now = Utc::now();
    NewSession {
        id: uuid::Uuid::new_v4(),
        user_id: user,
        surface: Surface::UsersMe,
        refresh_token_hash: credentials::sha256_hex(&credentials::random_token(32)),
        created_at: now - chrono::Duration::days(30),
        expires_at: now + expires_in,
        is_impersonation: false,
    }
}

/// Every `POST /auth/login` adds a session row; the purge deletes the sessions that expired or
/// were revoked more than the retention ago, in batches of at most `session_purge_batch` rows,
/// and keeps live ones (and recently ended ones) on both backends.
#[tokio::test]
async fn the_purge_removes_old_sessions_and_keeps_live_ones() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = gateway_tests::spawn_app_on(db).await.unwrap();
        let store = app.state.store.clone();
        let user_id = app.create_user("purged").await.unwrap();
        let user: UserId = user_id.parse().unwrap();
        let key = app
            .credentials(&user_id, "users-me", true)
            .await
            .unwrap()
            .api_key
            .unwrap();
        for _ in 0..3 {
            let a = send(
                Gw::of(&app)
                    .req(Method::POST, "/auth/login")
                    .bearer_auth(&key),
            )
            .await
            .unwrap();
            assert_eq!(a.status, 200, "{backend}: {}", a.describe());
        }
        let logged_in = store.session_rows().await.unwrap();
        assert!(logged_in >= 3, "{backend}: {logged_in} rows after 3 logins");

        // 5 long expired, 1 revoked long ago, 1 expired an hour ago (within the retention).
        for _ in 0..5 {
            store
                .insert_session(&session(user, -chrono::Duration::days(3)))
                .await
                .unwrap();
        }
        let revoked = session(user, chrono::Duration::days(3));
        store.insert_session(&revoked).await.unwrap();
        assert!(
            store
                .revoke_session(revoked.id, Utc::now() - chrono::Duration::days(2))
                .await
                .unwrap()
        );
        store
            .insert_session(&session(user, -chrono::Duration::hours(1)))
            .await
            .unwrap();
        assert_eq!(store.session_rows().await.unwrap(), logged_in + 7);

        let purge = gateway_server::startup::SessionPurge {
            interval: Duration::from_secs(1),
            retention: Duration::from_secs(86_400),
            batch: 2,
        };
        let cutoff = Utc::now() - chrono::Duration::days(1);
        assert_eq!(
            store.purge_sessions(cutoff, 2).await.unwrap(),
            2,
            "{backend}: one statement deletes at most the batch"
        );
        assert_eq!(purge.run_once(&store).await.unwrap(), 4, "{backend}");
        assert_eq!(purge.run_once(&store).await.unwrap(), 0, "{backend}");
        assert_eq!(
            store.session_rows().await.unwrap(),
            logged_in + 1,
            "{backend}: live and recently ended sessions stay"
        );
        assert_eq!(
            store.count_active_sessions(user, Utc::now()).await.unwrap(),
            logged_in,
            "{backend}: every login session is still live"
        );
    }
}

/// The server runs the purge by itself every `auth.session_purge_interval_secs`.
#[tokio::test]
async fn the_server_purges_sessions_in_the_background() {
    for db in TestDb::all() {
        let backend = db.backend();
        let mut settings = gateway_tests::test_settings(&db).unwrap();
        settings.auth.session_purge_interval_secs = 1;
        settings.auth.session_retention_secs = 0;
        let app = gateway_tests::spawn_with(db, settings).await.unwrap();
        let store = app.state.store.clone();
        let user: UserId = app.create_user("bg").await.unwrap().parse().unwrap();
        for _ in 0..3 {
            store
                .insert_session(&session(user, -chrono::Duration::minutes(5)))
                .await
                .unwrap();
        }
        let live = session(user, chrono::Duration::hours(1));
        store.insert_session(&live).await.unwrap();
        let mut rows = store.session_rows().await.unwrap();
        for _ in 0..50 {
            if rows == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            rows = store.session_rows().await.unwrap();
        }
        assert_eq!(rows, 1, "{backend}: the expired sessions were not purged");
        assert!(store.session(live.id).await.unwrap().is_some(), "{backend}");
    }
}

/// PostgreSQL connections of the pool carry `statement_timeout` (30 s by default, the setting
/// when given), next to the schema option the URL already has.
#[tokio::test]
async fn postgres_pooled_connections_have_a_statement_timeout() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let app = gateway_tests::spawn_app_on(TestDb::postgres().unwrap())
        .await
        .unwrap();
    let pg = app.state.store.postgres_settings().await.unwrap().unwrap();
    assert_eq!(pg.statement_timeout, "30s");

    let mut settings = gateway_tests::test_settings(&db).unwrap();
    settings.database.statement_timeout_ms = 1234;
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    let pg = app.state.store.postgres_settings().await.unwrap().unwrap();
    assert_eq!(pg.statement_timeout, "1234ms");
    // The URL's own search_path option is kept: the schema of the test is in use.
    let a = send(Gw::of(&app).admin(Method::GET, "/users"))
        .await
        .unwrap();
    assert_eq!(a.status, 200, "{}", a.describe());
    assert!(app.state.store.sqlite_settings().await.unwrap().is_none());
}

/// `metrics.token` set: `/metrics` answers 401 without it (or with another token) and 200 with it.
#[tokio::test]
async fn metrics_require_the_configured_token() {
    let db = TestDb::sqlite();
    let mut settings = gateway_tests::test_settings(&db).unwrap();
    let token = "metrics-token-0123456789abcdef-0123";
    settings.metrics.token = token.into();
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    let gw = Gw::of(&app);
    let a = send(gw.req(Method::GET, "/metrics")).await.unwrap();
    assert_eq!(a.status, 401, "{}", a.describe());
    assert!(a.header("www-authenticate").starts_with("Bearer"));
    let a = send(gw.req(Method::GET, "/metrics").bearer_auth(ADMIN_TOKEN))
        .await
        .unwrap();
    assert_eq!(a.status, 401, "{}", a.describe());
    let a = send(gw.req(Method::GET, "/metrics").bearer_auth(token))
        .await
        .unwrap();
    assert_eq!(a.status, 200, "{}", a.describe());
    assert!(a.text.contains("gateway_http_requests_total"), "{}", a.text);

    // Open by default.
    let open = gateway_tests::spawn_app().await;
    let a = send(Gw::of(&open).req(Method::GET, "/metrics"))
        .await
        .unwrap();
    assert_eq!(a.status, 200, "{}", a.describe());
}

/// The log lines of the real binary (JSON, `info`) while clients send requests without (or with
/// a wrong) credential: every 401 is logged at INFO, none at WARN or ERROR.
#[tokio::test]
async fn client_errors_are_not_logged_as_errors() {
    let db = TestDb::sqlite();
    let bin = gateway_binary().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(&bin)
        .arg("--config-dir")
        .arg(config_dir.path())
        .arg("serve")
        .env_remove("GATEWAY_ENV")
        .env_remove("GATEWAY_CONFIG")
        .env_remove("RUST_LOG")
        .env("GATEWAY__SERVER__PORT", "0")
        .env("GATEWAY__SERVER__WORKERS", "1")
        .env("GATEWAY__DATABASE__URL", db.url())
        .env("GATEWAY__ADMIN__TOKEN", ADMIN_TOKEN)
        .env("GATEWAY__LOG__FORMAT", "json")
        .env("GATEWAY__LOG__FILTER", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let logs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line.strip_prefix("gateway listening on ") {
                return Ok::<_, anyhow::Error>(url.trim().to_owned());
            }
        }
        bail!("the gateway exited before listening")
    })
    .await
    .context("the gateway did not start within 60 s")
    .unwrap()
    .unwrap();
    let collected = logs.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            collected
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line);
        }
    });
    let gw = Gw::at(base);
    let requests = [
        gw.req(Method::GET, "/me"),
        gw.req(Method::GET, "/api/v1/user"),
        gw.req(Method::GET, "/users/me"),
        gw.req(Method::GET, "/api/workspace/account/profile"),
        gw.req(Method::GET, "/admin/users"),
        gw.req(Method::GET, "/admin/users").bearer_auth("wrong"),
        gw.req(Method::POST, "/auth/login"),
    ];
    let mut statuses = Vec::new();
    for rb in requests {
        statuses.push(send(rb).await.unwrap().status);
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    // Every request's "request finished" line has arrived.
    let mut finished = 0;
    for _ in 0..100 {
        let logs = logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        finished = logs
            .iter()
            .filter(|l| l.contains("request finished"))
            .count();
        if finished >= statuses.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let logs = logs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(finished >= statuses.len(), "{logs:#?}");
    for line in &logs {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let level = event["level"].as_str().unwrap_or_default();
        assert!(
            level == "INFO" || level == "DEBUG" || level == "TRACE",
            "a client error logged at {level}: {line}"
        );
    }
}
