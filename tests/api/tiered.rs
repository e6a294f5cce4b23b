//! End-to-end tests of the metadata-tiered dialect (Stack Auth users API, spec
//! `shared/specs/tiered.md`): one test per scenario 1-37 (numbered in comments), each against a
//! real gateway on a fresh database, with insta snapshots of every body; the main read/write path
//! also on PostgreSQL; and the published `@stackframe/js` SDK run through `tests/sdk/js`.

use std::time::Duration;

use base64::Engine as _;
use gateway_tests::{
    TestApp, TestDb,
    http::{Answer, fetch},
    sdk, spawn_app, spawn_app_on,
};
use reqwest::{Method, RequestBuilder, header::HeaderMap};
use serde_json::{Value, json};

mod anonymous;
mod api_keys;
mod channels;
mod contact;
mod mail_relay;
mod otp;
mod password;
mod password_reset;
mod sessions;
mod switches;
mod teams;
mod users;
mod webhooks;

/// A project of the gateway with its keys.
struct Project {
    id: String,
    pck: String,
    ssk: String,
}

/// Credentials minted for a user in a project.
struct Session {
    access: String,
    refresh: String,
    refresh_token_id: String,
}

/// A user and a project, ready for requests.
struct Fixture {
    app: TestApp,
    project: Project,
    user_id: String,
    email: String,
    session: Session,
}

/// The tiered surface's two error shapes, asserted on a shared [`Answer`].
trait TieredAnswer {
    /// Asserts a known error: status, both headers equal to the body's code, pretty-printed
    /// JSON; returns the body.
    fn known(&self, status: u16, code: &str) -> Value;
    /// Asserts a plain-text error and returns its text.
    fn text_error(&self, status: u16) -> &str;
}

impl TieredAnswer for Answer {
    fn known(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(
            self.header_opt("x-stack-known-error"),
            Some(code),
            "{}",
            self.text
        );
        assert_eq!(self.header_opt("x-hexclave-known-error"), Some(code));
        assert_eq!(
            self.header_opt("content-type"),
            Some("application/json; charset=utf-8")
        );
        let body = self.expect_json();
        assert_eq!(body["code"], code);
        assert!(
            self.text.starts_with(
                "{
  \"code\": "
            ) && self.text.ends_with(
                "
}"
            ),
            "pretty-printed: {}",
            self.text
        );
        body
    }

    fn text_error(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header_opt("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(self.header_opt("x-stack-known-error").is_none());
        &self.text
    }
}

/// Sets a header, replacing any value set before (reqwest's `header` appends).
trait Set {
    fn set(self, name: &str, value: impl AsRef<str>) -> Self;
}

impl Set for RequestBuilder {
    fn set(self, name: &str, value: impl AsRef<str>) -> Self {
        let mut map = HeaderMap::new();
        map.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            reqwest::header::HeaderValue::from_str(value.as_ref()).expect("header value"),
        );
        self.headers(map)
    }
}

async fn create_project(app: &TestApp, body: Value) -> Project {
    let res = fetch(app.admin(Method::POST, "/projects").json(&body)).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let v = res.expect_json();
    Project {
        id: v["id"].as_str().unwrap().to_owned(),
        pck: v["publishable_client_key"].as_str().unwrap().to_owned(),
        ssk: v["secret_server_key"].as_str().unwrap().to_owned(),
    }
}

async fn mint(app: &TestApp, project: &str, user: &str, body: Value) -> Session {
    let res = fetch(
        app.admin(
            Method::POST,
            &format!("/projects/{project}/users/{user}/sessions"),
        )
        .json(&body),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let v = res.expect_json();
    Session {
        access: v["access_token"].as_str().unwrap().to_owned(),
        refresh: v["refresh_token"].as_str().unwrap().to_owned(),
        refresh_token_id: v["refresh_token_id"].as_str().unwrap().to_owned(),
    }
}

async fn fixture_on(app: TestApp, project_settings: Value) -> Fixture {
    let project = create_project(&app, project_settings).await;
    let username = format!("jane{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let user_id = app.create_user(&username).await.unwrap();
    let session = mint(&app, &project.id, &user_id, json!({})).await;
    Fixture {
        app,
        project,
        user_id,
        email: format!("{username}@example.com"),
        session,
    }
}

async fn fixture() -> Fixture {
    fixture_on(spawn_app().await, json!({"display_name": "Test project"})).await
}

impl Fixture {
    /// A request with the client headers (x-stack prefix) and the user's access token.
    fn client(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path)
            .set("x-stack-access-type", "client")
            .set("x-stack-project-id", &self.project.id)
            .set("x-stack-publishable-client-key", &self.project.pck)
            .set("x-stack-access-token", &self.session.access)
    }

    /// A request with the server headers (x-stack prefix), without a user token.
    fn server(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path)
            .set("x-stack-access-type", "server")
            .set("x-stack-project-id", &self.project.id)
            .set("x-stack-secret-server-key", &self.project.ssk)
    }

    fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.client.request(method, self.app.url(path))
    }

    fn me(&self) -> String {
        format!("/api/v1/users/{}", self.user_id)
    }
}

/// Replaces a present value (not `null`) with a placeholder, so snapshots keep nulls visible.
fn present(placeholder: &'static str) -> insta::internals::Redaction {
    insta::dynamic_redaction(move |value, _path| {
        if value.is_nil() {
            value
        } else {
            insta::internals::Content::from(placeholder)
        }
    })
}

/// Redactions for ids, times and tokens in snapshots (nulls are kept).
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".**.id" => present("[id]"),
            ".**.user_id" => present("[id]"),
            ".**.project_id" => present("[id]"),
            ".**.expected_project_id" => present("[id]"),
            ".**.actual_project_id" => present("[id]"),
            ".**.refresh_token_id" => present("[id]"),
            ".**.team_id" => present("[id]"),
            ".**.selected_team_id" => present("[id]"),
            ".**.primary_email" => present("[email]"),
            ".**.email" => present("[email]"),
            ".**.signed_up_at_millis" => present("[millis]"),
            ".**.last_active_at_millis" => present("[millis]"),
            ".**.created_at_millis" => present("[millis]"),
            ".**.expired_at_millis" => present("[millis]"),
            ".**.access_token" => present("[token]"),
            ".**.refresh_token" => present("[token]"),
        });
    };
}

/// The error text with ids, emails and times replaced, for snapshots of texts that name them.
fn scrub(text: &str, f: &Fixture) -> String {
    text.replace(&f.user_id, "[user]")
        .replace(&f.project.id, "[project]")
        .replace(&f.email, "[email]")
}

// ---- SDK ---------------------------------------------------------------------------------------

async fn run_sdk(scenario: &str, env: Vec<(&str, String)>) -> String {
    sdk::node_ready().expect("install the JS SDK");
    let node = std::path::Path::new("node");
    let out = sdk::run(
        node,
        &["tests/sdk/js/stack_sdk.mjs", scenario],
        &env,
        Duration::from_secs(120),
    )
    .await
    .unwrap_or_else(|e| panic!("SDK scenario {scenario} failed: {e:#}"));
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.contains(r#""step":"done""#)),
        "{out}"
    );
    out
}

fn sdk_env(f: &Fixture, session: &Session) -> Vec<(&'static str, String)> {
    vec![
        ("GATEWAY_URL", f.app.base_url.clone()),
        ("PROJECT_ID", f.project.id.clone()),
        ("PUBLISHABLE_CLIENT_KEY", f.project.pck.clone()),
        ("ACCESS_TOKEN", session.access.clone()),
        ("REFRESH_TOKEN", session.refresh.clone()),
        ("EXPECT_USER_ID", f.user_id.clone()),
        ("EXPECT_EMAIL", f.email.clone()),
        ("STEP_TIMEOUT_MS", "20000".into()),
    ]
}

// Scenario 34: StackClientApp getUser, update (display name + client metadata), the refresh that
// follows, USER_EMAIL_ALREADY_EXISTS, and user.delete() with client deletion enabled.
#[tokio::test]
async fn sdk_client_scenario() {
    let f = fixture_on(
        spawn_app().await,
        json!({"display_name": "SDK", "allow_client_user_deletion": true}),
    )
    .await;
    let other = f.app.create_user("taken_sdk").await.unwrap();
    assert!(!other.is_empty());
    let mut env = sdk_env(&f, &f.session);
    env.push(("TAKEN_EMAIL", "taken_sdk@example.com".into()));
    env.push(("DELETE", "1".into()));
    let out = run_sdk("client", env).await;
    assert!(
        out.contains(r#""step":"client-refresh-token-revoked-after-delete","ok":true"#),
        "{out}"
    );
    let gone = fetch(f.app.admin(Method::GET, &format!("/users/{}", f.user_id))).await;
    assert_eq!(gone.status, 404);
}

// Scenario 34 without a publishable key: the SDK sends no key header and refreshes with the
// keyless sentinel.
#[tokio::test]
async fn sdk_client_scenario_without_a_publishable_key() {
    let f = fixture().await;
    f.app.create_user("taken_keyless").await.unwrap();
    let mut env = sdk_env(&f, &f.session);
    env.retain(|(k, _)| *k != "PUBLISHABLE_CLIENT_KEY");
    env.push(("TAKEN_EMAIL", "taken_keyless@example.com".into()));
    run_sdk("client", env).await;
}

// Scenario 35: StackServerApp getUser by token, serverUser.update, getUser(id), unknown id.
#[tokio::test]
async fn sdk_server_scenario() {
    let f = fixture().await;
    let mut env = sdk_env(&f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    env.push(("UNKNOWN_USER_ID", uuid::Uuid::new_v4().to_string()));
    run_sdk("server", env).await;
    let user = fetch(f.server(Method::GET, &f.me())).await.expect_json();
    assert_eq!(user["primary_email_verified"], true);
    assert_eq!(user["server_metadata"]["tier"], "server");
}

// Scenario 36: an expired access token and a valid refresh token: refreshed up front, and after
// a rejected (tampered) token.
#[tokio::test]
async fn sdk_expired_token_is_refreshed() {
    let f = fixture().await;
    let expired = mint(
        &f.app,
        &f.project.id,
        &f.user_id,
        json!({"access_token_ttl_secs": -60}),
    )
    .await;
    run_sdk("expired", sdk_env(&f, &expired)).await;
}

// Scenario 37: an expired access token and an unknown refresh token: signed out.
#[tokio::test]
async fn sdk_expired_token_with_a_bad_refresh_token_signs_out() {
    let f = fixture().await;
    let mut expired = mint(
        &f.app,
        &f.project.id,
        &f.user_id,
        json!({"access_token_ttl_secs": -60}),
    )
    .await;
    expired.refresh = "unknown-refresh-token".into();
    run_sdk("expired-bad-refresh", sdk_env(&f, &expired)).await;
}

// ---- helpers for the scenarios ------------------------------------------------------------------

/// The body with ids and the email replaced, parsed.
fn scrubbed(f: &Fixture, a: &Answer) -> Value {
    serde_json::from_str(&scrub(&a.text, f)).unwrap_or_else(|_| Value::String(scrub(&a.text, f)))
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

const CLIENT_KEYS: [&str; 21] = [
    "auth_with_email",
    "client_metadata",
    "client_read_only_metadata",
    "display_name",
    "has_password",
    "id",
    "is_anonymous",
    "is_restricted",
    "oauth_providers",
    "otp_auth_enabled",
    "passkey_auth_enabled",
    "primary_email",
    "primary_email_verified",
    "profile_image_url",
    "requires_totp_mfa",
    "restricted_by_admin",
    "restricted_by_admin_reason",
    "restricted_reason",
    "selected_team",
    "selected_team_id",
    "signed_up_at_millis",
];

const SERVER_ONLY_KEYS: [&str; 6] = [
    "country_code",
    "last_active_at_millis",
    "primary_email_auth_enabled",
    "restricted_by_admin_private_details",
    "risk_scores",
    "server_metadata",
];

fn server_keys() -> Vec<String> {
    let mut k: Vec<String> = CLIENT_KEYS
        .iter()
        .chain(SERVER_ONLY_KEYS.iter())
        .map(|s| (*s).to_owned())
        .collect();
    k.sort();
    k
}

fn decode_payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

fn schema_error_text(route: &str, lines: &[&str]) -> String {
    let items: Vec<String> = lines.iter().map(|l| format!("  - {l}")).collect();
    format!(
        "Request validation failed on {route}:\n{}",
        items.join("\n")
    )
}

/// Asserts a `SCHEMA_ERROR` with exactly these lines (in `error` and `details.message`).
fn assert_schema_error(a: &Answer, route: &str, lines: &[&str]) {
    let body = a.known(400, "SCHEMA_ERROR");
    let expected = schema_error_text(route, lines);
    assert_eq!(body["error"], expected.as_str());
    assert_eq!(body["details"]["message"], expected.as_str());
}

async fn create_team(app: &TestApp, name: &str, member: Option<&str>) -> String {
    let res = fetch(
        app.admin(Method::POST, "/teams")
            .json(&json!({"display_name": name})),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.expect_json()["id"].as_str().unwrap().to_owned();
    if let Some(user) = member {
        let res = fetch(
            app.admin(Method::POST, &format!("/teams/{id}/members"))
                .json(&json!({"user_id": user})),
        )
        .await;
        assert_eq!(res.status, 204, "{}", res.text);
    }
    id
}

fn token_form(f: &Fixture, refresh: &str, secret: &str) -> RequestBuilder {
    f.bare(Method::POST, "/api/v1/auth/oauth/token")
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .body(format!(
            "refresh_token={refresh}&grant_type=refresh_token&client_id={}&client_secret={secret}",
            f.project.id
        ))
}

// ---- scenarios 1-33 -------------------------------------------------------------------------------

// Scenario 1: no x-stack-* headers -> 400 ACCESS_TYPE_REQUIRED with the exact text.
#[tokio::test]
async fn s01_no_headers_is_access_type_required() {
    let f = fixture().await;
    let a = fetch(f.bare(Method::GET, "/api/v1/users/me")).await;
    let body = a.known(400, "ACCESS_TYPE_REQUIRED");
    assert_eq!(
        body["error"],
        "You must specify an access level for this Stack project. Make sure project API keys are provided (eg. x-stack-publishable-client-key) and you set the x-stack-access-type header to 'client', 'server', or 'admin'.\n\nFor more information, see the docs on REST API authentication: https://docs.stack-auth.com/rest-api/overview#authentication"
    );
    assert!(body.get("details").is_none());
    snap!("s01_access_type_required", body);
}

// Scenario 2: the header combinations of §4.2 steps 1-4, 6 and 8.
#[tokio::test]
async fn s02_header_combinations_are_checked_in_order() {
    let f = fixture().await;
    let path = "/api/v1/users/me";
    let key_only = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-project-id", &f.project.id)
            .set("x-stack-publishable-client-key", &f.project.pck),
    )
    .await;
    let browser = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "browser")
            .set("x-stack-project-id", &f.project.id),
    )
    .await;
    let no_project = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "client"),
    )
    .await;
    let unknown_project = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "client")
            .set("x-stack-project-id", "4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11"),
    )
    .await;
    let dev_branch = fetch(f.client(Method::GET, path).set("x-stack-branch-id", "dev")).await;
    let bodies = json!({
        "key_without_access_type": key_only.known(400, "PROJECT_KEY_WITHOUT_ACCESS_TYPE"),
        "invalid_access_type": browser.known(400, "INVALID_ACCESS_TYPE"),
        "access_type_without_project_id": no_project.known(400, "ACCESS_TYPE_WITHOUT_PROJECT_ID"),
        "current_project_not_found": unknown_project.known(400, "CURRENT_PROJECT_NOT_FOUND"),
        "branch_does_not_exist": dev_branch.known(400, "BRANCH_DOES_NOT_EXIST"),
    });
    assert_eq!(
        bodies["invalid_access_type"]["error"],
        "The x-stack-access-type header must be 'client', 'server', or 'admin', but was 'browser'."
    );
    assert_eq!(
        bodies["access_type_without_project_id"]["details"],
        json!({"request_type": "client"})
    );
    assert_eq!(
        bodies["branch_does_not_exist"]["details"],
        json!({"branch_id": "dev"})
    );
    snap!("s02_header_combinations", bodies);
}

// Scenario 3: bad publishable key, missing and bad secret key (plus a project that requires the
// publishable key, and the refused admin access type).
#[tokio::test]
async fn s03_project_keys_are_checked() {
    let f = fixture().await;
    let path = "/api/v1/users/me";
    let bad_pck = fetch(
        f.client(Method::GET, path)
            .set("x-stack-publishable-client-key", "pck_wrong"),
    )
    .await;
    let no_ssk = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "server")
            .set("x-stack-project-id", &f.project.id),
    )
    .await;
    let bad_ssk = fetch(
        f.server(Method::GET, &f.me())
            .set("x-stack-secret-server-key", "ssk_wrong"),
    )
    .await;
    let client_key_for_server = fetch(
        f.server(Method::GET, &f.me())
            .set("x-stack-secret-server-key", &f.project.pck),
    )
    .await;
    let admin = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "admin")
            .set("x-stack-project-id", &f.project.id),
    )
    .await;
    let bad = bad_pck.known(401, "INVALID_PUBLISHABLE_CLIENT_KEY");
    assert_eq!(bad["details"]["project_id"], f.project.id.as_str());
    client_key_for_server.known(401, "INVALID_SECRET_SERVER_KEY");

    // A project that requires the key refuses keyless clients.
    let res = fetch(
        f.app
            .admin(Method::PATCH, &format!("/projects/{}", f.project.id))
            .json(&json!({"require_publishable_client_key": true})),
    )
    .await;
    assert_eq!(res.expect_json()["require_publishable_client_key"], true);
    let keyless = fetch(
        f.bare(Method::GET, path)
            .set("x-stack-access-type", "client")
            .set("x-stack-project-id", &f.project.id)
            .set("x-stack-access-token", &f.session.access),
    )
    .await;
    let sentinel = fetch(
        f.client(Method::GET, path)
            .set("x-stack-publishable-client-key", "__stack_public_client__"),
    )
    .await;
    sentinel.known(401, "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT");
    bad_ssk.known(401, "INVALID_SECRET_SERVER_KEY");
    keyless.known(401, "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT");
    let bodies = json!({
        "invalid_publishable_client_key": scrubbed(&f, &bad_pck),
        "server_authentication_required": no_ssk.known(401, "SERVER_AUTHENTICATION_REQUIRED"),
        "invalid_secret_server_key": scrubbed(&f, &bad_ssk),
        "publishable_client_key_required": scrubbed(&f, &keyless),
        "admin_authentication_required": admin.known(401, "ADMIN_AUTHENTICATION_REQUIRED"),
    });
    snap!("s03_project_keys", bodies);
}

// Scenario 4: client without an access token -> 400 CANNOT_GET_OWN_USER_WITHOUT_USER.
#[tokio::test]
async fn s04_client_without_token_has_no_user() {
    let f = fixture().await;
    let a = fetch(
        f.bare(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-type", "client")
            .set("x-stack-project-id", &f.project.id)
            .set("x-stack-publishable-client-key", &f.project.pck),
    )
    .await;
    snap!(
        "s04_cannot_get_own_user",
        a.known(400, "CANNOT_GET_OWN_USER_WITHOUT_USER")
    );
}

// Scenario 5: malformed, forged, unsigned and algorithm-confused tokens are unparsable.
#[tokio::test]
async fn s05_bad_tokens_are_unparsable() {
    let f = fixture().await;
    let other = mint(&f.app, &f.project.id, &f.user_id, json!({})).await;
    let parts: Vec<&str> = f.session.access.split('.').collect();
    let other_sig = other.access.split('.').nth(2).unwrap();
    let forged = format!("{}.{}.{}", parts[0], parts[1], other_sig);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let alg_none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let jwks = fetch(f.bare(
        Method::GET,
        &format!("/api/v1/projects/{}/.well-known/jwks.json", f.project.id),
    ))
    .await;
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    let jwk = jwks.expect_json()["keys"][0].clone();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = jwk["kid"].as_str().map(str::to_owned);
    let confused = jsonwebtoken::encode(
        &hs_header,
        &decode_payload(&f.session.access),
        &jsonwebtoken::EncodingKey::from_secret(jwk.to_string().as_bytes()),
    )
    .unwrap();
    for token in [
        "12341234",
        forged.as_str(),
        alg_none.as_str(),
        confused.as_str(),
    ] {
        let a = fetch(
            f.client(Method::GET, "/api/v1/users/me")
                .set("x-stack-access-token", token),
        )
        .await;
        let body = a.known(401, "UNPARSABLE_ACCESS_TOKEN");
        assert_eq!(
            body,
            json!({"code": "UNPARSABLE_ACCESS_TOKEN", "error": "Access token is not parsable."}),
            "{token}"
        );
    }
    snap!(
        "s05_unparsable",
        fetch(
            f.client(Method::GET, "/api/v1/users/me")
                .set("x-stack-access-token", "12341234")
        )
        .await
        .expect_json()
    );
}

// Scenario 6: an expired token -> ACCESS_TOKEN_EXPIRED with details; another project's token ->
// INVALID_PROJECT_FOR_ACCESS_TOKEN.
#[tokio::test]
async fn s06_expired_and_foreign_tokens() {
    let f = fixture().await;
    let expired = mint(
        &f.app,
        &f.project.id,
        &f.user_id,
        json!({"access_token_ttl_secs": -60}),
    )
    .await;
    let a = fetch(
        f.client(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-token", &expired.access),
    )
    .await;
    let body = a.known(401, "ACCESS_TOKEN_EXPIRED");
    let exp = decode_payload(&expired.access)["exp"].as_i64().unwrap();
    assert_eq!(body["details"]["expired_at_millis"], exp * 1000);
    assert_eq!(body["details"]["project_id"], f.project.id.as_str());
    assert_eq!(body["details"]["user_id"], f.user_id.as_str());
    assert_eq!(
        body["details"]["refresh_token_id"],
        expired.refresh_token_id.as_str()
    );
    let text = body["error"].as_str().unwrap();
    let prefix =
        "Access token has expired. Please refresh it and try again. (The access token expired at ";
    assert!(text.starts_with(prefix), "{text}");
    let mut redacted = scrubbed(&f, &a);
    let err = redacted["error"]
        .as_str()
        .unwrap()
        .replace(&expired.refresh_token_id, "[session]");
    let (head, tail) = err.split_once("expired at ").unwrap();
    let tail = tail.split_once(".)").unwrap().1;
    redacted["error"] = Value::String(format!("{head}expired at [time].){tail}"));

    let second = create_project(&f.app, json!({"display_name": "Other"})).await;
    let foreign = mint(&f.app, &second.id, &f.user_id, json!({})).await;
    let b = fetch(
        f.client(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-token", &foreign.access),
    )
    .await;
    let foreign_body = b.known(401, "INVALID_PROJECT_FOR_ACCESS_TOKEN");
    assert_eq!(
        foreign_body["details"],
        json!({"expected_project_id": f.project.id, "actual_project_id": second.id})
    );
    let foreign_text = scrub(&b.text, &f).replace(&second.id, "[other project]");
    snap!(
        "s06_expired_and_foreign",
        json!({"expired": redacted, "foreign": serde_json::from_str::<Value>(&foreign_text).unwrap()})
    );
}

// Scenario 7: a client read has exactly the client keys, no-store caching and a request id.
#[tokio::test]
async fn s07_client_read_has_the_client_keys() {
    let f = fixture().await;
    let a = fetch(f.client(Method::GET, "/api/v1/users/me")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header_opt("cache-control"), Some("no-store, max-age=0"));
    let id = a.header_opt("x-stack-request-id").unwrap();
    assert_eq!(a.header_opt("x-hexclave-request-id"), Some(id));
    assert!(!a.text.contains('\n'), "success JSON is compact");
    let user = a.expect_json();
    assert_eq!(keys(&user), CLIENT_KEYS.to_vec());
    assert_eq!(user["id"], f.user_id.as_str());
    assert_eq!(user["primary_email"], f.email.as_str());
    // Browsers get indented JSON.
    let pretty = fetch(
        f.client(Method::GET, "/api/v1/users/me")
            .set("accept", "text/html"),
    )
    .await;
    assert!(pretty.text.starts_with("{\n  \"id\": "), "{}", pretty.text);
    snap!("s07_client_read", user);
}

// Scenario 8: a server read with the same token has the server keys and the server team view.
#[tokio::test]
async fn s08_server_read_has_the_server_keys_and_team_view() {
    let f = fixture().await;
    let team = create_team(&f.app, "Jane's Team", Some(&f.user_id)).await;
    let set = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"selected_team_id": team})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let a = fetch(
        f.server(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-token", &f.session.access),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let user = a.expect_json();
    assert_eq!(keys(&user), server_keys());
    assert_eq!(user["selected_team_id"], team.as_str());
    assert_eq!(
        keys(&user["selected_team"]),
        [
            "client_metadata",
            "client_read_only_metadata",
            "created_at_millis",
            "display_name",
            "id",
            "profile_image_url",
            "server_metadata"
        ]
    );
    assert_eq!(
        user["risk_scores"],
        json!({"sign_up": {"bot": 0, "free_trial_abuse": 0}})
    );
    let client = fetch(f.client(Method::GET, "/api/v1/users/me"))
        .await
        .expect_json();
    assert_eq!(
        keys(&client["selected_team"]),
        [
            "client_metadata",
            "client_read_only_metadata",
            "display_name",
            "id",
            "profile_image_url"
        ]
    );
    snap!("s08_server_read", user);
}

// Scenario 9: client PATCH of the display name and client metadata.
#[tokio::test]
async fn s09_client_patch_display_name_and_client_metadata() {
    let f = fixture().await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"display_name": "John Doe"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let user = a.expect_json();
    assert_eq!(keys(&user), CLIENT_KEYS.to_vec());
    assert_eq!(user["display_name"], "John Doe");
    let b = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"client_metadata": {"key": "value"}})),
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(b.expect_json()["client_metadata"], json!({"key": "value"}));
    assert_eq!(b.expect_json()["display_name"], "John Doe");
    snap!("s09_client_patch", b.expect_json());
}

// Scenario 10: an empty display name is stored and returned as null.
#[tokio::test]
async fn s10_empty_display_name_is_null() {
    let f = fixture().await;
    fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"display_name": "Someone"})),
    )
    .await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"display_name": ""})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json()["display_name"], Value::Null);
    let read = fetch(f.server(Method::GET, &f.me())).await.expect_json();
    assert_eq!(read["display_name"], Value::Null);
}

// Scenario 11: a client writing server_metadata gets SCHEMA_ERROR (unknown property) and
// nothing is written.
#[tokio::test]
async fn s11_client_server_metadata_is_an_unknown_property() {
    let f = fixture().await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"display_name": "Johnny Doe", "server_metadata": {"key": "value"}})),
    )
    .await;
    assert_schema_error(
        &a,
        "PATCH /api/v1/users/me",
        &["body contains unknown properties: server_metadata"],
    );
    snap!("s11_unknown_server_metadata", a.expect_json());
    let read = fetch(f.server(Method::GET, &f.me())).await.expect_json();
    assert_eq!(read["display_name"], Value::Null);
    assert_eq!(read["server_metadata"], Value::Null);
}

// Scenario 12: client_read_only_metadata and password are not client fields.
#[tokio::test]
async fn s12_client_cannot_write_server_fields() {
    let f = fixture().await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"client_read_only_metadata": {"plan": "pro"}})),
    )
    .await;
    assert_schema_error(
        &a,
        "PATCH /api/v1/users/me",
        &["body contains unknown properties: client_read_only_metadata"],
    );
    let b = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"password": "x"})),
    )
    .await;
    assert_schema_error(
        &b,
        "PATCH /api/v1/users/me",
        &["body contains unknown properties: password"],
    );
    let c = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .set("content-type", "application/json")
            .body(r#"{"risk_scores": {}, "display_name": "x", "country_code": "US"}"#),
    )
    .await;
    assert_schema_error(
        &c,
        "PATCH /api/v1/users/me",
        &["body contains unknown properties: risk_scores, country_code"],
    );
    snap!(
        "s12_client_server_fields",
        json!([a.expect_json(), b.expect_json(), c.expect_json()])
    );
}

// Scenario 13: TOTP secrets must be base64.
#[tokio::test]
async fn s13_totp_secret_must_be_base64() {
    let f = fixture().await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"totp_secret_base64": "not-valid-base64"})),
    )
    .await;
    assert_schema_error(
        &a,
        "PATCH /api/v1/users/me",
        &["body.totp_secret_base64 is not valid base64"],
    );
    let b = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"totp_secret_base64": "ZXhhbXBsZSB2YWx1ZQ=="})),
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(b.expect_json()["requires_totp_mfa"], true);
    let c = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"totp_secret_base64": null})),
    )
    .await;
    assert_eq!(c.expect_json()["requires_totp_mfa"], false);
    snap!("s13_totp", a.expect_json());
}

// Scenario 14: client profile images must be base64 image data (plain-text 400 otherwise).
#[tokio::test]
async fn s14_client_profile_images_must_be_base64() {
    let f = fixture().await;
    for url in [
        "http://localhost:8101/open-graph-image.png",
        "data:image/not-valid;base64,test",
    ] {
        let a = fetch(
            f.client(Method::PATCH, "/api/v1/users/me")
                .json(&json!({"profile_image_url": url})),
        )
        .await;
        assert_eq!(a.text_error(400), "Invalid profile image URL");
    }
    let gif = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";
    let ok = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"profile_image_url": gif})),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.expect_json()["profile_image_url"], gif);
    // A server may store an HTTP URL; it is returned unchanged.
    let url = "https://example.com/avatar.png";
    let server = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"profile_image_url": url})),
    )
    .await;
    assert_eq!(server.expect_json()["profile_image_url"], url);
}

// Scenario 15: a server writing an empty profile image URL gets SCHEMA_ERROR.
#[tokio::test]
async fn s15_server_empty_profile_image_url_is_not_a_url() {
    let f = fixture().await;
    let a = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"profile_image_url": ""})),
    )
    .await;
    let route = format!("PATCH {}", f.me());
    assert_schema_error(&a, &route, &["body.profile_image_url is not a valid URL"]);
    snap!("s15_empty_profile_image_url", scrubbed(&f, &a));
}

// Scenario 16: length, email, UUID and type failures, one by one and all listed together.
#[tokio::test]
async fn s16_validation_lists_every_failure() {
    let f = fixture().await;
    let route = "PATCH /api/v1/users/me";
    let cases = [
        (
            json!({"display_name": "x".repeat(257)}),
            "body.display_name must be at most 256 characters",
        ),
        (
            json!({"primary_email": "not-an-email"}),
            "body.primary_email must be a valid email",
        ),
        (
            json!({"primary_email": ""}),
            "body.primary_email must not be empty",
        ),
        (
            json!({"selected_team_id": "team-1"}),
            "body.selected_team_id must be a valid UUID",
        ),
        (
            json!({"display_name": {}}),
            "body.display_name must be a `string` type, but the final value was: `{}`.",
        ),
    ];
    for (body, line) in &cases {
        let a = fetch(
            f.client(Method::PATCH, route.split(' ').nth(1).unwrap())
                .json(body),
        )
        .await;
        assert_schema_error(&a, route, &[line]);
    }
    let all = fetch(f.client(Method::PATCH, "/api/v1/users/me").json(&json!({
        "selected_team_id": "team-1",
        "primary_email": "not-an-email",
        "display_name": "x".repeat(257),
        "otp_auth_enabled": "yes",
    })))
    .await;
    assert_schema_error(
        &all,
        route,
        &[
            "body.display_name must be at most 256 characters",
            "body.selected_team_id must be a valid UUID",
            "body.otp_auth_enabled must be a `boolean` type, but the final value was: `\"yes\"`.",
            "body.primary_email must be a valid email",
        ],
    );
    snap!("s16_every_failure", all.expect_json());
    let read = fetch(f.server(Method::GET, &f.me())).await.expect_json();
    assert_eq!(read["display_name"], Value::Null, "nothing written");
}

// Scenario 17: malformed JSON and unknown content types are BODY_PARSING_ERRORs.
#[tokio::test]
async fn s17_body_parsing_errors() {
    let f = fixture().await;
    let bad_json = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .header("content-type", "application/json")
            .body("{\"display_name\":"),
    )
    .await;
    let xml = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .header("content-type", "application/xml")
            .body("<user/>"),
    )
    .await;
    let a = bad_json.known(400, "BODY_PARSING_ERROR");
    assert_eq!(a["error"], "Invalid JSON in request body");
    let b = xml.known(400, "BODY_PARSING_ERROR");
    assert_eq!(
        b["error"],
        "Unknown content type in request body: application/xml"
    );
    // The body is parsed before authentication, as the vendor does.
    let unauthenticated = fetch(
        f.bare(Method::PATCH, "/api/v1/users/me")
            .header("content-type", "application/xml")
            .body("<a/>"),
    )
    .await;
    unauthenticated.known(400, "BODY_PARSING_ERROR");
    // Bodies over the gateway's limit are a plain-text 413, before authentication.
    let huge = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .set("content-type", "application/json")
            .body(format!("{{\"display_name\":\"{}\"}}", "x".repeat(70_000))),
    )
    .await;
    assert!(
        huge.text_error(413)
            .starts_with("Request body is too large")
    );
    snap!("s17_body_parsing", json!([a, b]));
}

// Scenario 18: selecting a team needs a membership.
#[tokio::test]
async fn s18_selected_team_needs_a_membership() {
    let f = fixture().await;
    let foreign = create_team(&f.app, "Not mine", None).await;
    let mine = create_team(&f.app, "Mine", Some(&f.user_id)).await;
    let a = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"selected_team_id": foreign})),
    )
    .await;
    let body = a.known(404, "TEAM_MEMBERSHIP_NOT_FOUND");
    assert_eq!(
        body["details"],
        json!({"team_id": foreign, "user_id": f.user_id})
    );
    assert_eq!(
        body["error"],
        format!("User {} is not found in team {foreign}.", f.user_id).as_str()
    );
    let b = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"selected_team_id": mine})),
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(b.expect_json()["selected_team"]["display_name"], "Mine");
    assert_eq!(b.expect_json()["selected_team_id"], mine.as_str());
    let c = fetch(
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"selected_team_id": null})),
    )
    .await;
    assert_eq!(c.expect_json()["selected_team"], Value::Null);
    assert_eq!(c.expect_json()["selected_team_id"], Value::Null);
    let text = scrub(&a.text, &f).replace(&foreign, "[team]");
    snap!(
        "s18_team_membership_not_found",
        serde_json::from_str::<Value>(&text).unwrap()
    );
    snap!("s18_selected_team", b.expect_json());
}

// Scenario 19: an email used by another user -> 409 USER_EMAIL_ALREADY_EXISTS with details.
#[tokio::test]
async fn s19_email_of_another_user_conflicts() {
    let f = fixture().await;
    f.app.create_user("someone_else").await.unwrap();
    let a = fetch(
        f.server(Method::PATCH, "/api/v1/users/me")
            .set("x-stack-access-token", &f.session.access)
            .json(&json!({"primary_email": "Someone_Else@example.com"})),
    )
    .await;
    let body = a.known(409, "USER_EMAIL_ALREADY_EXISTS");
    assert_eq!(
        body["details"],
        json!({"email": "someone_else@example.com", "would_work_if_email_was_verified": false})
    );
    assert_eq!(
        body["error"],
        "A user with email \"someone_else@example.com\" already exists."
    );
    snap!("s19_email_conflict", body);
    let read = fetch(f.server(Method::GET, &f.me())).await.expect_json();
    assert_eq!(read["primary_email"], f.email.as_str());
}

// Scenario 20: a server writes all three metadata tiers; a client sees two.
#[tokio::test]
async fn s20_server_writes_three_metadata_tiers() {
    let f = fixture().await;
    let a = fetch(f.server(Method::PATCH, &f.me()).json(&json!({
        "client_metadata": {"theme": "dark"},
        "client_read_only_metadata": {"plan": "pro"},
        "server_metadata": {"stripe": "cus_1"},
    })))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let user = a.expect_json();
    assert_eq!(keys(&user), server_keys());
    assert_eq!(user["client_metadata"], json!({"theme": "dark"}));
    assert_eq!(user["client_read_only_metadata"], json!({"plan": "pro"}));
    assert_eq!(user["server_metadata"], json!({"stripe": "cus_1"}));
    let client = fetch(f.client(Method::GET, "/api/v1/users/me"))
        .await
        .expect_json();
    assert_eq!(client["client_metadata"], json!({"theme": "dark"}));
    assert_eq!(client["client_read_only_metadata"], json!({"plan": "pro"}));
    assert!(client.get("server_metadata").is_none());
    snap!("s20_three_tiers", user);
}

// Scenario 21: password rules; a new password revokes every refresh token.
#[tokio::test]
async fn s21_password_changes_revoke_refresh_tokens() {
    let f = fixture().await;
    let both = fetch(f.server(Method::PATCH, &f.me()).json(&json!({
        "password": "a",
        "password_hash": "$2a$10$VIhIOofSMqGdGlL4wzE//e.77dAQGqNtF/1dT7bqCrVtQuInWy2qi",
    })))
    .await;
    assert_eq!(
        both.text_error(400),
        "Cannot set both password and password_hash at the same time."
    );
    let bad_hash = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"password_hash": "plain"})),
    )
    .await;
    assert_eq!(
        bad_hash.text_error(400),
        "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format."
    );
    let long = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"password": "x".repeat(71)})),
    )
    .await;
    assert_schema_error(
        &long,
        &format!("PATCH {}", f.me()),
        &["body.password must be at most 70 characters"],
    );

    let before = fetch(token_form(&f, &f.session.refresh, &f.project.pck)).await;
    assert_eq!(before.status, 200, "{}", before.text);
    let ok = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"password": "new-pass"})),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(!ok.text.contains("new-pass") && ok.expect_json().get("password").is_none());
    assert_eq!(ok.expect_json()["has_password"], true);
    let after = fetch(token_form(&f, &f.session.refresh, &f.project.pck)).await;
    after.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    let hash = fetch(f.server(Method::PATCH, &f.me()).json(&json!({
        "password_hash": "$2a$10$VIhIOofSMqGdGlL4wzE//e.77dAQGqNtF/1dT7bqCrVtQuInWy2qi",
    })))
    .await;
    assert_eq!(hash.status, 200, "{}", hash.text);
}

// Scenario 22: clients cannot use /users/{id}, not even with their own id.
#[tokio::test]
async fn s22_client_cannot_address_users_by_id() {
    let f = fixture().await;
    for path in ["/api/v1/users/123".to_owned(), f.me()] {
        let a = fetch(f.client(Method::GET, &path)).await;
        let body = a.known(401, "INSUFFICIENT_ACCESS_TYPE");
        assert_eq!(
            body["details"],
            json!({"actual_access_type": "client", "allowed_access_types": ["server", "admin"]})
        );
        assert_eq!(
            body["error"],
            "The x-stack-access-type header must be 'server' or 'admin', but was 'client'."
        );
    }
    let patch = fetch(
        f.client(Method::PATCH, &f.me())
            .json(&json!({"display_name": "x"})),
    )
    .await;
    patch.known(401, "INSUFFICIENT_ACCESS_TYPE");
    let delete = fetch(f.client(Method::DELETE, &f.me())).await;
    snap!(
        "s22_insufficient_access_type",
        delete.known(401, "INSUFFICIENT_ACCESS_TYPE")
    );
}

// Scenario 23: unknown and malformed user ids.
#[tokio::test]
async fn s23_server_unknown_and_malformed_user_ids() {
    let f = fixture().await;
    let unknown = fetch(f.server(
        Method::GET,
        "/api/v1/users/4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11",
    ))
    .await;
    let body = unknown.known(404, "USER_NOT_FOUND");
    assert_eq!(
        body,
        json!({"code": "USER_NOT_FOUND", "error": "User not found."})
    );
    let malformed = fetch(f.server(Method::GET, "/api/v1/users/not-a-uuid")).await;
    assert_schema_error(
        &malformed,
        "GET /api/v1/users/not-a-uuid",
        &["params.user_id must be a valid UUID"],
    );
    let patch_unknown = fetch(
        f.server(
            Method::PATCH,
            "/api/v1/users/4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11",
        )
        .json(&json!({"display_name": "x"})),
    )
    .await;
    patch_unknown.known(404, "USER_NOT_FOUND");
    let delete_unknown = fetch(f.server(
        Method::DELETE,
        "/api/v1/users/4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11",
    ))
    .await;
    delete_unknown.known(404, "USER_NOT_FOUND");
    let both = fetch(
        f.server(Method::PATCH, "/api/v1/users/nope")
            .json(&json!({"display_name": 5})),
    )
    .await;
    assert_schema_error(
        &both,
        "PATCH /api/v1/users/nope",
        &[
            "body.display_name must be a `string` type, but the final value was: `5`.",
            "params.user_id must be a valid UUID",
        ],
    );
    snap!(
        "s23_ids",
        json!([body, malformed.expect_json(), both.expect_json()])
    );
}

// Scenario 24: client deletion follows the project setting; servers may always delete.
#[tokio::test]
async fn s24_delete_follows_the_project_setting() {
    let f = fixture().await;
    let refused = fetch(f.client(Method::DELETE, "/api/v1/users/me")).await;
    assert_eq!(
        refused.text_error(400),
        "Client user deletion is not enabled for this project"
    );
    let res = fetch(
        f.app
            .admin(Method::PATCH, &format!("/projects/{}", f.project.id))
            .json(&json!({"allow_client_user_deletion": true})),
    )
    .await;
    assert_eq!(res.expect_json()["allow_client_user_deletion"], true);
    let ok = fetch(f.client(Method::DELETE, "/api/v1/users/me")).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.expect_json(), json!({"success": true}));
    snap!("s24_deleted", ok.expect_json());

    let other = f.app.create_user("server_deleted").await.unwrap();
    let session = mint(&f.app, &f.project.id, &other, json!({})).await;
    let by_server = fetch(
        f.server(Method::DELETE, "/api/v1/users/me")
            .set("x-stack-access-token", &session.access),
    )
    .await;
    assert_eq!(by_server.expect_json(), json!({"success": true}));
    let third = f.app.create_user("deleted_by_id").await.unwrap();
    let by_id = fetch(f.server(Method::DELETE, &format!("/api/v1/users/{third}"))).await;
    assert_eq!(by_id.expect_json(), json!({"success": true}));
    assert_eq!(
        fetch(f.app.admin(Method::GET, &format!("/users/{third}")))
            .await
            .status,
        404
    );
}

// Scenario 25: after a delete the old access token has no user, the refresh token is refused and
// every other surface refuses the user's credentials.
#[tokio::test]
async fn s25_deleted_users_lose_every_credential() {
    let f = fixture().await;
    let other_surface = f.app.credentials(&f.user_id, "me", true).await.unwrap();
    let deleted = fetch(f.server(Method::DELETE, &f.me())).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let a = fetch(f.client(Method::GET, "/api/v1/users/me")).await;
    a.known(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    let b = fetch(token_form(&f, &f.session.refresh, &f.project.pck)).await;
    let body = b.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    assert_eq!(
        body["error"],
        "Refresh token not found for this project, or the session has expired/been revoked."
    );
    snap!("s25_refresh_refused", body);
    let state = &f.app.state;
    for presented in [
        gateway_http::Presented::Token(other_surface.token.clone()),
        gateway_http::Presented::ApiKey(other_surface.api_key.clone().unwrap()),
    ] {
        let refused = gateway_http::auth::verify(
            &state.gateway,
            &state.tokens,
            gateway_core::Surface::Me,
            &presented,
        )
        .await;
        assert!(
            matches!(refused, Err(gateway_http::AuthError::Refused(_))),
            "{refused:?}"
        );
    }
}

type Build = Box<dyn Fn(&Fixture) -> RequestBuilder>;

// Scenario 26: every 4xx with override-error-status is HTTP 200 with the same body and content
// type and both actual-status headers; a 500 stays 500.
#[tokio::test]
async fn s26_override_error_status_rewrites_every_4xx() {
    let f = fixture().await;
    let foreign_team = create_team(&f.app, "Foreign", None).await;
    f.app.create_user("taken26").await.unwrap();
    let cases: Vec<(u16, Build)> = vec![
        (400, Box::new(|f| f.bare(Method::GET, "/api/v1/users/me"))),
        (
            400,
            Box::new(|f| {
                f.bare(Method::GET, "/api/v1/users/me")
                    .set("x-stack-access-type", "browser")
                    .set("x-stack-project-id", &f.project.id)
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.bare(Method::GET, "/api/v1/users/me")
                    .set("x-stack-project-id", &f.project.id)
                    .set("x-stack-publishable-client-key", &f.project.pck)
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.bare(Method::GET, "/api/v1/users/me")
                    .set("x-stack-access-type", "client")
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.bare(Method::GET, "/api/v1/users/me")
                    .set("x-stack-access-type", "client")
                    .set("x-stack-project-id", "4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11")
            }),
        ),
        (
            401,
            Box::new(|f| {
                f.client(Method::GET, "/api/v1/users/me")
                    .set("x-stack-project-id", "4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11")
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.client(Method::GET, "/api/v1/users/me")
                    .set("x-stack-branch-id", "dev")
            }),
        ),
        (
            401,
            Box::new(|f| {
                f.client(Method::GET, "/api/v1/users/me")
                    .set("x-stack-publishable-client-key", "pck_bad")
            }),
        ),
        (
            401,
            Box::new(|f| {
                f.server(Method::GET, "/api/v1/users/me")
                    .set("x-stack-secret-server-key", "ssk_bad")
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.bare(Method::GET, "/api/v1/users/me")
                    .set("x-stack-access-type", "client")
                    .set("x-stack-project-id", &f.project.id)
            }),
        ),
        (
            401,
            Box::new(|f| {
                f.client(Method::GET, "/api/v1/users/me")
                    .set("x-stack-access-token", "12341234")
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.client(Method::PATCH, "/api/v1/users/me")
                    .json(&json!({"server_metadata": {}}))
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.client(Method::PATCH, "/api/v1/users/me")
                    .json(&json!({"totp_secret_base64": "!"}))
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.client(Method::PATCH, "/api/v1/users/me")
                    .json(&json!({"profile_image_url": "http://x.test/a.png"}))
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.server(Method::PATCH, &f.me())
                    .json(&json!({"profile_image_url": ""}))
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.client(Method::PATCH, "/api/v1/users/me")
                    .header("content-type", "application/xml")
                    .body("<a/>")
            }),
        ),
        (
            409,
            Box::new(|f| {
                f.client(Method::PATCH, "/api/v1/users/me")
                    .json(&json!({"primary_email": "taken26@example.com"}))
            }),
        ),
        (
            400,
            Box::new(|f| {
                f.server(Method::PATCH, &f.me())
                    .json(&json!({"password": "a", "password_hash": "b"}))
            }),
        ),
        (401, Box::new(|f| f.client(Method::GET, &f.me()))),
        (
            404,
            Box::new(|f| {
                f.server(
                    Method::GET,
                    "/api/v1/users/4f6e0d0e-7e0b-4a59-a8f9-2f1d2b6f0c11",
                )
            }),
        ),
        (
            400,
            Box::new(|f| f.server(Method::GET, "/api/v1/users/not-a-uuid")),
        ),
        (
            400,
            Box::new(|f| f.client(Method::DELETE, "/api/v1/users/me")),
        ),
        (401, Box::new(|f| token_form(f, "unknown", &f.project.pck))),
        (
            400,
            Box::new(|f| token_form(f, &f.session.refresh, "pck_wrong")),
        ),
        (
            404,
            Box::new(|f| f.bare(Method::GET, "/api/v1/nothing-here")),
        ),
        (405, Box::new(|f| f.bare(Method::PUT, "/api/v1/users/me"))),
    ];
    let team_case: Build = Box::new(move |f| {
        f.client(Method::PATCH, "/api/v1/users/me")
            .json(&json!({"selected_team_id": foreign_team}))
    });
    for (i, (status, build)) in cases
        .iter()
        .chain(std::iter::once(&(404, team_case)))
        .enumerate()
    {
        let plain = fetch(build(&f)).await;
        let rewritten = fetch(build(&f).set("x-stack-override-error-status", "true")).await;
        assert_eq!(plain.status, *status, "case {i}: {}", plain.text);
        assert_eq!(rewritten.status, 200, "case {i}");
        let actual = status.to_string();
        assert_eq!(
            rewritten.header_opt("x-stack-actual-status"),
            Some(actual.as_str()),
            "case {i}"
        );
        assert_eq!(
            rewritten.header_opt("x-hexclave-actual-status"),
            Some(actual.as_str()),
            "case {i}"
        );
        assert_eq!(rewritten.text, plain.text, "case {i}");
        assert_eq!(
            rewritten.header_opt("content-type"),
            plain.header_opt("content-type"),
            "case {i}"
        );
        assert_eq!(
            rewritten.header_opt("x-stack-known-error"),
            plain.header_opt("x-stack-known-error"),
            "case {i}"
        );
        assert!(
            plain.header_opt("x-stack-actual-status").is_none(),
            "case {i}"
        );
    }
    // The Hexclave spelling of the request header works too.
    let hex = fetch(
        f.bare(Method::GET, "/api/v1/users/me")
            .header("x-hexclave-override-error-status", "true"),
    )
    .await;
    assert_eq!(
        (hex.status, hex.header_opt("x-hexclave-actual-status")),
        (200, Some("400"))
    );
    // A 500 is never rewritten.
    let fault = fetch(
        f.app
            .admin(Method::POST, "/faults")
            .json(&json!({"surface": "users", "status": 500, "count": 1, "message": "injected"})),
    )
    .await;
    assert_eq!(fault.status, 201, "{}", fault.text);
    let five = fetch(
        f.client(Method::GET, "/api/v1/users/me")
            .set("x-stack-override-error-status", "true"),
    )
    .await;
    assert_eq!(five.status, 500);
    assert!(five.header_opt("x-stack-actual-status").is_none());
    assert_eq!(five.text_error(500), "injected");
}

/// The client headers of the fixture under one prefix only.
fn prefixed(f: &Fixture, prefix: &str, method: Method, path: &str, token: bool) -> RequestBuilder {
    let mut rb = f
        .bare(method, path)
        .header(format!("{prefix}access-type"), "client")
        .header(format!("{prefix}project-id"), &f.project.id)
        .header(format!("{prefix}publishable-client-key"), &f.project.pck);
    if token {
        rb = rb.header(format!("{prefix}access-token"), &f.session.access);
    }
    rb
}

// Scenario 27: scenarios 4, 7, 9 and 22 with x-hexclave-* headers only give identical results.
#[tokio::test]
async fn s27_hexclave_headers_alone_work_the_same() {
    let f = fixture().await;
    let runs: Vec<(Method, String, bool, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users/me".into(), false, None),
        (Method::GET, "/api/v1/users/me".into(), true, None),
        (
            Method::PATCH,
            "/api/v1/users/me".into(),
            true,
            Some(json!({"display_name": "John Doe"})),
        ),
        (Method::GET, f.me(), true, None),
    ];
    for (method, path, token, body) in runs {
        let mut answers = Vec::new();
        for prefix in ["x-stack-", "x-hexclave-"] {
            let mut rb = prefixed(&f, prefix, method.clone(), &path, token);
            if let Some(b) = &body {
                rb = rb.json(b);
            }
            answers.push(fetch(rb).await);
        }
        assert_eq!(answers[0].status, answers[1].status, "{method} {path}");
        assert_eq!(answers[0].text, answers[1].text, "{method} {path}");
        assert_eq!(
            answers[0].header_opt("x-stack-known-error"),
            answers[1].header_opt("x-stack-known-error")
        );
    }
    // When both prefixes are sent, x-hexclave- wins.
    let both = fetch(
        prefixed(&f, "x-hexclave-", Method::GET, "/api/v1/users/me", true)
            .set("x-stack-access-type", "browser"),
    )
    .await;
    assert_eq!(both.status, 200, "{}", both.text);
}

// Scenario 28: the refresh grant answers 200 with a JWT whose payload passes §4.3.
#[tokio::test]
async fn s28_refresh_grant_mints_a_valid_access_token() {
    let f = fixture().await;
    let a = fetch(
        token_form(&f, &f.session.refresh, &f.project.pck).header("accept", "application/json"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header_opt("pragma"), Some("no-cache"));
    assert_eq!(a.header_opt("cache-control"), Some("no-store"));
    let body = a.expect_json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "legacy");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["refresh_token"], f.session.refresh.as_str());
    assert!(body.get("id_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwks = fetch(f.bare(
        Method::GET,
        &format!("/api/v1/projects/{}/.well-known/jwks.json", f.project.id),
    ))
    .await;
    assert_eq!(
        header.kid.as_deref(),
        jwks.expect_json()["keys"][0]["kid"].as_str()
    );
    let claims = decode_payload(token);
    assert_eq!(
        keys(&claims),
        [
            "aud",
            "branch_id",
            "email",
            "email_verified",
            "exp",
            "iat",
            "is_anonymous",
            "is_restricted",
            "iss",
            "name",
            "project_id",
            "refresh_token_id",
            "requires_totp_mfa",
            "restricted_reason",
            "role",
            "selected_team_id",
            "signed_up_at",
            "sub"
        ]
    );
    assert_eq!(claims["sub"], f.user_id.as_str());
    assert_eq!(claims["aud"], f.project.id.as_str());
    assert_eq!(claims["project_id"], f.project.id.as_str());
    assert_eq!(
        claims["iss"],
        format!("{}/api/v1/projects/{}", f.app.base_url, f.project.id).as_str()
    );
    assert_eq!(
        claims["refresh_token_id"],
        f.session.refresh_token_id.as_str()
    );
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["branch_id"], "main");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert!(claims["signed_up_at"].is_i64() && claims["email_verified"].is_boolean());
    // The new token works, and the refresh token is not rotated.
    let me = fetch(
        f.client(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-token", token),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    let again = fetch(token_form(
        &f,
        &f.session.refresh,
        "__stack_public_client__",
    ))
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    snap!("s28_token_response", body);
}

// Scenario 29: refresh-grant errors.
#[tokio::test]
async fn s29_refresh_grant_errors() {
    let f = fixture().await;
    let unknown = fetch(token_form(&f, "unknown-token", &f.project.pck)).await;
    unknown.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    let wrong_secret = fetch(token_form(&f, &f.session.refresh, "pck_wrong")).await;
    let body = wrong_secret.known(400, "INVALID_OAUTH_CLIENT_ID_OR_SECRET");
    assert_eq!(body["details"]["client_id"], f.project.id.as_str());
    let no_grant = fetch(
        f.bare(Method::POST, "/api/v1/auth/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "refresh_token={}&client_id={}&client_secret={}",
                f.session.refresh, f.project.id, f.project.pck
            )),
    )
    .await;
    assert_schema_error(
        &no_grant,
        "POST /api/v1/auth/oauth/token",
        &["body.grant_type must be defined"],
    );
    let unknown_client = fetch(
        f.bare(Method::POST, "/api/v1/auth/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&refresh_token={}&client_id=not-a-project&client_secret=x",
                f.session.refresh
            )),
    )
    .await;
    unknown_client.known(400, "INVALID_OAUTH_CLIENT_ID_OR_SECRET");
    // A refresh token of another project is refused there.
    let second = create_project(&f.app, json!({"display_name": "Second"})).await;
    let cross = fetch(
        f.bare(Method::POST, "/api/v1/auth/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
                f.session.refresh, second.id, second.pck
            )),
    )
    .await;
    cross.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    let missing = fetch(
        f.bare(Method::POST, "/api/v1/auth/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&client_id={}&client_secret={}",
                f.project.id, f.project.pck
            )),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.expect_json(),
        json!({"error": "invalid_request", "error_description": "Missing parameter: `refresh_token`"})
    );
    snap!(
        "s29_refresh_errors",
        json!([
            unknown.expect_json(),
            scrubbed(&f, &wrong_secret),
            no_grant.expect_json()
        ])
    );
}

// Scenario 30: the REST refresh with x-stack-refresh-token.
#[tokio::test]
async fn s30_rest_refresh_mints_an_access_token() {
    let f = fixture().await;
    let ok = fetch(
        f.client(Method::POST, "/api/v1/auth/sessions/current/refresh")
            .set("x-stack-refresh-token", &f.session.refresh),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let body = ok.expect_json();
    assert_eq!(keys(&body), ["access_token"]);
    assert_eq!(
        decode_payload(body["access_token"].as_str().unwrap())["sub"],
        f.user_id.as_str()
    );
    let missing = fetch(f.client(Method::POST, "/api/v1/auth/sessions/current/refresh")).await;
    assert_schema_error(
        &missing,
        "POST /api/v1/auth/sessions/current/refresh",
        &["headers.x-stack-refresh-token must be defined"],
    );
    let bad = fetch(
        f.client(Method::POST, "/api/v1/auth/sessions/current/refresh")
            .set("x-stack-refresh-token", "nope"),
    )
    .await;
    bad.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    snap!("s30_rest_refresh", body);
}

// Scenario 31: /health at the origin root.
#[tokio::test]
async fn s31_health() {
    let f = fixture().await;
    let a = fetch(f.bare(Method::GET, "/health")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.expect_json(), json!({"status": "ok"}));
    assert_eq!(a.header_opt("access-control-allow-origin"), Some("*"));
    snap!("s31_health", a.expect_json());
}

// Scenario 32: a CORS preflight answers 2xx and exposes both actual-status and known-error names.
#[tokio::test]
async fn s32_cors_preflight() {
    let f = fixture().await;
    for path in [
        "/api/v1/users/me",
        "/api/v1/auth/oauth/token",
        "/api/v1/unknown",
    ] {
        let a = fetch(
            f.bare(Method::OPTIONS, path)
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "PATCH")
                .header(
                    "access-control-request-headers",
                    "x-hexclave-access-token, content-type",
                ),
        )
        .await;
        assert!((200..300).contains(&a.status), "{path}: {}", a.status);
        assert_eq!(a.header_opt("access-control-allow-origin"), Some("*"));
        let expose = a.header_opt("access-control-expose-headers").unwrap();
        for name in [
            "x-stack-actual-status",
            "x-hexclave-actual-status",
            "x-stack-known-error",
            "x-hexclave-known-error",
        ] {
            assert!(expose.contains(name), "{path}: {expose}");
        }
        let allow = a.header_opt("access-control-allow-headers").unwrap();
        assert!(
            allow.contains("x-hexclave-access-token") && allow.contains("x-stack-access-token")
        );
    }
    // Every /api answer carries them, errors included.
    let err = fetch(f.bare(Method::GET, "/api/v1/users/me")).await;
    assert!(
        err.header_opt("access-control-expose-headers")
            .unwrap()
            .contains("x-hexclave-known-error")
    );
}

// Scenario 33: a server display-name write is seen by the camel dialect's GET /me.
#[tokio::test]
async fn s33_cross_dialect_display_name() {
    let f = fixture().await;
    let a = fetch(
        f.server(Method::PATCH, &f.me())
            .json(&json!({"display_name": "Jane Q"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let creds = f.app.credentials(&f.user_id, "me", false).await.unwrap();
    let me = fetch(f.bare(Method::GET, "/me").bearer_auth(&creds.token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.expect_json()["name"], "Jane Q");
}

// The main read/write path on every backend (SQLite, and PostgreSQL when configured): read,
// client write, server write, refresh, delete.
#[tokio::test]
async fn main_path_on_every_backend() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.unwrap();
        let f = fixture_on(
            app,
            json!({"display_name": backend, "allow_client_user_deletion": true}),
        )
        .await;
        let read = fetch(f.client(Method::GET, "/api/v1/users/me")).await;
        assert_eq!(read.status, 200, "{backend}: {}", read.text);
        let write = fetch(
            f.client(Method::PATCH, "/api/v1/users/me")
                .json(&json!({"display_name": "PG", "client_metadata": {"a": [1, 2]}})),
        )
        .await;
        assert_eq!(
            write.expect_json()["client_metadata"],
            json!({"a": [1, 2]}),
            "{backend}"
        );
        let server = fetch(f.server(Method::PATCH, &f.me()).json(&json!({
            "server_metadata": {"s": true},
            "country_code": " nl ",
            "risk_scores": {"sign_up": {"bot": 5, "free_trial_abuse": 7}},
            "restricted_by_admin": true,
            "restricted_by_admin_reason": "review",
            "restricted_by_admin_private_details": "rule 7",
        })))
        .await;
        assert_eq!(server.status, 200, "{backend}: {}", server.text);
        let user = server.expect_json();
        assert_eq!(user["country_code"], "NL");
        assert_eq!(
            user["risk_scores"],
            json!({"sign_up": {"bot": 5, "free_trial_abuse": 7}})
        );
        assert_eq!(
            user["restricted_reason"],
            json!({"type": "restricted_by_administrator"})
        );
        assert_eq!(user["is_restricted"], true);
        assert_eq!(user["restricted_by_admin_private_details"], "rule 7");
        let refreshed = fetch(token_form(&f, &f.session.refresh, &f.project.pck)).await;
        assert_eq!(refreshed.status, 200, "{backend}: {}", refreshed.text);
        let token = refreshed.expect_json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            decode_payload(&token)["restricted_reason"],
            json!({"type": "restricted_by_administrator"})
        );
        // Restricted users need allow-restricted (or allow-anonymous).
        let restricted = fetch(
            f.client(Method::GET, "/api/v1/users/me")
                .set("x-stack-access-token", &token),
        )
        .await;
        restricted.known(403, "RESTRICTED_USER_NOT_ALLOWED");
        let allowed = fetch(
            f.client(Method::GET, "/api/v1/users/me")
                .set("x-stack-access-token", &token)
                .set("x-stack-allow-restricted-user", "true"),
        )
        .await;
        assert_eq!(
            allowed.expect_json()["restricted_by_admin_reason"],
            "review",
            "{backend}"
        );
        let lifted = fetch(
            f.server(Method::PATCH, &f.me())
                .json(&json!({"restricted_by_admin": false})),
        )
        .await;
        assert_eq!(
            lifted.expect_json()["restricted_by_admin_reason"],
            Value::Null
        );
        let reason_alone = fetch(
            f.server(Method::PATCH, &f.me())
                .json(&json!({"restricted_by_admin_reason": "x"})),
        )
        .await;
        assert_eq!(
            reason_alone.text_error(400),
            "restricted_by_admin_reason requires restricted_by_admin=true"
        );
        let deleted = fetch(f.client(Method::DELETE, "/api/v1/users/me")).await;
        assert_eq!(deleted.expect_json(), json!({"success": true}), "{backend}");
        fetch(token_form(&f, &f.session.refresh, &f.project.pck))
            .await
            .known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
        snap!(
            format!("main_path_restricted_{backend}"),
            restricted.expect_json()
        );
    }
}

// The admin project routes: keys are shown once, listed without keys, and guarded.
#[tokio::test]
async fn admin_project_routes() {
    for db in TestDb::all() {
        let app = spawn_app_on(db).await.unwrap();
        let created = fetch(
            app.admin(Method::POST, "/projects")
                .json(&json!({"display_name": "  Shop  "})),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let p = created.expect_json();
        assert!(
            p["publishable_client_key"]
                .as_str()
                .unwrap()
                .starts_with("pck_")
        );
        assert!(p["secret_server_key"].as_str().unwrap().starts_with("ssk_"));
        assert_eq!(p["display_name"], "Shop");
        assert_eq!(p["require_publishable_client_key"], false);
        assert_eq!(p["allow_client_user_deletion"], false);
        let list = fetch(app.admin(Method::GET, "/projects"))
            .await
            .expect_json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("publishable_client_key").is_none());
        let id = p["id"].as_str().unwrap().to_owned();
        let shown = fetch(app.admin(Method::GET, &format!("/projects/{id}"))).await;
        assert_eq!(shown.expect_json()["id"], id);
        let unauthenticated = fetch(app.client.get(app.url("/admin/projects"))).await;
        assert_eq!(unauthenticated.status, 401);
        let missing = fetch(app.admin(Method::GET, "/projects/nope")).await;
        assert_eq!(missing.status, 404);
        let empty = fetch(
            app.admin(Method::POST, "/projects")
                .json(&json!({"display_name": " "})),
        )
        .await;
        assert_eq!(empty.status, 422, "{}", empty.text);
        let unknown_user = fetch(app.admin(
            Method::POST,
            &format!("/projects/{id}/users/{}/sessions", uuid::Uuid::new_v4()),
        ))
        .await;
        assert_eq!(unknown_user.status, 404);
        let mut p = p;
        for k in [
            "publishable_client_key",
            "secret_server_key",
            "created_at",
            "updated_at",
        ] {
            p[k] = json!(format!("[{k}]"));
        }
        let updated = fetch(
            app.admin(Method::PATCH, &format!("/projects/{id}"))
                .json(&json!({"display_name": "Shop 2", "allow_client_user_deletion": true})),
        )
        .await;
        assert_eq!(updated.expect_json()["display_name"], "Shop 2");
        assert_eq!(updated.expect_json()["allow_client_user_deletion"], true);
        assert_eq!(
            updated.expect_json()["require_publishable_client_key"],
            false
        );
        snap!("admin_project_created", p);
    }
}

// The OpenAPI document is served by the gateway as `users`.
#[tokio::test]
async fn openapi_document_is_served() {
    let app = spawn_app().await;
    let doc = fetch(app.client.get(app.url("/openapi/users.json"))).await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    let paths = doc.expect_json()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    assert!(paths.contains(&"/api/v1/users/me".to_owned()), "{paths:?}");
    assert!(
        paths.contains(&"/api/v1/auth/oauth/token".to_owned()),
        "{paths:?}"
    );
}
