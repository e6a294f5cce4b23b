//! Fixture export round trip: a varied state (fixture users with keys and fixed tokens, a user
//! made through the admin API and changed through a surface, teams with members, a project with
//! generated keys, a fault rule) is exported with `GET /admin/fixtures/export`, the state is
//! reset, the export is loaded back with `POST /admin/fixtures`, and every surface answers the
//! same credentials exactly as before, as does the admin listing; a second export equals the
//! first.

use gateway_tests::{TestApp, http::fetch, spawn_app};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const SEED: &str = r#"
users:
  - username: alice
    email: alice@example.com
    email_verified: true
    password: alice-password
    display_name: Alice Liddell
    first_name: Alice
    last_name: Liddell
    locale: en-gb
    timezone: Europe/London
    phone_number: "+441234567890"
    country_code: gb
    company: Wonderland
    job_title: Explorer
    bio: Curious.
    is_onboarded: true
    risk_sign_up_bot: 12
    client_metadata: {theme: dark, nested: {list: [1, null, "x"]}}
    client_read_only_metadata: {plan: pro}
    server_metadata: {internal: 7}
    selected_team: Core
    created_at: 2024-01-02T03:04:05Z
    api_keys:
      - {surface: platform, key: dn_0123456789abcdef_alice-platform-secret, label: ci}
      - {surface: me, key: bird_00000000000000a1_alice-bird-secret}
    tokens:
      - {surface: account-profile, token: alice-profile-token-0001}
  - username: bob
    email: bob@example.com
    kind: service_account
    restricted_by_admin: true
    restricted_by_admin_reason: audit
teams:
  - display_name: Core
    client_metadata: {color: blue}
    members: [{user: alice, role: owner}, {user: bob}]
  - display_name: Empty team
faults:
  - {surface: me, path: /never-requested, status: 503, count: 3}
"#;

fn admin_json(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.admin(method, path)
}

async fn ok_json(rb: RequestBuilder, status: u16) -> Value {
    let res = fetch(rb).await;
    assert_eq!(res.status, status, "{}", res.text);
    res.expect_json()
}

/// The credentials the comparison presents, made before the export.
struct Creds {
    carol: String,
    zen_key: String,
    profile_key: String,
    bird_key: String,
    project: (String, String, String),
    tiered_access: String,
    tiered_refresh: String,
    zen_token: String,
    /// A tiered user API key of carol's (the vendor's format), with an expiry.
    tiered_key: String,
}

async fn seed(app: &TestApp) -> Creds {
    let loaded = fetch(
        app.admin(Method::POST, "/fixtures?name=seed.yaml")
            .header("content-type", "application/yaml")
            .body(SEED),
    )
    .await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    let carol = app
        .create_user_with(json!({
            "username": "carol", "email": "carol@example.com", "password": "carol-password",
            "status": "active", "first_name": "Carol", "last_name": "Danvers",
        }))
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = |surface: &'static str| {
        let carol = carol.clone();
        async move {
            ok_json(
                app.admin(Method::POST, &format!("/users/{carol}/keys"))
                    .json(&json!({"surface": surface, "label": "round trip"})),
                201,
            )
            .await["key"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (zen_key, profile_key, bird_key) = (
        key("users-me").await,
        key("account-profile").await,
        key("me").await,
    );
    // A revoked key is not exported (and stays refused).
    let revoked = ok_json(
        app.admin(Method::POST, &format!("/users/{carol}/keys"))
            .json(&json!({"surface": "platform"})),
        201,
    )
    .await;
    fetch(app.admin(
        Method::DELETE,
        &format!("/keys/{}", revoked["id"].as_str().unwrap()),
    ))
    .await;
    // Carol joins a team made through the admin API and changes her profile through a surface.
    let team = ok_json(
        app.admin(Method::POST, "/teams")
            .json(&json!({"display_name": "Admin team"})),
        201,
    )
    .await;
    let joined = fetch(
        app.admin(
            Method::POST,
            &format!("/teams/{}/members", team["id"].as_str().unwrap()),
        )
        .json(&json!({"user_id": carol, "role": "member"})),
    )
    .await;
    assert_eq!(joined.status, 204, "{}", joined.text);
    let patched = fetch(
        app.client
            .patch(app.url("/me"))
            .header("authorization", format!("AccessKey {bird_key}"))
            .json(&json!({"name": "Captain Marvel", "timezone": "America/New_York"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let project = ok_json(
        app.admin(Method::POST, "/projects")
            .json(&json!({"display_name": "Round trip", "allow_user_api_keys": true, "client_team_creation_enabled": true})),
        201,
    )
    .await;
    let project = (
        project["id"].as_str().unwrap().to_owned(),
        project["publishable_client_key"]
            .as_str()
            .unwrap()
            .to_owned(),
        project["secret_server_key"].as_str().unwrap().to_owned(),
    );
    let session = ok_json(
        app.admin(
            Method::POST,
            &format!("/projects/{}/users/{carol}/sessions", project.0),
        ),
        201,
    )
    .await;
    // A permission granted beyond the member's default round-trips too.
    let granted = fetch(
        app.client
            .post(app.url(&format!(
                "/api/v1/team-permissions/{}/{carol}/$update_team",
                team["id"].as_str().unwrap()
            )))
            .header("x-stack-access-type", "server")
            .header("x-stack-project-id", &project.0)
            .header("x-stack-secret-server-key", &project.2)
            .json(&json!({})),
    )
    .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    // A tiered user API key: its expiry, public flag and last four characters round-trip too.
    let tiered_key = ok_json(
        app.client
            .post(app.url("/api/v1/user-api-keys"))
            .header("x-stack-access-type", "server")
            .header("x-stack-project-id", &project.0)
            .header("x-stack-secret-server-key", &project.2)
            .json(&json!({"user_id": carol, "description": "round trip", "expires_at_millis": 4_102_444_800_000_i64, "is_public": true})),
        200,
    )
    .await["value"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two contact channels besides Carol's email, one used for sign-in, round-trip too.
    for (value, auth) in [
        ("carol.work@example.com", true),
        ("carol.home@example.com", false),
    ] {
        ok_json(
            app.client
                .post(app.url("/api/v1/contact-channels"))
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", &project.0)
                .header("x-stack-secret-server-key", &project.2)
                .json(&json!({"user_id": carol, "value": value, "type": "email", "used_for_auth": auth, "is_verified": auth})),
            201,
        )
        .await;
    }
    let zen_login = fetch(
        app.client
            .post(app.url("/auth/login"))
            .bearer_auth(&zen_key)
            .form(&[("password", &zen_key)]),
    )
    .await;
    assert_eq!(zen_login.status, 200, "{}", zen_login.text);
    Creds {
        zen_token: zen_login.expect_json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        carol,
        zen_key,
        profile_key,
        bird_key,
        project,
        tiered_access: session["access_token"].as_str().unwrap().to_owned(),
        tiered_refresh: session["refresh_token"].as_str().unwrap().to_owned(),
        tiered_key,
    }
}

/// Every surface's answer to the same credentials (status and body), and the admin listing.
async fn answers(app: &TestApp, c: &Creds) -> Vec<(String, u16, String)> {
    let get = |path: &str| app.client.get(app.url(path));
    let (pid, pck, ssk) = &c.project;
    let requests = vec![
        (
            "platform key",
            get("/api/v1/user").header("x-api-key", "dn_0123456789abcdef_alice-platform-secret"),
        ),
        (
            "users-me (token of a login before the export)",
            get("/users/me").bearer_auth(&c.zen_token),
        ),
        (
            "account-profile key",
            get("/api/workspace/account/profile").bearer_auth(&c.profile_key),
        ),
        (
            "account-profile fixed token",
            get("/api/workspace/account/profile").bearer_auth("alice-profile-token-0001"),
        ),
        (
            "me key",
            get("/me").header("authorization", format!("AccessKey {}", c.bird_key)),
        ),
        (
            "me fixture key",
            get("/me").header(
                "authorization",
                "AccessKey bird_00000000000000a1_alice-bird-secret",
            ),
        ),
        (
            "users me (client, access token)",
            get("/api/v1/users/me")
                .header("x-stack-access-type", "client")
                .header("x-stack-project-id", pid)
                .header("x-stack-publishable-client-key", pck)
                .header("x-stack-access-token", &c.tiered_access),
        ),
        (
            "users list (server key)",
            get("/api/v1/users")
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", pid)
                .header("x-stack-secret-server-key", ssk),
        ),
        (
            "users carol (server key)",
            get(&format!("/api/v1/users/{}", c.carol))
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", pid)
                .header("x-stack-secret-server-key", ssk),
        ),
        (
            "users api key check (server key)",
            app.client
                .post(app.url("/api/v1/user-api-keys/check"))
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", pid)
                .header("x-stack-secret-server-key", ssk)
                .json(&json!({"api_key": c.tiered_key})),
        ),
        (
            "users contact channels (server key)",
            get(&format!("/api/v1/contact-channels?user_id={}", c.carol))
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", pid)
                .header("x-stack-secret-server-key", ssk),
        ),
        (
            "users team permissions (server key)",
            get(&format!("/api/v1/team-permissions?user_id={}", c.carol))
                .header("x-stack-access-type", "server")
                .header("x-stack-project-id", pid)
                .header("x-stack-secret-server-key", ssk),
        ),
        (
            "users project (client)",
            get("/api/v1/projects/current")
                .header("x-stack-access-type", "client")
                .header("x-stack-project-id", pid)
                .header("x-stack-publishable-client-key", pck),
        ),
        ("admin users", admin_json(app, Method::GET, "/users")),
    ];
    let mut out = Vec::new();
    for (name, rb) in requests {
        let res = fetch(rb).await;
        assert_eq!(res.status, 200, "{name}: {}", res.text);
        let mut body: Value = serde_json::from_str(&res.text).unwrap();
        // The tiered list is ordered by creation; nothing else in an answer is per-request.
        strip_request_ids(&mut body);
        out.push((name.to_owned(), res.status, body.to_string()));
    }
    out
}

fn strip_request_ids(value: &mut Value) {
    if let Value::Object(map) = value {
        map.remove("request_id");
        map.values_mut().for_each(strip_request_ids);
    }
}

async fn export(app: &TestApp) -> String {
    let res = fetch(app.admin(Method::GET, "/fixtures/export")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("content-type"), "application/yaml");
    res.text
}

/// The export without its `exported` stamp (its time differs between two exports).
fn without_stamp(text: &str) -> serde_json::Value {
    let mut v: Value = serde_norway::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("exported");
    v
}

#[tokio::test]
async fn an_export_loads_back_to_the_same_answers_on_every_surface() {
    let app = spawn_app().await;
    let creds = seed(&app).await;
    let before = answers(&app, &creds).await;
    let text = export(&app).await;
    assert!(text.starts_with("# gateway fixture export"), "{text}");
    assert!(text.contains("SECRETS ARE HASHES"), "{text}");
    for secret in [
        "alice-password",
        "alice-platform-secret",
        "alice-profile-token-0001",
        &creds.zen_key,
        &creds.project.2,
        &creds.tiered_key,
    ] {
        assert!(!text.contains(secret), "a secret in clear: {secret}");
    }
    let exported = without_stamp(&text);
    assert_eq!(exported["teams"].as_array().unwrap().len(), 3, "{text}");
    assert_eq!(exported["faults"][0]["count"], 3, "{text}");
    let carol = exported["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap();
    assert_eq!(
        carol["api_keys"].as_array().unwrap().len(),
        4,
        "the revoked key is left out: {carol}"
    );
    assert_eq!(
        carol["contact_channels"],
        json!([
            {"value": "carol.work@example.com", "is_verified": true, "used_for_auth": true, "created_at": carol["contact_channels"][0]["created_at"]},
            {"value": "carol.home@example.com", "is_verified": false, "used_for_auth": false, "created_at": carol["contact_channels"][1]["created_at"]},
        ]),
        "{carol}"
    );

    // Reset goes back to the seed fixtures: carol and her credentials are gone.
    fetch(app.admin(Method::POST, "/reset")).await;
    let gone = fetch(
        app.client
            .get(app.url("/me"))
            .header("authorization", format!("AccessKey {}", creds.bird_key)),
    )
    .await;
    assert_eq!(gone.status, 401, "{}", gone.text);

    let loaded = fetch(
        app.admin(Method::POST, "/fixtures?name=export.yaml")
            .header("content-type", "application/yaml")
            .body(text.clone()),
    )
    .await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    let after = answers(&app, &creds).await;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} differs after the round trip", b.0);
    }
    assert_eq!(without_stamp(&export(&app).await), exported);

    // The tiered refresh token (a session bound to the project) refreshes again.
    let (pid, pck, _) = &creds.project;
    let refreshed = fetch(
        app.client
            .post(app.url("/api/v1/auth/sessions/current/refresh"))
            .header("x-stack-access-type", "client")
            .header("x-stack-project-id", pid)
            .header("x-stack-publishable-client-key", pck)
            .header("x-stack-refresh-token", &creds.tiered_refresh),
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);

    // As JSON too, and the export is an admin route.
    let json = fetch(app.admin(Method::GET, "/fixtures/export?format=json")).await;
    assert_eq!(json.status, 200);
    let as_json: Value = serde_json::from_str(&json.text).unwrap();
    assert!(
        as_json["exported"]["secrets"]
            .as_str()
            .unwrap()
            .starts_with("hashes only")
    );
    let open = fetch(app.client.get(app.url("/admin/fixtures/export"))).await;
    assert_eq!(open.status, 401, "{}", open.text);
}
