//! End-to-end tests of the camel dialect: the Bird Accounts API `/me` surface
//! (`shared/specs/camel.md`, `docs/dialects/camel.md`) on the real server. Every scenario of the
//! spec ("Scenarios a compatible server must pass") has a test named after its number; 14 and 15
//! run the published Bird SDK (`tests/sdk/python/bird_me.py`, `bird_me_faults.py`). SQLite
//! always; PostgreSQL too (when `GATEWAY_TEST_POSTGRES_URL` is set) for the read/write path and
//! for idempotency keys shared by two gateway instances on one database.

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Duration};
use gateway_core::{Surface, UserId};
use gateway_http::Tokens;
use gateway_tests::{
    TestApp, TestDb,
    http::{Answer, fetch},
    sdk, spawn_app, spawn_app_on, spawn_with, test_settings,
};
use insta::{assert_json_snapshot, dynamic_redaction, internals::Redaction};
use reqwest::{Method, RequestBuilder, header};
use serde_json::{Value, json};

const JSON_UTF8: &str = "application/json; charset=utf-8";

/// `alg: none` JWT header, base64url: `{"alg":"none","typ":"JWT"}`.
const ALG_NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

/// The camel envelope checks on an [`Answer`].
trait CamelAnswer {
    /// A 200 `User`: JSON with the dialect's content type; returns the body.
    fn user(&self) -> Value;
    /// An error in the camel envelope with this status, `type` and `code`: JSON with the
    /// dialect's content type, `X-Request-Id` equal to `request_id`. Returns the body.
    fn error(&self, status: u16, kind: &str, code: &str) -> Value;
    /// A 422 whose details name exactly `params`, in this order.
    fn invalid(&self, params: &[&str]) -> Value;
}

impl CamelAnswer for Answer {
    fn user(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.header_opt("content-type"), Some(JSON_UTF8));
        assert!(
            self.header_opt("x-request-id")
                .is_some_and(|id| !id.is_empty())
        );
        self.expect_json()
    }

    fn error(&self, status: u16, kind: &str, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header_opt("content-type"), Some(JSON_UTF8));
        let body = self.expect_json();
        assert_eq!(body["type"], kind, "{body}");
        assert_eq!(body["code"], code, "{body}");
        let id = body["request_id"].as_str().expect("request_id");
        assert!(
            uuid::Uuid::parse_str(id).is_ok_and(|u| !u.is_nil()),
            "request_id {id}"
        );
        assert_eq!(self.header_opt("x-request-id"), Some(id));
        if status == 401 {
            assert_eq!(self.header_opt("www-authenticate"), Some("Bearer"));
        }
        body
    }

    fn invalid(&self, params: &[&str]) -> Value {
        let body = self.error(422, "validation_error", "ValidationFailed");
        assert_eq!(body["message"], "Request validation failed");
        let got: Vec<&str> = body["details"]
            .as_array()
            .expect("details")
            .iter()
            .map(|d| d["param"].as_str().expect("param"))
            .collect();
        assert_eq!(got, params, "{body}");
        body
    }
}

/// A user with a login token and a `bird_` API key for the `me` surface.
struct Caller {
    id: String,
    token: String,
    key: String,
}

async fn caller(app: &TestApp, username: &str) -> Caller {
    let id = app.create_user(username).await.expect("create user");
    let creds = app
        .credentials(&id, "me", true)
        .await
        .expect("issue credentials");
    Caller {
        token: creds.token,
        key: creds.api_key.expect("api key"),
        id,
    }
}

fn me(app: &TestApp, method: Method, authorization: Option<&str>) -> RequestBuilder {
    let request = app.client.request(method, app.url("/me"));
    match authorization {
        Some(value) => request.header(header::AUTHORIZATION, value),
        None => request,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn get_me(app: &TestApp, token: &str) -> Answer {
    fetch(me(app, Method::GET, Some(&bearer(token)))).await
}

async fn patch_me(app: &TestApp, token: &str, body: &Value) -> Answer {
    fetch(me(app, Method::PATCH, Some(&bearer(token))).json(body)).await
}

async fn version(app: &TestApp, id: &str) -> i64 {
    let id: UserId = id.parse().expect("user id");
    app.state.gateway.user(id).await.expect("load user").version
}

/// Redacts a timestamp after checking its format: RFC 3339 in UTC with milliseconds and `Z`.
fn ts() -> Redaction {
    dynamic_redaction(|value, _| {
        let text = value.as_str().expect("timestamp is a string").to_owned();
        assert!(
            text.len() == 24 && text.ends_with('Z') && text.as_bytes()[19] == b'.',
            "timestamp {text} is not RFC 3339 UTC with milliseconds"
        );
        assert!(
            DateTime::parse_from_rfc3339(&text).is_ok(),
            "timestamp {text}"
        );
        "[timestamp]"
    })
}

/// Snapshot of a body with ids, request ids and timestamps redacted.
macro_rules! snap {
    ($name:expr, $body:expr) => {
        assert_json_snapshot!($name, $body, {
            ".request_id" => "[request id]",
            ".id" => "[user id]",
            ".createdAt" => ts(),
            ".updatedAt" => ts(),
            ".emails[].id" => "[derived id]",
            ".emails[].userId" => "[user id]",
            ".emails[].createdAt" => ts(),
            ".emails[].updatedAt" => ts(),
        })
    };
}

// Scenario 1: GET /me with a Bearer login token -> 200 User with the required fields and
// timestamps ending in Z. SQLite and PostgreSQL.
#[tokio::test]
async fn s01_get_me_with_bearer_token() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.expect("start gateway");
        let jane = caller(&app, "jane").await;
        let body = get_me(&app, &jane.token).await.user();
        assert_eq!(body["id"], jane.id, "{backend}");
        assert_eq!(body["status"], "active");
        assert_eq!(body["name"], "jane", "no display name: the username");
        assert_eq!(body["activeSessions"], 1, "the token's session");
        assert_eq!(body["defaultEmail"], "jane@example.com");
        assert_eq!(body["emails"][0]["email"], "jane@example.com");
        assert_eq!(body["emails"][0]["passwordSet"], true);
        assert_eq!(body["phoneNumbers"], json!([]));
        for absent in ["bio", "avatarUrl", "locale", "timezone", "phoneNumber"] {
            assert!(
                body.get(absent).is_none(),
                "{absent} must be omitted: {body}"
            );
        }
        snap!("s01_get_me", body);
    }
}

// Scenario 2: GET /me with `Authorization: AccessKey <key>` -> 200, same user (and the key as a
// Bearer credential, which is what the SDK sends).
#[tokio::test]
async fn s02_get_me_with_access_key() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let by_token = get_me(&app, &jane.token).await.user();
    for scheme in ["AccessKey", "accesskey", "Bearer"] {
        let value = format!("{scheme} {}", jane.key);
        let body = fetch(me(&app, Method::GET, Some(&value))).await.user();
        assert_eq!(body["id"], jane.id, "{scheme}");
        assert_eq!(body["emails"], by_token["emails"]);
    }
}

// Scenario 3: no Authorization -> 401 auth_error envelope, X-Request-Id equals request_id.
#[tokio::test]
async fn s03_no_authorization_is_401() {
    let app = spawn_app().await;
    let answer = fetch(me(&app, Method::GET, None)).await;
    let body = answer.error(401, "auth_error", "Unauthorized");
    assert_eq!(body["message"], "unauthorized request");
    assert!(body.get("details").is_none());
    snap!("s03_no_authorization", body);
}

// Scenario 4: expired, forged, alg none, another surface's token, Basic -> 401. Also a revoked
// API key and keys of other surfaces.
#[tokio::test]
async fn s04_bad_credentials_are_401() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let id: UserId = jane.id.parse().expect("user id");
    let tokens = &app.state.tokens;
    let expired = tokens
        .issue(id, Surface::Me, None, Some(Duration::seconds(-10)))
        .expect("token");
    let other_secret = Tokens::new(
        b"not-the-gateway-secret-0123456789",
        tokens.issuer(),
        Duration::minutes(5),
    );
    let forged = other_secret
        .issue(id, Surface::Me, None, None)
        .expect("token");
    let payload = jane.token.split('.').nth(1).expect("jwt payload");
    let alg_none = format!("{ALG_NONE_HEADER}.{payload}.");
    let platform = app
        .credentials(&jane.id, "platform", true)
        .await
        .expect("platform credentials");
    let revoked = app
        .credentials(&jane.id, "me", true)
        .await
        .expect("credentials");
    let revoked_key = revoked.api_key.expect("key");
    let key_id = revoked_key
        .trim_start_matches("bird_")
        .split('_')
        .next()
        .expect("key id");
    let res = app
        .admin(Method::DELETE, &format!("/keys/{key_id}"))
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), 204);

    let cases = [
        ("expired", bearer(&expired.token)),
        ("forged", bearer(&forged.token)),
        ("alg_none", bearer(&alg_none)),
        ("other_surface_token", bearer(&platform.token)),
        (
            "other_surface_key",
            format!("AccessKey {}", platform.api_key.expect("key")),
        ),
        ("revoked_key", format!("AccessKey {revoked_key}")),
        ("basic", "Basic amFuZTppbml0aWFsLXBhc3N3b3Jk".to_owned()),
        ("garbage", "Bearer not-a-token".to_owned()),
    ];
    for (name, value) in cases {
        let body = fetch(me(&app, Method::GET, Some(&value))).await.error(
            401,
            "auth_error",
            "Unauthorized",
        );
        assert_eq!(body["message"], "unauthorized request", "{name}");
        snap!(format!("s04_{name}"), body);
    }
    // The good token still works: the failures above are about the credentials.
    get_me(&app, &jane.token).await.user();
}

// Scenario 5: PATCH name, locale, time zone -> 200 with the new values and a later updatedAt.
// SQLite and PostgreSQL.
#[tokio::test]
async fn s05_patch_updates_the_profile() {
    for db in TestDb::all() {
        let app = spawn_app_on(db).await.expect("start gateway");
        let jane = caller(&app, "jane").await;
        let before = get_me(&app, &jane.token).await.user();
        tokio::time::sleep(StdDuration::from_millis(5)).await;
        let body = patch_me(
            &app,
            &jane.token,
            &json!({"name": "Jane", "locale": "en-US", "timezone": "Europe/Amsterdam"}),
        )
        .await
        .user();
        assert_eq!(body["name"], "Jane");
        assert_eq!(body["locale"], "en-US");
        assert_eq!(body["timezone"], "Europe/Amsterdam");
        let at =
            |v: &Value, f: &str| DateTime::parse_from_rfc3339(v[f].as_str().expect(f)).expect(f);
        assert!(at(&body, "updatedAt") > at(&before, "updatedAt"));
        assert_eq!(at(&body, "createdAt"), at(&before, "createdAt"));
        assert_eq!(
            get_me(&app, &jane.token).await.user(),
            body,
            "a read returns what was written"
        );
        snap!("s05_patch", body);
    }
}

// Scenario 6: a malformed locale or an unknown time zone -> 422 naming the field.
#[tokio::test]
async fn s06_locale_and_timezone_are_checked() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let body = patch_me(&app, &jane.token, &json!({"locale": "english_US"}))
        .await
        .invalid(&["locale"]);
    snap!("s06_locale", body);
    let body = patch_me(&app, &jane.token, &json!({"timezone": "Mars/Olympus"}))
        .await
        .invalid(&["timezone"]);
    snap!("s06_timezone", body);
    let after = get_me(&app, &jane.token).await.user();
    assert!(
        after.get("locale").is_none() && after.get("timezone").is_none(),
        "nothing written"
    );
}

// Scenario 7: empty, null, numeric or 257-character name; an avatarUrl that is not a URL -> 422
// naming the field.
#[tokio::test]
async fn s07_name_and_avatar_url_limits() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let cases = [
        ("name_empty", json!({"name": ""}), "name"),
        ("name_null", json!({"name": null}), "name"),
        ("name_number", json!({"name": 123}), "name"),
        ("name_too_long", json!({"name": "n".repeat(257)}), "name"),
        (
            "avatar_not_a_url",
            json!({"avatarUrl": "not a url"}),
            "avatarUrl",
        ),
    ];
    for (name, request, param) in cases {
        let body = patch_me(&app, &jane.token, &request)
            .await
            .invalid(&[param]);
        snap!(format!("s07_{name}"), body);
    }
    // The limits themselves are allowed.
    let body = patch_me(
        &app,
        &jane.token,
        &json!({"name": "n".repeat(256), "avatarUrl": "https://cdn.example.com/a.png"}),
    )
    .await
    .user();
    assert_eq!(body["name"].as_str().map(str::len), Some(256));
}

// Scenario 8: a read-only field and an unknown field -> 422 with one detail per field.
#[tokio::test]
async fn s08_read_only_and_unknown_fields() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let body = patch_me(&app, &jane.token, &json!({"status": "active"}))
        .await
        .invalid(&["status"]);
    snap!("s08_read_only", body);
    let body = patch_me(&app, &jane.token, &json!({"nickname": "x"}))
        .await
        .invalid(&["nickname"]);
    snap!("s08_unknown", body);
    let body = patch_me(
        &app,
        &jane.token,
        &json!({"nickname": "x", "status": "banned", "id": "x", "emails": [], "name": "Valid"}),
    )
    .await
    .invalid(&["emails", "id", "nickname", "status"]);
    snap!("s08_several", body);
    assert_eq!(
        get_me(&app, &jane.token).await.user()["name"],
        "jane",
        "nothing written"
    );
}

// Scenario 9: malformed JSON -> 400 InvalidJson; text/plain -> 415; a body over 64 KiB -> 413.
#[tokio::test]
async fn s09_framework_rejections() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let auth = bearer(&jane.token);
    let raw = |content_type: &str, body: String| {
        me(&app, Method::PATCH, Some(&auth))
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
    };
    let body = fetch(raw("application/json", r#"{"name":"#.to_owned()))
        .await
        .error(400, "bad_request_error", "InvalidJson");
    snap!("s09_invalid_json", body);
    let body = fetch(raw("text/plain", r#"{"name":"x"}"#.to_owned()))
        .await
        .error(415, "bad_request_error", "UnsupportedMediaType");
    snap!("s09_text_plain", body);
    let big = json!({"bio": "b".repeat(64 * 1024)}).to_string();
    let body = fetch(raw("application/json", big)).await.error(
        413,
        "payload_too_large_error",
        "PayloadTooLarge",
    );
    snap!("s09_too_large", body);
    assert_eq!(
        get_me(&app, &jane.token).await.user()["name"],
        "jane",
        "nothing written"
    );
}

// Scenario 10: `{"bio": null}` clears the bio; it is then absent from the answer.
#[tokio::test]
async fn s10_null_bio_clears_it() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let body = patch_me(&app, &jane.token, &json!({"bio": "Hello"}))
        .await
        .user();
    assert_eq!(body["bio"], "Hello");
    let body = patch_me(&app, &jane.token, &json!({"bio": null}))
        .await
        .user();
    assert!(body.get("bio").is_none(), "{body}");
    assert!(get_me(&app, &jane.token).await.user().get("bio").is_none());
    snap!("s10_bio_cleared", body);
}

// Scenario 11: two PATCH with the same Idempotency-Key and body -> identical answers, one write;
// the same key with another body -> 409. The key is stored in the database, so a second gateway
// instance on the same database agrees. SQLite and PostgreSQL.
#[tokio::test]
async fn s11_idempotency_key_across_instances() {
    for db in TestDb::all() {
        let settings = test_settings(&db).expect("settings");
        let first = spawn_app_on(db).await.expect("start gateway");
        let second = spawn_with(TestDb::sqlite(), settings)
            .await
            .expect("start second gateway");
        let jane = caller(&first, "jane").await;
        let request = |app: &TestApp, body: Value| {
            me(app, Method::PATCH, Some(&bearer(&jane.token)))
                .header("idempotency-key", "5b9c4a36-54a4-4d4b-9f33-0c6f3f3d2a11")
                .json(&body)
        };
        let body = json!({"name": "Jane", "bio": "once"});
        let a = fetch(request(&first, body.clone())).await;
        a.user();
        assert!(a.header_opt("idempotent-replayed").is_none());
        let written = version(&first, &jane.id).await;

        let b = fetch(request(&second, body.clone())).await;
        b.user();
        assert_eq!(b.text, a.text, "the stored answer, byte for byte");
        assert_eq!(b.header_opt("idempotent-replayed"), Some("true"));
        let again = fetch(request(&first, body)).await;
        assert_eq!(again.text, a.text);
        assert_eq!(version(&first, &jane.id).await, written, "one write");

        let conflict = fetch(request(&second, json!({"name": "Other"}))).await;
        let err = conflict.error(409, "conflict_error", "IdempotencyKeyReused");
        snap!("s11_key_reused", err);
        assert_eq!(get_me(&first, &jane.token).await.user()["name"], "Jane");
        assert_eq!(version(&first, &jane.id).await, written);

        // Without a key every PATCH writes (read on the first instance once the user caches'
        // staleness bound has passed: the write went through the second).
        patch_me(&second, &jane.token, &json!({"name": "Jane"}))
            .await
            .user();
        tokio::time::sleep(gateway_storage::USER_CACHE_STALENESS_BOUND).await;
        assert_eq!(version(&first, &jane.id).await, written + 1);
    }
}

// Scenario 12: PUT /me -> 405 with `Allow: GET, PATCH, DELETE`; unknown paths under /me -> 404,
// both in the camel envelope.
#[tokio::test]
async fn s12_wrong_method_and_unknown_route() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    for method in [Method::PUT, Method::POST] {
        let answer =
            fetch(me(&app, method.clone(), Some(&bearer(&jane.token))).json(&json!({"name": "x"})))
                .await;
        let body = answer.error(405, "bad_request_error", "MethodNotAllowed");
        assert_eq!(
            answer.header_opt("allow"),
            Some("GET, PATCH, DELETE"),
            "{method}"
        );
        snap!(format!("s12_{}", method.as_str().to_lowercase()), body);
    }
    let answer = fetch(
        app.client
            .get(app.url("/me/emails"))
            .bearer_auth(&jane.token),
    )
    .await;
    let body = answer.error(404, "not_found_error", "NotFound");
    snap!("s12_unknown_route", body);
}

/// A session of `user_id` in a fresh project of the tiered dialect: `(project id, publishable
/// client key, access token)`.
async fn tiered_session(app: &TestApp, user_id: &str) -> (String, String, String) {
    let project = app
        .admin(Method::POST, "/projects")
        .json(&json!({"display_name": "Camel test project"}))
        .send()
        .await
        .expect("create project");
    assert_eq!(project.status(), 201);
    let project: Value = project.json().await.expect("project json");
    let id = project["id"].as_str().expect("project id").to_owned();
    let pck = project["publishable_client_key"]
        .as_str()
        .expect("client key")
        .to_owned();
    let session = app
        .admin(
            Method::POST,
            &format!("/projects/{id}/users/{user_id}/sessions"),
        )
        .json(&json!({}))
        .send()
        .await
        .expect("mint session");
    assert_eq!(session.status(), 201);
    let session: Value = session.json().await.expect("session json");
    (
        id,
        pck,
        session["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
    )
}

fn tiered_me(app: &TestApp, (project, pck, token): &(String, String, String)) -> RequestBuilder {
    app.client
        .get(app.url("/api/v1/users/me"))
        .header("x-stack-access-type", "client")
        .header("x-stack-project-id", project)
        .header("x-stack-publishable-client-key", pck)
        .header("x-stack-access-token", token)
}

// Scenario 13: DELETE /me -> 202 with no body; the same token then gets 401 here, and the
// user's credentials are refused by the other dialects too.
#[tokio::test]
async fn s13_delete_me_refuses_every_credential_afterwards() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let platform = app
        .credentials(&jane.id, "platform", true)
        .await
        .expect("platform");
    let profile = app
        .credentials(&jane.id, "account-profile", false)
        .await
        .expect("profile");
    let tiered = tiered_session(&app, &jane.id).await;
    let pascal_get = || {
        app.client
            .get(app.url("/api/workspace/account/profile"))
            .bearer_auth(&profile.token)
    };
    let platform_get = |key: &str| {
        app.client
            .get(app.url("/api/v1/user"))
            .header("x-api-key", key)
    };
    let platform_key = platform.api_key.expect("platform key");
    // Every credential works before.
    assert_eq!(fetch(pascal_get()).await.status, 200);
    assert_eq!(fetch(platform_get(&platform_key)).await.status, 200);
    assert_eq!(fetch(tiered_me(&app, &tiered)).await.status, 200);
    fetch(me(
        &app,
        Method::GET,
        Some(&format!("AccessKey {}", jane.key)),
    ))
    .await
    .user();

    let deleted = fetch(me(&app, Method::DELETE, Some(&bearer(&jane.token)))).await;
    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(deleted.text, "");
    assert!(deleted.header_opt("content-type").is_none());

    get_me(&app, &jane.token)
        .await
        .error(401, "auth_error", "Unauthorized");
    fetch(me(
        &app,
        Method::GET,
        Some(&format!("AccessKey {}", jane.key)),
    ))
    .await
    .error(401, "auth_error", "Unauthorized");
    fetch(me(&app, Method::DELETE, Some(&bearer(&jane.token))))
        .await
        .error(401, "auth_error", "Unauthorized");
    // Each dialect refuses in its own way (pascal documents a 404 for a token whose user is
    // gone); what matters here is that none of them answers.
    assert_eq!(fetch(platform_get(&platform_key)).await.status, 401);
    for (dialect, answer) in [
        ("pascal", fetch(pascal_get()).await),
        ("tiered", fetch(tiered_me(&app, &tiered)).await),
    ] {
        assert!(
            (400..500).contains(&answer.status),
            "{dialect} still accepts the credential: {} {}",
            answer.status,
            answer.text
        );
    }
    let id: UserId = jane.id.parse().expect("user id");
    assert!(
        app.state.gateway.user(id).await.is_err(),
        "the core user is gone"
    );
    assert!(
        app.state
            .gateway
            .authenticate_api_key(Surface::Platform, &platform_key)
            .await
            .is_err()
    );
}

/// The JSON lines a driver script printed, by step name; every step must be ok.
fn steps(stdout: &str) -> Vec<Value> {
    let lines: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("step line is JSON"))
        .collect();
    for line in &lines {
        assert_eq!(line["ok"], true, "step failed: {line}");
    }
    lines
}

// Scenario 14: the published Bird SDK: get, patch, a bad locale (ValidationError with
// details[0].param == "locale"), an unknown token (APIStatusError 401 auth_error), and last,
// on its own user, delete (None) followed by a refused get.
#[tokio::test]
async fn s14_bird_sdk() -> anyhow::Result<()> {
    let python = sdk::python()?;
    let app = spawn_app().await;
    let jane = caller(&app, "sdk-jane").await;
    let stdout = sdk::run(
        &python,
        &["tests/sdk/python/bird_me.py"],
        &[
            ("GATEWAY_URL", app.base_url.clone()),
            ("BIRD_TOKEN", jane.token.clone()),
            ("EXPECT_USER_ID", jane.id.clone()),
            ("BIRD_DELETE", "1".to_owned()),
            ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
        ],
        StdDuration::from_secs(120),
    )
    .await?;
    let names: Vec<String> = steps(&stdout)
        .iter()
        .map(|s| s["step"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "get_me",
            "patch_me",
            "patch_me_bad_locale_422",
            "get_me_unknown_token_401",
            "delete_me",
            "get_me_after_delete_401"
        ]
    );
    let id: UserId = jane.id.parse()?;
    anyhow::ensure!(
        app.state.gateway.user(id).await.is_err(),
        "the SDK deleted the user"
    );
    Ok(())
}

// Scenario 15: one injected 503 (Retry-After: 1) before GET and one before PATCH: the SDK
// retries each once and succeeds; the retried PATCH carries the same Idempotency-Key and the
// change is written once.
#[tokio::test]
async fn s15_bird_sdk_retries_injected_503() -> anyhow::Result<()> {
    let python = sdk::python()?;
    let app = spawn_app().await;
    let jane = caller(&app, "sdk-retry").await;
    for method in ["GET", "PATCH"] {
        let res = app
            .admin(Method::POST, "/faults")
            .json(&json!({"surface": "me", "method": method,
                          "status": 503, "retry_after": 1, "count": 1}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "arm fault: {}", res.text().await?);
    }
    let before = version(&app, &jane.id).await;
    let stdout = sdk::run(
        &python,
        &["tests/sdk/python/bird_me_faults.py"],
        &[
            ("GATEWAY_URL", app.base_url.clone()),
            ("BIRD_TOKEN", jane.token.clone()),
            ("EXPECT_USER_ID", jane.id.clone()),
            ("NEW_NAME", "Jane Retried".to_owned()),
            ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
        ],
        StdDuration::from_secs(120),
    )
    .await?;
    let lines = steps(&stdout);
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["statuses"], json!([503, 200]));
    assert_eq!(lines[1]["statuses"], json!([503, 200]));
    assert_eq!(
        version(&app, &jane.id).await,
        before + 1,
        "the PATCH wrote once"
    );

    // The key the SDK used is stored: sending it again replays the answer and writes nothing.
    let key = lines[1]["idempotency_key"]
        .as_str()
        .context("idempotency key")?;
    let replay = fetch(
        me(&app, Method::PATCH, Some(&bearer(&jane.token)))
            .header("idempotency-key", key)
            .json(&json!({"name": "Jane Retried"})),
    )
    .await;
    assert_eq!(replay.user()["name"], "Jane Retried");
    assert_eq!(replay.header_opt("idempotent-replayed"), Some("true"));
    assert_eq!(version(&app, &jane.id).await, before + 1);

    let rules: Value = app
        .admin(Method::GET, "/faults")
        .send()
        .await?
        .json()
        .await?;
    let fired: Vec<&Value> = rules
        .as_array()
        .context("rules")?
        .iter()
        .map(|r| &r["fired"])
        .collect();
    assert_eq!(fired, [&json!(1), &json!(1)], "{rules}");
    Ok(())
}

// Scenario 16: a name set through this dialect is the tiered `display_name` and the snake
// platform `full_name`.
#[tokio::test]
async fn s16_name_is_shared_with_other_dialects() {
    let app = spawn_app().await;
    let jane = caller(&app, "jane").await;
    let platform = app
        .credentials(&jane.id, "platform", true)
        .await
        .expect("platform");
    let tiered = tiered_session(&app, &jane.id).await;
    patch_me(&app, &jane.token, &json!({"name": "Jane Q"}))
        .await
        .user();

    let tiered_user = fetch(tiered_me(&app, &tiered)).await;
    assert_eq!(tiered_user.status, 200, "{}", tiered_user.text);
    assert_eq!(tiered_user.expect_json()["display_name"], "Jane Q");
    let snake_user = fetch(
        app.client
            .get(app.url("/api/v1/user"))
            .header("x-api-key", platform.api_key.expect("key")),
    )
    .await;
    assert_eq!(snake_user.status, 200, "{}", snake_user.text);
    assert_eq!(snake_user.expect_json()["full_name"], "Jane Q");
    let id: UserId = jane.id.parse().expect("user id");
    let core = app.state.gateway.user(id).await.expect("core user");
    assert_eq!(core.profile.display_name.as_deref(), Some("Jane Q"));
}

// The OpenAPI document of the surface is served.
#[tokio::test]
async fn openapi_document_is_served() {
    let app = spawn_app().await;
    let res = fetch(app.client.get(app.url("/openapi/me.json"))).await;
    assert_eq!(res.status, 200);
    let doc = res.expect_json();
    assert!(doc["paths"]["/me"]["patch"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["accessKey"]["name"],
        "Authorization"
    );
}
