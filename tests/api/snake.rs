//! End-to-end tests of the snake dialect: every scenario of shared/specs/snake.md ("Scenarios a
//! compatible server must pass", numbered in the comments), against the real server on a fresh
//! database, plus the two published SDKs (dreadnode, zenml) driven by tests/sdk/python.

use std::time::Duration;

use anyhow::{Context, ensure};
use gateway_core::{Surface, UserId};
use gateway_tests::{
    TestApp, TestDb,
    http::{Answer, send_json},
    sdk, spawn_app, spawn_app_on,
};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// The exact 401 body of the platform surface.
fn auth_failed() -> Value {
    json!({"code": 401, "detail": "Authentication failed", "type": "authentication_error"})
}

/// `alg: none` JWT header, base64url: `{"alg":"none","typ":"JWT"}`.
const ALG_NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

/// A platform user: id, API key and access token.
struct PlatformUser {
    id: String,
    key: String,
    token: String,
}

async fn platform_user(app: &TestApp, username: &str) -> anyhow::Result<PlatformUser> {
    let id = app.create_user(username).await?;
    let creds = app.credentials(&id, "platform", true).await?;
    Ok(PlatformUser {
        key: creds.api_key.context("platform api key")?,
        token: creds.token,
        id,
    })
}

fn get_user(app: &TestApp) -> RequestBuilder {
    app.client.get(app.url("/api/v1/user"))
}

fn change_username(app: &TestApp, key: &str) -> RequestBuilder {
    app.client
        .post(app.url("/api/v1/user/username"))
        .header("x-api-key", key)
}

/// A `ZENPROKEY_` API key of `user_id`.
async fn zen_key(app: &TestApp, user_id: &str) -> anyhow::Result<String> {
    app.credentials(user_id, "users-me", true)
        .await?
        .api_key
        .context("users-me api key")
}

fn login(app: &TestApp) -> RequestBuilder {
    app.client.post(app.url("/auth/login"))
}

/// Logs in as the SDK does (key in the form and the header); returns the access token.
async fn zen_token(app: &TestApp, user_id: &str) -> anyhow::Result<String> {
    let key = zen_key(app, user_id).await?;
    let r = send_json(login(app).bearer_auth(&key).form(&[("password", &key)])).await?;
    ensure!(r.status == 200, "login failed: {} {}", r.status, r.json());
    r.json()["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("access_token")
}

fn get_me(app: &TestApp, token: &str) -> RequestBuilder {
    app.client.get(app.url("/users/me")).bearer_auth(token)
}

fn patch_me(app: &TestApp, token: &str, body: &Value) -> RequestBuilder {
    app.client
        .patch(app.url("/users/me"))
        .bearer_auth(token)
        .json(body)
}

/// Asserts a users-me error: status, exception class, JSON content type, and
/// `WWW-Authenticate: Bearer` on 401.
fn assert_zen_error(r: &Answer, status: u16, class: &str) {
    assert_eq!(r.status, status, "{}", r.json());
    assert_eq!(r.json()["detail"][0], class, "{}", r.json());
    assert!(r.json()["detail"][1].is_string(), "{}", r.json());
    assert_eq!(
        r.json().as_object().map(|o| o.len()),
        Some(1),
        "{}",
        r.json()
    );
    assert_eq!(r.header_opt("content-type"), Some("application/json"));
    if status == 401 {
        assert_eq!(r.header_opt("www-authenticate"), Some("Bearer"));
    }
}

/// Asserts a platform error envelope with `status` and `type`.
fn assert_platform_error(r: &Answer, status: u16, kind: &str) {
    assert_eq!(r.status, status, "{}", r.json());
    assert_eq!(r.json()["code"], status, "{}", r.json());
    assert_eq!(r.json()["type"], kind, "{}", r.json());
    assert!(r.json()["detail"].is_string(), "{}", r.json());
    assert_eq!(r.header_opt("content-type"), Some("application/json"));
}

async fn create_team(
    app: &TestApp,
    name: &str,
    user_id: &str,
    role: &str,
) -> anyhow::Result<String> {
    let r = send_json(
        app.admin(Method::POST, "/teams")
            .json(&json!({"display_name": name})),
    )
    .await?;
    ensure!(r.status == 201, "create team: {} {}", r.status, r.json());
    let team = r.json()["id"].as_str().context("team id")?.to_owned();
    let r = send_json(
        app.admin(Method::POST, &format!("/teams/{team}/members"))
            .json(&json!({"user_id": user_id, "role": role})),
    )
    .await?;
    ensure!(r.status == 204, "add member: {} {}", r.status, r.json());
    Ok(team)
}

fn python_env(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("GATEWAY_URL", app.base_url.clone()),
        ("NO_PROXY", "127.0.0.1,localhost".into()),
        ("no_proxy", "127.0.0.1,localhost".into()),
    ]
}

// ---------------------------------------------------------------------------------------------
// platform (P)

/// Scenario 1 (SQLite and PostgreSQL): `X-API-Key` → 200, every field of A.6, teams with
/// `team_id`, `team_name`, `role`.
#[tokio::test]
async fn s01_get_user_with_api_key_shows_every_field() -> anyhow::Result<()> {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await?;
        let jane = app
            .create_user_with(json!({
                "username": "jane", "email": "jane@example.com", "status": "active",
                "first_name": "Jane", "last_name": "Doe", "display_name": "Jane Doe",
                "is_platform_admin": true,
            }))
            .await?;
        let id = jane["id"].as_str().context("id")?;
        let key = app
            .credentials(id, "platform", true)
            .await?
            .api_key
            .context("key")?;
        let red = create_team(&app, "Red Team", id, "owner").await?;
        let blue = create_team(&app, "Blue Team", id, "member").await?;

        let r = send_json(get_user(&app).header("x-api-key", &key)).await?;
        assert_eq!(r.status, 200, "{backend}: {}", r.json());
        assert_eq!(r.header_opt("content-type"), Some("application/json"));
        assert_eq!(r.json()["id"], id);
        for field in [
            "id",
            "email_address",
            "username",
            "first_name",
            "last_name",
            "full_name",
            "onboarding_complete",
            "email_opt_in",
            "is_platform_admin",
            "features",
            "groups",
            "teams",
            "limits",
        ] {
            assert!(
                r.json().get(field).is_some(),
                "{backend}: {field} missing in {}",
                r.json()
            );
        }
        let body = r.json();
        let teams = body["teams"].as_array().context("teams")?;
        assert_eq!(teams.len(), 2, "{backend}");
        for (team_id, name, role) in [(&red, "Red Team", "owner"), (&blue, "Blue Team", "member")] {
            let team = teams
                .iter()
                .find(|t| t["team_id"] == team_id.as_str())
                .context("team")?;
            assert_eq!(
                (&team["team_name"], &team["role"]),
                (&json!(name), &json!(role))
            );
            assert_eq!(
                (&team["org_id"], &team["org_name"]),
                (&team["team_id"], &json!(name)),
                "a team is its own organization"
            );
        }
        let mut body = r.json().clone();
        if let Some(teams) = body["teams"].as_array_mut() {
            teams.sort_by_key(|t| t["team_name"].as_str().map(str::to_owned));
        }
        insta::assert_json_snapshot!("s01_user", body, {
            ".id" => "[user id]",
            ".teams[].team_id" => "[team id]",
            ".teams[].org_id" => "[team id]",
        });
    }
    Ok(())
}

/// Scenario 2: `Authorization: Bearer <platform JWT>` → 200, the same body as with the key.
#[tokio::test]
async fn s02_get_user_with_bearer_token_gives_the_same_body() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let with_key = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    let with_token = send_json(get_user(&app).bearer_auth(&jane.token)).await?;
    assert_eq!(with_token.status, 200, "{}", with_token.json());
    assert_eq!(with_token.json(), with_key.json());
    assert_eq!(with_token.json()["id"], jane.id);
    Ok(())
}

/// Scenario 3: no credential → 401 with exactly the documented body, JSON content type.
#[tokio::test]
async fn s03_no_credential_is_401_with_the_exact_body() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let r = send_json(get_user(&app)).await?;
    assert_eq!(r.status, 401);
    assert_eq!(r.header_opt("content-type"), Some("application/json"));
    assert!(r.header_opt("x-request-id").is_some());
    assert_eq!(r.json(), auth_failed());
    insta::assert_json_snapshot!("s03_401", r.json());
    Ok(())
}

/// Scenario 4: an unknown `X-API-Key`, and an invalid key next to a valid Bearer token → 401.
#[tokio::test]
async fn s04_bad_api_keys_are_401_even_with_a_valid_token() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let unknown = "dn_0123456789abcdef_not-a-real-secret";
    for request in [
        get_user(&app).header("x-api-key", unknown),
        get_user(&app).header("x-api-key", "garbage"),
        get_user(&app)
            .header("x-api-key", unknown)
            .bearer_auth(&jane.token),
        change_username(&app, unknown)
            .bearer_auth(&jane.token)
            .json(&json!({"username": "x"})),
    ] {
        let r = send_json(request).await?;
        assert_eq!((r.status, &r.json()), (401, &auth_failed()));
    }
    // A users-me key is not a platform key.
    let zen = zen_key(&app, &jane.id).await?;
    let r = send_json(get_user(&app).header("x-api-key", &zen)).await?;
    assert_eq!((r.status, &r.json()), (401, &auth_failed()));
    Ok(())
}

/// Scenario 5: expired, forged, `alg: none`, other-surface and deleted-user tokens → 401.
#[tokio::test]
async fn s05_bad_bearer_tokens_are_401() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let user: UserId = jane.id.parse()?;
    let tokens = &app.state.tokens;
    let expired = tokens
        .issue(
            user,
            Surface::Platform,
            None,
            Some(chrono::Duration::seconds(-30)),
        )?
        .token;
    let forger = gateway_http::Tokens::new(
        b"not-the-gateway-secret-0123456789",
        tokens.issuer(),
        chrono::Duration::minutes(5),
    );
    let forged = forger.issue(user, Surface::Platform, None, None)?.token;
    let payload = jane.token.split('.').nth(1).context("jwt payload")?;
    let alg_none = format!("{ALG_NONE_HEADER}.{payload}.");
    let users_me = tokens.issue(user, Surface::UsersMe, None, None)?.token;
    for (what, token) in [
        ("expired", expired),
        ("forged", forged),
        ("alg none", alg_none),
        ("users-me", users_me),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let r = send_json(get_user(&app).bearer_auth(&token)).await?;
        assert_eq!((r.status, &r.json()), (401, &auth_failed()), "{what}");
    }

    // The user is deleted: its token and its key stop working.
    let r = send_json(app.admin(Method::DELETE, &format!("/users/{}", jane.id))).await?;
    assert_eq!(r.status, 204);
    for request in [
        get_user(&app).bearer_auth(&jane.token),
        get_user(&app).header("x-api-key", &jane.key),
    ] {
        let r = send_json(request).await?;
        assert_eq!((r.status, &r.json()), (401, &auth_failed()), "deleted user");
    }
    Ok(())
}

/// Scenario 6 (SQLite and PostgreSQL): the username change is returned and seen by a following
/// P `GET /api/v1/user` and Z `GET /users/me`.
#[tokio::test]
async fn s06_username_change_is_seen_by_both_surfaces() -> anyhow::Result<()> {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await?;
        let jane = platform_user(&app, "jane").await?;
        let r = send_json(change_username(&app, &jane.key).json(&json!({"username": "jane_doe"})))
            .await?;
        assert_eq!(r.status, 200, "{backend}: {}", r.json());
        assert_eq!(r.json()["username"], "jane_doe");
        insta::assert_json_snapshot!("s06_changed", r.json(), { ".id" => "[user id]" });

        let r = send_json(get_user(&app).bearer_auth(&jane.token)).await?;
        assert_eq!(
            (r.status, &r.json()["username"]),
            (200, &json!("jane_doe")),
            "{backend}"
        );
        let token = zen_token(&app, &jane.id).await?;
        let r = send_json(get_me(&app, &token)).await?;
        assert_eq!(
            (r.status, &r.json()["username"]),
            (200, &json!("jane_doe")),
            "{backend}"
        );

        // The same value again is a 200 that changes nothing.
        let before = app.state.gateway.user(jane.id.parse()?).await?.version;
        let r = send_json(change_username(&app, &jane.key).json(&json!({"username": "jane_doe"})))
            .await?;
        assert_eq!((r.status, &r.json()["username"]), (200, &json!("jane_doe")));
        assert_eq!(
            app.state.gateway.user(jane.id.parse()?).await?.version,
            before,
            "{backend}"
        );
    }
    Ok(())
}

/// Scenario 7: malformed JSON → 400 `invalid_request_error`.
#[tokio::test]
async fn s07_malformed_json_is_400() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let r = send_json(
        change_username(&app, &jane.key)
            .header("content-type", "application/json")
            .body(r#"{"username":"#),
    )
    .await?;
    assert_platform_error(&r, 400, "invalid_request_error");
    insta::assert_json_snapshot!("s07_400_malformed", r.json());
    Ok(())
}

/// Scenario 8: `Content-Type: text/plain` → 400 envelope.
#[tokio::test]
async fn s08_non_json_content_type_is_400() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let r = send_json(
        change_username(&app, &jane.key)
            .header("content-type", "text/plain")
            .body(r#"{"username":"jane_doe"}"#),
    )
    .await?;
    assert_platform_error(&r, 400, "invalid_request_error");
    insta::assert_json_snapshot!("s08_400_text_plain", r.json());
    let r = send_json(change_username(&app, &jane.key).body(r#"{"username":"jane_doe"}"#)).await?;
    assert_platform_error(&r, 400, "invalid_request_error");
    Ok(())
}

/// Scenario 9: `{}` → 422 with `errors[0].loc == ["body", "username"]`.
#[tokio::test]
async fn s09_missing_username_is_422_at_body_username() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let r = send_json(change_username(&app, &jane.key).json(&json!({}))).await?;
    assert_platform_error(&r, 422, "validation_error");
    assert_eq!(r.json()["errors"][0]["loc"], json!(["body", "username"]));
    assert_eq!(r.json()["errors"][0]["type"], "missing");
    insta::assert_json_snapshot!("s09_422_missing", r.json());
    Ok(())
}

/// Scenario 10: a number, `null`, 51 characters, a bad pattern → 422 with `errors[]`; nothing
/// is written.
#[tokio::test]
async fn s10_invalid_usernames_are_422() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let cases = [
        ("number", json!({"username": 123}), "string_type"),
        ("null", json!({"username": null}), "string_type"),
        (
            "too_long",
            json!({"username": "a".repeat(51)}),
            "string_too_long",
        ),
        ("pattern", json!({"username": "bad name!"}), "value_error"),
        ("empty", json!({"username": ""}), "missing"),
    ];
    for (name, body, kind) in cases {
        let r = send_json(change_username(&app, &jane.key).json(&body)).await?;
        assert_platform_error(&r, 422, "validation_error");
        let body = r.json();
        let errors = body["errors"].as_array().context("errors[]")?;
        assert_eq!(errors.len(), 1, "{name}");
        assert_eq!(
            (&errors[0]["loc"], &errors[0]["type"]),
            (&json!(["body", "username"]), &json!(kind))
        );
        insta::assert_json_snapshot!(format!("s10_422_{name}"), r.json());
    }
    let r = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    assert_eq!(r.json()["username"], "jane");
    Ok(())
}

/// Scenario 11: a username used by another user → 409 `conflict_error`.
#[tokio::test]
async fn s11_taken_username_is_409() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    app.create_user("john").await?;
    let r = send_json(change_username(&app, &jane.key).json(&json!({"username": "john"}))).await?;
    assert_platform_error(&r, 409, "conflict_error");
    insta::assert_json_snapshot!("s11_409", r.json());
    Ok(())
}

/// Scenario 12: unknown fields are ignored.
#[tokio::test]
async fn s12_extra_fields_are_ignored() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let r = send_json(
        change_username(&app, &jane.key).json(&json!({"username": "jane_doe", "extra": 1})),
    )
    .await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(r.json()["username"], "jane_doe");
    assert!(r.json().get("extra").is_none());
    Ok(())
}

/// Scenario 13: `PUT /api/v1/user/username` → 405; `GET /api/v1/user/` → 404, no redirect.
#[tokio::test]
async fn s13_wrong_method_is_405_and_trailing_slash_is_404() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let r = send_json(
        app.client
            .put(app.url("/api/v1/user/username"))
            .header("x-api-key", &jane.key)
            .json(&json!({"username": "jane_doe"})),
    )
    .await?;
    assert_platform_error(&r, 405, "method_not_allowed_error");
    assert_eq!(r.header_opt("allow"), Some("POST"));
    insta::assert_json_snapshot!("s13_405", r.json());

    let r = send_json(
        app.client
            .get(app.url("/api/v1/user/"))
            .header("x-api-key", &jane.key),
    )
    .await?;
    assert_platform_error(&r, 404, "not_found_error");
    assert!(r.header_opt("location").is_none());
    insta::assert_json_snapshot!("s13_404", r.json());
    Ok(())
}

/// Scenario 14: a body over 64 KiB → 413.
#[tokio::test]
async fn s14_oversized_body_is_413() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let body = json!({"username": "jane_doe", "pad": "x".repeat(65 * 1024)});
    let r = send_json(change_username(&app, &jane.key).json(&body)).await?;
    assert_platform_error(&r, 413, "payload_too_large_error");
    insta::assert_json_snapshot!("s14_413", r.json());
    let r = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    assert_eq!(r.json()["username"], "jane");
    Ok(())
}

/// Scenario 15 (raw HTTP; the SDK half runs in `s16_dreadnode_sdk`): an injected 429 with
/// "Rate limited" → the envelope with `Retry-After`, once.
#[tokio::test]
async fn s15_injected_rate_limit_uses_the_envelope_and_retry_after() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let fault =
        json!({"surface": "platform", "status": 429, "message": "Rate limited", "count": 1});
    let r = send_json(app.admin(Method::POST, "/faults").json(&fault)).await?;
    assert_eq!(r.status, 201, "{}", r.json());
    let r = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    assert_platform_error(&r, 429, "rate_limit_error");
    assert_eq!(r.json()["detail"], "Rate limited");
    assert!(
        r.header_opt("retry-after")
            .is_some_and(|s| s.parse::<u32>().is_ok())
    );
    insta::assert_json_snapshot!("s15_429", r.json());
    let r = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    assert_eq!(r.status, 200, "the fault fires once");
    Ok(())
}

/// Scenarios 16 and 15 with the published SDK (PyPI dreadnode 2.0.52): `get_user()` for both
/// base URLs, `AuthenticationError("401: Authentication failed")` without or with a bad key,
/// and a one-shot 429 raised as a plain `RuntimeError("429: Rate limited")`.
#[tokio::test]
async fn s16_dreadnode_sdk() -> anyhow::Result<()> {
    let python = sdk::python()?;
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    create_team(&app, "Red Team", &jane.id, "owner").await?;
    let fault =
        json!({"surface": "platform", "status": 429, "message": "Rate limited", "count": 1});
    let r = send_json(app.admin(Method::POST, "/faults").json(&fault)).await?;
    assert_eq!(r.status, 201, "{}", r.json());
    let mut env = python_env(&app);
    env.extend([
        ("PLATFORM_API_KEY", jane.key.clone()),
        ("EXPECT_USER_ID", jane.id.clone()),
        ("EXPECT_EMAIL", "jane@example.com".to_owned()),
        ("EXPECT_USERNAME", "jane".to_owned()),
        ("EXPECT_FAULT_429", "1".to_owned()),
    ]);
    let script = sdk::repo_root().join("tests/sdk/python/dreadnode_platform.py");
    let script = script.to_str().context("script path")?;
    let out = sdk::run(&python, &[script], &env, Duration::from_secs(120)).await?;
    let steps: Vec<Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let names: Vec<_> = steps
        .iter()
        .map(|s| s["step"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "get_user_fault_429",
            "get_user_root_base",
            "get_user_api_v1_base",
            "get_user_no_key_401",
            "get_user_bad_key_401"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{out}");
    assert_eq!(steps[1]["teams"], 1, "{out}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// users-me (Z)

/// Scenario 17: login with the key in the form and the header → 200 with a bearer token valid
/// for 3600 s; the login opens a session.
#[tokio::test]
async fn s17_login_exchanges_the_key_for_a_token() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let key = zen_key(&app, &id).await?;
    let sessions = app.state.gateway.active_sessions(id.parse()?).await?;
    let r = send_json(login(&app).bearer_auth(&key).form(&[("password", &key)])).await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(r.header_opt("content-type"), Some("application/json"));
    assert_eq!(r.header_opt("cache-control"), Some("no-store"));
    assert!(
        r.json()["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    insta::assert_json_snapshot!("s17_token", r.json(), { ".access_token" => "[token]" });
    assert_eq!(
        app.state.gateway.active_sessions(id.parse()?).await?,
        sessions + 1
    );

    // The key in only one of the two places is enough.
    for request in [
        login(&app).form(&[("password", &key)]),
        login(&app).bearer_auth(&key),
    ] {
        let r = send_json(request).await?;
        assert_eq!(r.status, 200, "{}", r.json());
        let body = r.json();
        let token = body["access_token"].as_str().context("token")?;
        let me = send_json(get_me(&app, token)).await?;
        assert_eq!(me.json()["id"], id.as_str());
    }
    Ok(())
}

/// Scenario 18: unknown key, form key ≠ header key, key without the prefix → 401
/// `CredentialsNotValid` with `WWW-Authenticate: Bearer`.
#[tokio::test]
async fn s18_bad_keys_cannot_log_in() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let key = zen_key(&app, &id).await?;
    let other = zen_key(&app, &app.create_user("john").await?).await?;
    let unknown = "ZENPROKEY_0123456789abcdef_unknown-secret";
    let unprefixed = key.trim_start_matches("ZENPROKEY_").to_owned();
    let platform_key = app
        .credentials(&id, "platform", true)
        .await?
        .api_key
        .context("key")?;
    let cases = [
        (
            "unknown",
            login(&app)
                .bearer_auth(unknown)
                .form(&[("password", unknown)]),
        ),
        (
            "different",
            login(&app).bearer_auth(&key).form(&[("password", &other)]),
        ),
        (
            "unprefixed",
            login(&app)
                .bearer_auth(&unprefixed)
                .form(&[("password", &unprefixed)]),
        ),
        (
            "platform key",
            login(&app).form(&[("password", &platform_key)]),
        ),
    ];
    for (name, request) in cases {
        let r = send_json(request).await?;
        assert_zen_error(&r, 401, "CredentialsNotValid");
        insta::assert_json_snapshot!(format!("s18_401_{}", name.replace(' ', "_")), r.json());
    }
    Ok(())
}

/// Scenario 19: no body and no header → 401 envelope.
#[tokio::test]
async fn s19_login_without_a_key_is_401() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let r = send_json(login(&app)).await?;
    assert_zen_error(&r, 401, "CredentialsNotValid");
    insta::assert_json_snapshot!("s19_401", r.json());
    // An empty form is no key either.
    let r = send_json(login(&app).form(&[("password", "")])).await?;
    assert_zen_error(&r, 401, "CredentialsNotValid");
    Ok(())
}

/// Scenario 20: `GET /users/me` with the access token → `UserResponse`, `password` null.
#[tokio::test]
async fn s20_get_me_returns_the_user() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let jane = app
        .create_user_with(json!({
            "username": "jane", "email": "jane@example.com", "status": "active",
            "display_name": "Jane Doe", "password": "initial-password",
        }))
        .await?;
    let id = jane["id"].as_str().context("id")?;
    let token = zen_token(&app, id).await?;
    let r = send_json(get_me(&app, &token).header("source-context", "python")).await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(r.header_opt("content-type"), Some("application/json"));
    assert_eq!(
        (&r.json()["id"], &r.json()["username"]),
        (&json!(id), &json!("jane"))
    );
    assert_eq!(r.json()["password"], Value::Null);
    assert!(
        r.json()
            .as_object()
            .is_some_and(|o| o.contains_key("password"))
    );
    insta::assert_json_snapshot!("s20_user", r.json(), { ".id" => "[user id]" });
    Ok(())
}

/// Scenario 21: no token, expired, forged, a platform token, the raw API key → 401 with
/// `WWW-Authenticate: Bearer`.
#[tokio::test]
async fn s21_bad_access_tokens_are_401() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let user: UserId = id.parse()?;
    let key = zen_key(&app, &id).await?;
    let tokens = &app.state.tokens;
    let expired = tokens
        .issue(
            user,
            Surface::UsersMe,
            None,
            Some(chrono::Duration::seconds(-30)),
        )?
        .token;
    let forger = gateway_http::Tokens::new(
        b"not-the-gateway-secret-0123456789",
        tokens.issuer(),
        chrono::Duration::minutes(5),
    );
    let forged = forger.issue(user, Surface::UsersMe, None, None)?.token;
    let platform = tokens.issue(user, Surface::Platform, None, None)?.token;

    let r = send_json(app.client.get(app.url("/users/me"))).await?;
    assert_zen_error(&r, 401, "CredentialsNotValid");
    insta::assert_json_snapshot!("s21_401_no_token", r.json());
    for (name, token) in [
        ("expired", expired),
        ("forged", forged),
        ("platform", platform),
        ("api_key", key),
    ] {
        let r = send_json(get_me(&app, &token)).await?;
        assert_zen_error(&r, 401, "CredentialsNotValid");
        insta::assert_json_snapshot!(format!("s21_401_{name}"), r.json());
    }
    Ok(())
}

/// Scenario 22 (SQLite and PostgreSQL): `PATCH {"name", "job_title"}` → 200 with both changed
/// and every other field unchanged.
#[tokio::test]
async fn s22_patch_changes_only_the_given_fields() -> anyhow::Result<()> {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await?;
        let id = app.create_user("jane").await?;
        let token = zen_token(&app, &id).await?;
        let before = send_json(get_me(&app, &token)).await?.json();
        let r = send_json(patch_me(
            &app,
            &token,
            &json!({"name": "Jane", "job_title": "ML Eng"}),
        ))
        .await?;
        assert_eq!(r.status, 200, "{backend}: {}", r.json());
        let mut expected = before.clone();
        expected["name"] = json!("Jane");
        expected["job_title"] = json!("ML Eng");
        assert_eq!(r.json(), expected, "{backend}");
        insta::assert_json_snapshot!("s22_patched", r.json(), { ".id" => "[user id]" });
        let after = send_json(get_me(&app, &token)).await?.json();
        assert_eq!(after, expected, "{backend}");
    }
    Ok(())
}

/// Scenario 23: invalid values and malformed JSON → 422 `ValueError`; nothing is written.
#[tokio::test]
async fn s23_invalid_patches_are_422_value_errors() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let cases = [
        ("empty_name", json!({"name": ""})),
        ("long_company", json!({"company": "c".repeat(51)})),
        ("bad_username", json!({"username": "bad name"})),
        ("bad_email", json!({"email": "not-an-email"})),
        ("name_number", json!({"name": 123})),
        ("metadata_string", json!({"metadata": "x"})),
        (
            "several",
            json!({"name": "", "is_onboarded": "yes", "avatar_url": "u".repeat(2049)}),
        ),
    ];
    for (name, body) in cases {
        let r = send_json(patch_me(&app, &token, &body)).await?;
        assert_zen_error(&r, 422, "ValueError");
        insta::assert_json_snapshot!(format!("s23_422_{name}"), r.json());
    }
    let r = send_json(
        app.client
            .patch(app.url("/users/me"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"name": "#),
    )
    .await?;
    assert_zen_error(&r, 422, "ValueError");
    insta::assert_json_snapshot!("s23_422_malformed", r.json());
    let r = send_json(
        app.client
            .patch(app.url("/users/me"))
            .bearer_auth(&token)
            .body("name=x"),
    )
    .await?;
    assert_zen_error(&r, 422, "ValueError");

    let me = send_json(get_me(&app, &token)).await?.json();
    assert_eq!(
        (&me["name"], &me["username"], &me["company"]),
        (&Value::Null, &json!("jane"), &Value::Null)
    );
    Ok(())
}

/// Scenario 24: unknown fields are ignored.
#[tokio::test]
async fn s24_unknown_fields_are_ignored() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"name": "Jane", "unknown": 1}),
    ))
    .await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(r.json()["name"], "Jane");
    assert!(r.json().get("unknown").is_none());
    Ok(())
}

/// Scenario 25: `{"name": null}` leaves the name unchanged.
#[tokio::test]
async fn s25_null_leaves_the_value_unchanged() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"name": "Jane", "company": "Acme"}),
    ))
    .await?;
    assert_eq!(r.status, 200, "{}", r.json());
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"name": null, "company": null}),
    ))
    .await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(
        (&r.json()["name"], &r.json()["company"]),
        (&json!("Jane"), &json!("Acme"))
    );
    Ok(())
}

/// Scenario 26: a username (or email) used by another user → 409 `EntityExistsError`.
#[tokio::test]
async fn s26_taken_username_is_409() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    app.create_user("john").await?;
    let token = zen_token(&app, &id).await?;
    let r = send_json(patch_me(&app, &token, &json!({"username": "john"}))).await?;
    assert_zen_error(&r, 409, "EntityExistsError");
    insta::assert_json_snapshot!("s26_409_username", r.json());
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"email": "JOHN@example.com"}),
    ))
    .await?;
    assert_zen_error(&r, 409, "EntityExistsError");
    Ok(())
}

/// Scenario 27: a non-superuser setting `is_superuser` → 403 `IllegalOperationError`.
#[tokio::test]
async fn s27_non_superusers_cannot_become_superusers() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"is_superuser": true, "name": "Jane"}),
    ))
    .await?;
    assert_zen_error(&r, 403, "IllegalOperationError");
    insta::assert_json_snapshot!("s27_403", r.json());
    let me = send_json(get_me(&app, &token)).await?.json();
    assert_eq!(
        (&me["is_superuser"], &me["name"]),
        (&json!(false), &Value::Null)
    );
    Ok(())
}

/// Scenario 28: an OAuth2 user changing its email → 400 `ValueError`.
#[tokio::test]
async fn s28_oauth_users_cannot_change_their_email() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let user = app
        .create_user_with(json!({
            "username": "jane@example.com", "email": "jane@example.com", "status": "active",
            "oauth_provider": "github", "oauth_id": "4242",
        }))
        .await?;
    let id = user["id"].as_str().context("id")?;
    let token = zen_token(&app, id).await?;
    let r = send_json(patch_me(&app, &token, &json!({"email": "new@example.com"}))).await?;
    assert_zen_error(&r, 400, "ValueError");
    insta::assert_json_snapshot!("s28_400_email", r.json());
    let r = send_json(patch_me(&app, &token, &json!({"username": "jane"}))).await?;
    assert_zen_error(&r, 400, "ValueError");
    // Other fields, and the current email, are fine.
    let r = send_json(patch_me(
        &app,
        &token,
        &json!({"email": "jane@example.com", "name": "Jane"}),
    ))
    .await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(
        (&r.json()["oauth_provider"], &r.json()["oauth_id"]),
        (&json!("github"), &json!("4242"))
    );
    Ok(())
}

/// Scenario 29: a password change → 200 with `password: null`; the stored hash changes.
#[tokio::test]
async fn s29_password_change_is_never_echoed() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let before = app
        .state
        .gateway
        .user(id.parse()?)
        .await?
        .security
        .password_hash;
    let r = send_json(patch_me(&app, &token, &json!({"password": "new-secret"}))).await?;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(r.json()["password"], Value::Null);
    assert!(!r.json().to_string().contains("new-secret"));
    let after = app
        .state
        .gateway
        .user(id.parse()?)
        .await?
        .security
        .password_hash;
    assert!(after.is_some() && after != before);
    // The change ended every session, this token's too (issue 15 item 2).
    let r = send_json(get_me(&app, &token)).await?;
    assert_eq!(r.status, 401, "{}", r.json());
    let token = zen_token(&app, &id).await?;
    let r = send_json(patch_me(&app, &token, &json!({"password": "p".repeat(71)}))).await?;
    assert_zen_error(&r, 422, "ValueError");
    Ok(())
}

/// Scenario 30: `DELETE /users/me` → 405 `MethodNotAllowedError`.
#[tokio::test]
async fn s30_delete_me_is_405() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let id = app.create_user("jane").await?;
    let token = zen_token(&app, &id).await?;
    let r = send_json(app.client.delete(app.url("/users/me")).bearer_auth(&token)).await?;
    assert_zen_error(&r, 405, "MethodNotAllowedError");
    assert_eq!(r.header_opt("allow"), Some("GET, PATCH"));
    insta::assert_json_snapshot!("s30_405", r.json());
    let r = send_json(get_me(&app, &token)).await?;
    assert_eq!(r.status, 200, "the user still exists");
    // Unknown paths under /users and /auth are the surface's 404.
    let r = send_json(app.client.get(app.url("/users/me/"))).await?;
    assert_zen_error(&r, 404, "KeyError");
    Ok(())
}

/// Scenario 31 with the published client (PyPI zenml 0.98.0): login, `get`, `patch` with a
/// pydantic body, and `CredentialsNotValid` for an unknown key.
#[tokio::test]
async fn s31_zenml_sdk() -> anyhow::Result<()> {
    let python = sdk::python()?;
    let app = spawn_app().await;
    let jane = platform_user(&app, "jane").await?;
    let key = zen_key(&app, &jane.id).await?;
    let mut env = python_env(&app);
    env.extend([
        ("ZENML_API_KEY", key),
        ("EXPECT_USER_ID", jane.id.clone()),
        ("NEW_NAME", "Jäne Z".to_owned()),
        ("NEW_JOB_TITLE", "ML Eng".to_owned()),
    ]);
    let script = sdk::repo_root().join("tests/sdk/python/zenml_users_me.py");
    let script = script.to_str().context("script path")?;
    let out = sdk::run(&python, &[script], &env, Duration::from_secs(120)).await?;
    let steps: Vec<Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let names: Vec<_> = steps
        .iter()
        .map(|s| s["step"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "get_users_me",
            "patch_users_me",
            "get_users_me_after_patch",
            "unknown_key_credentials_not_valid"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{out}");
    assert_eq!(steps[0]["expires_in"], 3600, "{out}");
    // The change made through the SDK is the core user's: platform shows it.
    let r = send_json(get_user(&app).header("x-api-key", &jane.key)).await?;
    assert_eq!(r.json()["full_name"], "Jäne Z");
    Ok(())
}

/// Scenario 32 (SQLite and PostgreSQL): a username set through P is returned by Z, and a `name`
/// set through Z is returned as P `full_name`.
#[tokio::test]
async fn s32_both_surfaces_share_one_user() -> anyhow::Result<()> {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await?;
        let jane = platform_user(&app, "jane").await?;
        let token = zen_token(&app, &jane.id).await?;

        let r =
            send_json(change_username(&app, &jane.key).json(&json!({"username": "jane.doe@ex"})))
                .await?;
        assert_eq!(r.status, 200, "{backend}: {}", r.json());
        let r = send_json(get_me(&app, &token)).await?;
        assert_eq!(r.json()["username"], "jane.doe@ex", "{backend}");

        let r = send_json(patch_me(
            &app,
            &token,
            &json!({"name": "Jane Doe", "is_onboarded": true}),
        ))
        .await?;
        assert_eq!(r.status, 200, "{backend}: {}", r.json());
        let r = send_json(get_user(&app).bearer_auth(&jane.token)).await?;
        assert_eq!(
            (&r.json()["full_name"], &r.json()["onboarding_complete"]),
            (&json!("Jane Doe"), &json!(true)),
            "{backend}"
        );
    }
    Ok(())
}

/// Both OpenAPI documents are served by the gateway.
#[tokio::test]
async fn openapi_documents_are_served() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for (name, path) in [
        ("platform", "/api/v1/user/username"),
        ("users-me", "/users/me"),
    ] {
        let r = send_json(app.client.get(app.url(&format!("/openapi/{name}.json")))).await?;
        assert_eq!(r.status, 200, "{name}");
        assert!(
            r.json()["paths"].get(path).is_some(),
            "{name}: {}",
            r.json()["paths"]
        );
    }
    Ok(())
}
