//! Emulator features for test suites, end to end over HTTP: fixtures (load, refuse with the
//! line, roll back, reset), fault injection (by user, status in the dialect's envelope, latency,
//! dropped connection), the request journal (redaction, capacity, query, clear), `/metrics`, and
//! the web console (served and protected over HTTP, and driven in headless Chromium).
//!
//! The surfaces used are `account-profile` (Bearer token or key, PascalCase envelope) and
//! `platform` (`X-API-Key`), both mounted by their dialects.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::{Duration, Instant};

use gateway_tests::{
    ADMIN_TOKEN, TestApp, TestDb, sdk, spawn_app, spawn_app_on, spawn_with, test_settings,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ALICE_ID: &str = "6f2d4f6e-7a59-4f53-9d0b-3c5bb1c1a001";
const PROFILE: &str = "/api/workspace/account/profile";
const ALICE_PROFILE_TOKEN: &str = "alice-profile-token-0001";
const BOB_PROFILE_TOKEN: &str = "bob-profile-token-000001";
const ALICE_PLATFORM_TOKEN: &str = "alice-platform-token-001";
const ALICE_PLATFORM_KEY: &str = "dn_0123456789abcdef_alice-platform-secret";
const ALICE_PROFILE_KEY: &str = "mt_00000000000000a1_alice-profile-secret";
const PROJECT_ID: &str = "0b6c3c1e-3a61-4f6e-8a4e-5d8f7a2b9c01";

/// The fixture document most tests load.
fn fixtures_yaml() -> String {
    format!(
        r#"# Fixtures of the emulator tests.
users:
  - id: {ALICE_ID}
    username: alice
    email: Alice@Example.com
    email_verified: true
    password: alice-password
    display_name: Alice Liddell
    first_name: Alice
    last_name: Liddell
    locale: en-gb
    timezone: Europe/London
    country_code: gb
    client_metadata: {{theme: dark}}
    selected_team: Core
    api_keys:
      - surface: platform
        key: {ALICE_PLATFORM_KEY}
        label: ci
      - surface: account-profile
        key: {ALICE_PROFILE_KEY}
    tokens:
      - surface: account-profile
        token: {ALICE_PROFILE_TOKEN}
      - surface: platform
        token: {ALICE_PLATFORM_TOKEN}
  - username: bob
    email: bob@example.com
    tokens:
      - surface: account-profile
        token: {BOB_PROFILE_TOKEN}
teams:
  - display_name: Core
    members:
      - user: alice
        role: owner
      - user: bob
projects:
  - id: {PROJECT_ID}
    display_name: Demo project
    publishable_client_key: pck_fixture0000000000000001
    secret_server_key: ssk_fixture0000000000000001
faults:
  - surface: users-me
    method: DELETE
    status: 502
"#
    )
}

async fn load(
    app: &TestApp,
    body: &str,
    content_type: &str,
    name: Option<&str>,
) -> (StatusCode, Value) {
    let path = match name {
        Some(n) => format!("/fixtures?name={n}"),
        None => "/fixtures".to_owned(),
    };
    let res = app
        .admin(Method::POST, &path)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn load_fixtures(app: &TestApp) -> Value {
    let (status, summary) = load(
        app,
        &fixtures_yaml(),
        "application/yaml",
        Some("fixtures.yaml"),
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    summary
}

async fn get_json(app: &TestApp, method: Method, path: &str) -> Value {
    let res = app.admin(method, path).send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

async fn profile(app: &TestApp, credential: &str) -> reqwest::Response {
    app.client
        .get(app.url(PROFILE))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap()
}

async fn usernames(app: &TestApp) -> Vec<String> {
    let users = get_json(app, Method::GET, "/users").await;
    let mut names: Vec<String> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn fixtures_load_users_teams_and_credentials_that_the_surfaces_accept() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.unwrap();
        let summary = load_fixtures(&app).await;
        assert_eq!(summary["users"]["alice"], ALICE_ID, "{backend}");
        assert_eq!(
            summary["counts"],
            json!({"users": 2, "teams": 1, "memberships": 2, "api_keys": 2, "tokens": 3, "sessions": 0, "projects": 1, "faults": 1}),
            "{backend}"
        );

        // Core fields, normalised as the core normalises them.
        let alice = get_json(&app, Method::GET, &format!("/users/{ALICE_ID}")).await;
        assert_eq!(alice["email"], "alice@example.com", "{backend}");
        assert_eq!(alice["status"], "active", "{backend}");
        assert_eq!(alice["display_name"], "Alice Liddell", "{backend}");
        assert_eq!(alice["has_password"], true, "{backend}");
        let core = app
            .state
            .gateway
            .user(ALICE_ID.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(core.profile.locale.as_deref(), Some("en-GB"), "{backend}");
        assert_eq!(
            core.profile.country_code.as_deref(),
            Some("GB"),
            "{backend}"
        );
        assert_eq!(
            core.metadata.client,
            Some(json!({"theme": "dark"})),
            "{backend}"
        );
        let memberships = app.state.gateway.memberships(core.id).await.unwrap();
        assert_eq!(memberships.len(), 1, "{backend}");
        assert_eq!(
            memberships[0].role,
            gateway_core::TeamRole::Owner,
            "{backend}"
        );
        assert_eq!(
            core.account.selected_team_id,
            Some(memberships[0].team.id),
            "{backend}"
        );
        assert!(gateway_core::credentials::verify_password(
            "alice-password",
            core.security.password_hash.as_deref().unwrap()
        ));

        // The fixed token and the known key work on their surface.
        let res = profile(&app, ALICE_PROFILE_TOKEN).await;
        assert_eq!(res.status(), 200, "{backend}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["Data"]["UserName"],
            "alice",
            "{backend}"
        );
        let res = profile(&app, ALICE_PROFILE_KEY).await;
        assert_eq!(res.status(), 200, "{backend}: the known API key");
        let res = profile(&app, BOB_PROFILE_TOKEN).await;
        assert_eq!(
            res.json::<Value>().await.unwrap()["Data"]["UserName"],
            "bob",
            "{backend}"
        );
        let res = app
            .client
            .get(app.url("/api/v1/user"))
            .header("x-api-key", ALICE_PLATFORM_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{backend}: the known platform key");
        assert!(res.text().await.unwrap().contains("\"alice\""), "{backend}");
        let res = app
            .client
            .get(app.url("/api/v1/user"))
            .bearer_auth(ALICE_PLATFORM_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{backend}: the fixed platform token");

        // ...and only there.
        assert_eq!(
            profile(&app, ALICE_PLATFORM_TOKEN).await.status(),
            401,
            "{backend}"
        );
        assert_eq!(
            profile(&app, "alice-profile-token-0002").await.status(),
            401,
            "{backend}"
        );

        // Keys are stored like issued ones: id and digest, never the text.
        let keys = app.state.gateway.api_keys_of(core.id).await.unwrap();
        let platform = keys.iter().find(|k| k.id == "0123456789abcdef").unwrap();
        assert_eq!(
            platform.secret_hash,
            gateway_core::credentials::sha256_hex("alice-platform-secret")
        );
        assert_eq!(platform.label.as_deref(), Some("ci"));

        let rules = get_json(&app, Method::GET, "/faults").await;
        assert_eq!(
            rules.as_array().unwrap().len(),
            1,
            "{backend}: the fixture's fault rule"
        );
        assert_eq!(rules[0]["status"], 502);
        let shown = get_json(&app, Method::GET, "/fixtures").await;
        assert_eq!(shown["source"], "fixtures.yaml");
        let project = app
            .state
            .gateway
            .project(PROJECT_ID.parse().unwrap())
            .await
            .unwrap();
        assert!(project.accepts(
            gateway_core::ProjectKey::SecretServer,
            "ssk_fixture0000000000000001"
        ));
    }
}

#[tokio::test]
async fn an_invalid_fixture_file_is_refused_with_its_line_and_nothing_is_loaded() {
    let app = spawn_app().await;
    load_fixtures(&app).await;

    let broken = "users:\n  - username: carol\n  - username: dave\n    email: not-an-email\n    tokens:\n      - {surface: me, token: short}\n";
    let (status, body) = load(&app, broken, "application/yaml", Some("broken.yaml")).await;
    assert_eq!(status, 422);
    insta::assert_json_snapshot!("fixtures_refused", body);
    assert_eq!(
        usernames(&app).await,
        ["alice", "bob"],
        "nothing of the refused file was written"
    );
    assert_eq!(
        profile(&app, ALICE_PROFILE_TOKEN).await.status(),
        200,
        "the loaded fixtures stay"
    );

    // JSON: a syntax error carries the parser's line; unknown fields are refused.
    let (status, body) = load(
        &app,
        "{\n  \"users\": [\n    {\"username\": \"x\",}\n  ]\n}",
        "application/json",
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["issues"][0]["line"], 3, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("request body:3:"),
        "{body}"
    );
    let (status, body) = load(
        &app,
        r#"{"users": [{"username": "x", "colour": "red"}]}"#,
        "application/json",
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{body}"
    );
    let (status, body) = load(
        &app,
        "users:\n  - username: [unterminated\n",
        "text/plain",
        Some("x.yml"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["issues"][0]["line"].is_number(), "{body}");
    assert_eq!(usernames(&app).await, ["alice", "bob"]);

    let res = app
        .client
        .post(app.url("/admin/fixtures"))
        .body("users: []")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the admin token is required");
}

#[tokio::test]
async fn a_write_that_fails_midway_is_rolled_back_to_the_previous_fixtures() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    // Valid on its own, but the project id exists with other keys (projects outlive a reset), so
    // the write fails after the users were inserted.
    let conflicting = format!(
        "users:\n  - username: zed\n  - username: yan\nprojects:\n  - id: {PROJECT_ID}\n    display_name: Other\n    publishable_client_key: pck_other000000000000000001\n    secret_server_key: ssk_other000000000000000001\n"
    );
    let (status, body) = load(
        &app,
        &conflicting,
        "application/yaml",
        Some("conflict.yaml"),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the previous fixtures were restored"),
        "{message}"
    );
    assert_eq!(
        usernames(&app).await,
        ["alice", "bob"],
        "zed and yan were rolled back"
    );
    assert_eq!(profile(&app, ALICE_PROFILE_TOKEN).await.status(), 200);
    assert_eq!(
        get_json(&app, Method::GET, "/fixtures").await["source"],
        "fixtures.yaml"
    );
}

#[tokio::test]
async fn reset_returns_to_the_fixture_state() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    let bob = app.state.gateway.user_by_username("bob").await.unwrap().id;

    app.create_user("extra").await.unwrap();
    let res = app
        .admin(Method::DELETE, &format!("/users/{ALICE_ID}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_ne!(
        profile(&app, ALICE_PROFILE_TOKEN).await.status(),
        200,
        "alice is gone"
    );
    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"surface": "me", "status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    profile(&app, BOB_PROFILE_TOKEN).await;
    assert!(
        !get_json(&app, Method::GET, "/journal")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    let res = app.admin(Method::POST, "/reset").send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(usernames(&app).await, ["alice", "bob"]);
    assert_eq!(
        app.state.gateway.user_by_username("bob").await.unwrap().id,
        bob,
        "same ids"
    );
    assert_eq!(
        profile(&app, ALICE_PROFILE_TOKEN).await.status(),
        200,
        "alice and her token are back"
    );
    let rules = get_json(&app, Method::GET, "/faults").await;
    assert_eq!(
        rules.as_array().unwrap().len(),
        1,
        "only the fixture's rule: {rules}"
    );
    assert_eq!(rules[0]["surface"], "users-me");
    let journal = get_json(&app, Method::GET, "/journal").await;
    assert_eq!(
        journal.as_array().unwrap().len(),
        1,
        "cleared by the reset; only the request since: {journal}"
    );
}

#[tokio::test]
async fn fault_rules_match_by_user_and_render_in_the_dialect_envelope() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    let add = |rule: Value| {
        let req = app.admin(Method::POST, "/faults").json(&rule);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };

    add(json!({"surface": "account-profile", "user": "alice", "status": 429, "retry_after": 3, "message": "slow down"})).await;
    let res = profile(&app, BOB_PROFILE_TOKEN).await;
    assert_eq!(res.status(), 200, "bob is not matched");
    let res = profile(&app, ALICE_PROFILE_TOKEN).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "3");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["status"].clone(), body["detail"].clone()),
        (json!(429), json!("slow down")),
        "ProblemDetails: {body}"
    );
    assert_eq!(
        profile(&app, ALICE_PROFILE_KEY).await.status(),
        429,
        "matched through her API key too"
    );

    let bob = app.state.gateway.user_by_username("bob").await.unwrap().id;
    add(json!({"surface": "account-profile", "user": bob.to_string(), "status": 503, "count": 1}))
        .await;
    assert_eq!(
        profile(&app, BOB_PROFILE_TOKEN).await.status(),
        503,
        "by user id"
    );
    assert_eq!(
        profile(&app, BOB_PROFILE_TOKEN).await.status(),
        200,
        "count 1 is used up"
    );
    assert_eq!(
        app.client
            .get(app.url(PROFILE))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "no caller, no match"
    );

    add(json!({"surface": "platform", "user": "alice", "status": 502, "count": 1})).await;
    let res = app
        .client
        .get(app.url("/api/v1/user"))
        .header("x-api-key", ALICE_PLATFORM_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502, "platform key of alice");

    let rules = get_json(&app, Method::GET, "/faults").await;
    let fired: Vec<_> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["user"].clone(), r["fired"].clone()))
        .collect();
    assert_eq!(
        fired[1..],
        [
            (json!("alice"), json!(2)),
            (json!(bob.to_string()), json!(1)),
            (json!("alice"), json!(1))
        ]
    );
}

#[tokio::test]
async fn a_fault_can_drop_the_connection_or_add_latency() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"status": 503, "drop_connection": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "a status and a dropped connection exclude each other"
    );

    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"surface": "account-profile", "drop_connection": true, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let rule: Value = res.json().await.unwrap();
    let err = app
        .client
        .get(app.url(PROFILE))
        .bearer_auth(ALICE_PROFILE_TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "the connection was closed without an answer: {err:?}"
    );
    assert_eq!(
        profile(&app, ALICE_PROFILE_TOKEN).await.status(),
        200,
        "count 1: the next request is answered"
    );

    let journal = get_json(&app, Method::GET, "/journal?surface=account-profile").await;
    let dropped = &journal[1];
    assert_eq!(dropped["response"]["dropped"], true, "{journal}");
    assert_eq!(dropped["response"]["status"], Value::Null);
    assert_eq!(dropped["fault"]["rule"], rule["id"]);
    assert_eq!(dropped["fault"]["effect"], "drop_connection");

    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"surface": "account-profile", "latency_ms": 400, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let started = Instant::now();
    assert_eq!(profile(&app, ALICE_PROFILE_TOKEN).await.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert_eq!(profile(&app, ALICE_PROFILE_TOKEN).await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(400), "used up");

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("gateway_http_requests_total{")
                && l.contains(r#"status="dropped""#)
                && l.ends_with(" 1")),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_journal_keeps_the_last_requests_per_surface_with_secrets_redacted() {
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.emulator.journal_capacity = 3;
    settings.emulator.journal_body_limit_bytes = 256;
    let app = spawn_with(db, settings).await.unwrap();
    load_fixtures(&app).await;

    let res = app
        .client
        .put(app.url(&format!(
            "{PROFILE}?access_token={ALICE_PROFILE_TOKEN}&trace=1"
        )))
        .bearer_auth(ALICE_PROFILE_TOKEN)
        .header("x-api-key", ALICE_PLATFORM_KEY)
        .header("cookie", "session=abc")
        .json(
            &json!({"FirstName": "Ada", "Password": "hunter2", "Nested": {"client_secret": "s3"}}),
        )
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let status = res.status().as_u16();

    let entries = get_json(
        &app,
        Method::GET,
        "/journal?surface=account-profile&limit=1",
    )
    .await;
    let entry = &entries[0];
    let text = entry.to_string();
    for secret in [
        ALICE_PROFILE_TOKEN,
        ALICE_PLATFORM_KEY,
        "hunter2",
        "s3\"",
        "session=abc",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(entry["surface"], "account-profile");
    assert_eq!(entry["route"], PROFILE);
    assert_eq!(entry["request_id"], request_id);
    assert_eq!(entry["request"]["method"], "PUT");
    assert_eq!(entry["request"]["path"], PROFILE);
    assert_eq!(entry["request"]["query"], "access_token=[redacted]&trace=1");
    assert_eq!(entry["request"]["headers"]["authorization"], "[redacted]");
    assert_eq!(entry["request"]["headers"]["x-api-key"], "[redacted]");
    assert_eq!(entry["request"]["headers"]["cookie"], "[redacted]");
    assert_eq!(
        entry["request"]["headers"]["content-type"],
        "application/json"
    );
    let sent: Value =
        serde_json::from_str(entry["request"]["body"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"FirstName": "Ada", "Password": "[redacted]", "Nested": {"client_secret": "[redacted]"}})
    );
    assert_eq!(entry["response"]["status"], status);
    assert_eq!(entry["response"]["headers"]["x-request-id"], request_id);
    assert!(
        entry["response"]["body"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with('{')),
        "{entry}"
    );
    assert!(entry["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(entry["started_at"].as_str().unwrap().ends_with('Z'));

    // Bodies are cut at the limit (and still redacted).
    let long = format!(r#"{{"password": "hunter2", "Bio": "{}"}}"#, "x".repeat(400));
    app.client
        .put(app.url(PROFILE))
        .bearer_auth(ALICE_PROFILE_TOKEN)
        .header("content-type", "application/json")
        .body(long)
        .send()
        .await
        .unwrap();
    let entry = &get_json(
        &app,
        Method::GET,
        "/journal?surface=account-profile&limit=1",
    )
    .await[0];
    let body = &entry["request"]["body"];
    assert_eq!(body["truncated"], true, "{entry}");
    assert_eq!(body["bytes"], 434);
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with(r#"{"password": "[redacted]", "Bio": "xxx"#),
        "{body}"
    );

    // Capacity per surface; other surfaces and the gateway's own paths separately.
    for _ in 0..4 {
        profile(&app, BOB_PROFILE_TOKEN).await;
    }
    app.client
        .get(app.url("/api/v1/user"))
        .header("x-api-key", ALICE_PLATFORM_KEY)
        .send()
        .await
        .unwrap();
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let all = get_json(&app, Method::GET, "/journal").await;
    let surfaces: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["surface"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        surfaces,
        [
            "platform",
            "account-profile",
            "account-profile",
            "account-profile"
        ]
    );
    let ids: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let since = get_json(&app, Method::GET, &format!("/journal?since={}", ids[1])).await;
    assert_eq!(since.as_array().unwrap().len(), 1);
    assert_eq!(
        get_json(&app, Method::GET, "/journal?surface=me").await,
        json!([])
    );
    let res = app
        .admin(Method::GET, "/journal?surface=nowhere")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    let res = app
        .admin(Method::DELETE, "/journal?surface=platform")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        get_json(&app, Method::GET, "/journal")
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    app.admin(Method::DELETE, "/journal").send().await.unwrap();
    assert_eq!(get_json(&app, Method::GET, "/journal").await, json!([]));
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_status_pool_and_faults() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    profile(&app, ALICE_PROFILE_TOKEN).await;
    profile(&app, BOB_PROFILE_TOKEN).await;
    app.client
        .get(app.url("/api/workspace/nope"))
        .send()
        .await
        .unwrap();
    get_json(&app, Method::GET, &format!("/users/{ALICE_ID}")).await;
    app.admin(Method::POST, "/faults")
        .json(&json!({"surface": "account-profile", "status": 503, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(profile(&app, ALICE_PROFILE_TOKEN).await.status(), 503);

    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    for line in [
        r#"gateway_http_requests_total{method="GET",route="/api/workspace/account/profile",status="200",surface="account-profile"} 2"#,
        r#"gateway_http_requests_total{method="GET",route="/api/workspace/account/profile",status="503",surface="account-profile"} 1"#,
        r#"gateway_http_requests_total{method="GET",route="unmatched",status="404",surface="account-profile"} 1"#,
        r#"gateway_http_requests_total{method="GET",route="/admin/users/{id}",status="200",surface="none"} 1"#,
        r#"gateway_http_request_duration_seconds_count{method="GET",route="/api/workspace/account/profile",surface="account-profile"} 3"#,
        r#"gateway_fault_rules_fired_total{effect="status",status="503",surface="account-profile"} 1"#,
        "gateway_db_pool_max_connections 4",
        "gateway_fault_rules 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line} in:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"gateway_db_pool_connections{state="idle"} "#)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"gateway_db_pool_connections{state="in_use"} "#)),
        "{text}"
    );
    assert!(!text.contains(ALICE_ID), "ids never become label values");
}

#[tokio::test]
async fn the_console_is_served_by_the_gateway_and_needs_the_admin_token() {
    let app = spawn_app().await;
    load_fixtures(&app).await;
    let res = app.client.get(app.url("/console")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<script src="/console/app.js" defer></script>"#));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from another origin"
    );
    for (path, ct) in [
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/app.css", "text/css; charset=utf-8"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            (
                res.status().as_u16(),
                res.headers()["content-type"].to_str().unwrap()
            ),
            (200, ct)
        );
    }

    // The data behind the page needs the admin token.
    assert_eq!(
        app.client
            .get(app.url("/admin/surfaces"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let surfaces = get_json(&app, Method::GET, "/surfaces").await;
    let names: Vec<_> = surfaces
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["surface"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["platform", "users-me", "account-profile", "me", "users"]
    );
    let profile_surface = &surfaces[2];
    assert_eq!(profile_surface["openapi"], "/openapi/account-profile.json");
    let res = app
        .client
        .get(app.url("/openapi/account-profile.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the linked document exists");

    // The user as each surface shows it, read through the surfaces themselves.
    let views = get_json(&app, Method::GET, &format!("/users/{ALICE_ID}/views")).await;
    let by_surface = |name: &str| {
        views["views"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["surface"] == name)
            .unwrap()
            .clone()
    };
    let pascal = by_surface("account-profile");
    assert_eq!(pascal["status"], 200, "{views}");
    assert_eq!(pascal["body"]["Data"]["UserName"], "alice");
    assert_eq!(by_surface("platform")["status"], 200, "{views}");
    assert_eq!(views["views"].as_array().unwrap().len(), 5);
    assert_eq!(
        get_json(&app, Method::GET, "/journal").await,
        json!([]),
        "previews are not journaled"
    );

    // Admin API disabled: no console either.
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.admin.enabled = false;
    let closed = spawn_with(db, settings).await.unwrap();
    assert_eq!(
        closed
            .client
            .get(closed.url("/console"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn fixtures_named_in_the_settings_load_at_start_and_a_bad_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixtures.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&fixtures_json()).unwrap(),
    )
    .unwrap();
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.emulator.fixtures = file.display().to_string();
    let app = spawn_with(db, settings).await.unwrap();
    assert_eq!(usernames(&app).await, ["alice", "bob"]);
    assert_eq!(profile(&app, ALICE_PROFILE_TOKEN).await.status(), 200);

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "users:\n  - username: ok\n  - username: also ok\n").unwrap();
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.emulator.fixtures = bad.display().to_string();
    let err = spawn_with(db, settings).await.err().unwrap();
    let message = format!("{err:#}");
    assert!(
        message.contains(&format!("{}:3:15: users[1].username:", bad.display())),
        "{message}"
    );
}

/// A small fixture document in JSON.
fn fixtures_json() -> Value {
    json!({
        "users": [
            {"id": ALICE_ID, "username": "alice", "email": "alice@example.com", "password": "alice-password",
             "tokens": [{"surface": "account-profile", "token": ALICE_PROFILE_TOKEN}]},
            {"username": "bob"}
        ]
    })
}

#[tokio::test]
async fn the_console_in_headless_chromium_watches_a_fault_fire_and_changes_state() {
    let node = std::path::Path::new("node");
    let installed = tokio::task::spawn_blocking(|| {
        std::process::Command::new("bash")
            .arg(sdk::repo_root().join("scripts/install-browser-tests.sh"))
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        installed.status.success(),
        "install-browser-tests.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&installed.stdout),
        String::from_utf8_lossy(&installed.stderr)
    );
    let app = spawn_app().await;
    load_fixtures(&app).await;
    // A mail in the outbox for the console's Outbox tab.
    app.state
        .gateway
        .send_mail(gateway_core::Mail {
            to: "outbox-reader@example.com".into(),
            from_name: "Console".into(),
            subject: "Console outbox check".into(),
            text: "Open http://localhost:3000/reset?code=abc to continue.".into(),
            kind: "password_reset",
        })
        .await
        .unwrap();
    let screenshot = sdk::repo_root().join("target/console-test.png");
    let out = sdk::run(
        node,
        &[
            "tests/browser/console.mjs",
            &app.base_url,
            ADMIN_TOKEN,
            "alice",
            ALICE_PROFILE_TOKEN,
            &screenshot.display().to_string(),
        ],
        &[],
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert!(out.contains("console test passed"), "{out}");
    for step in [
        "create a user: a refused field is shown at the field",
        "revoke the sessions: the token stops working; revoke the key",
        "delete the user, then load the export back",
        "read a mail in the outbox",
        "approve a device login as the user",
    ] {
        assert!(out.contains(&format!("step: {step}")), "{step}: {out}");
    }
    // The page's own requests reached the journal: the injected 503 with its rule.
    let journal = get_json(&app, Method::GET, "/journal?surface=account-profile").await;
    assert!(
        journal
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["response"]["status"] == 503 && e["fault"].is_object()),
        "{journal}"
    );
}
