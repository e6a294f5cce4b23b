//! Device logins end to end over HTTP (issue 17): the platform (`dreadnode login`) and users-me
//! (`zenml login --pro`) device flows with every vendor answer for pending, too-fast, denied,
//! expired, reused, unknown and foreign codes; approval through the admin API and through the
//! gateway's page (its forms posted as a browser would); what the logged-in CLI reads next
//! (API key, organizations, workspaces, projects); and revocation of what a login made.
//! The real CLIs and the page in Chromium are driven by `device_clis.rs`.

use gateway_core::{DeviceTiming, Surface};
use gateway_tests::{
    TestApp, TestDb,
    http::{Answer, fetch},
    spawn_with, test_settings,
};
use reqwest::Method;
use serde_json::{Value, json};

/// A gateway whose device logins poll every second.
async fn app() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.auth.device_interval_secs = 1;
    spawn_with(db, settings).await.unwrap()
}

/// A user whose username makes a slug (`jane`), with a password.
async fn jane(app: &TestApp) -> String {
    app.create_user("jane").await.unwrap()
}

/// The admin API's pending entry with `user_code`.
async fn pending(app: &TestApp, user_code: &str) -> Value {
    let a = fetch(app.admin(
        Method::GET,
        &format!("/device-authorizations?status=pending&user_code={user_code}"),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.describe());
    let items = a.expect_json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    items[0].clone()
}

async fn approve(app: &TestApp, user_code: &str, user_id: &str) {
    let id = pending(app, user_code).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = fetch(
        app.admin(
            Method::POST,
            &format!("/device-authorizations/{id}/approve"),
        )
        .json(&json!({"user_id": user_id})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.describe());
    assert_eq!(a.expect_json()["state"], "approved");
}

async fn deny(app: &TestApp, user_code: &str) {
    let id = pending(app, user_code).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = fetch(app.admin(Method::POST, &format!("/device-authorizations/{id}/deny"))).await;
    assert_eq!(a.status, 200, "{}", a.describe());
}

fn platform_error(a: &Answer, status: u16, kind: &str, detail: &str) {
    assert_eq!(
        (a.status, a.expect_json()),
        (
            status,
            json!({"code": status, "detail": detail, "type": kind})
        ),
        "{}",
        a.describe()
    );
}

async fn platform_start(app: &TestApp) -> Value {
    let a = fetch(
        app.client
            .post(app.url("/api/v1/auth/device/code"))
            .header("content-length", "0"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.describe());
    assert_eq!(a.header("cache-control"), "no-store");
    a.expect_json()
}

async fn platform_poll(app: &TestApp, code: &str) -> Answer {
    fetch(
        app.client
            .get(app.url(&format!("/api/v1/auth/device/code/{code}"))),
    )
    .await
}

async fn platform_token(app: &TestApp, code: &str) -> Answer {
    fetch(
        app.client
            .post(app.url("/api/v1/auth/device/token"))
            .json(&json!({"device_code": code})),
    )
    .await
}

#[tokio::test]
async fn the_platform_device_login_gives_a_token_a_key_and_a_personal_organization() {
    let app = app().await;
    let user_id = jane(&app).await;
    let started = platform_start(&app).await;
    let code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(
        started["verification_url"],
        app.url(&format!("/login/device?code={user_code}"))
    );
    assert_eq!(started["completed"], false);
    assert_eq!(started["interval"], 1);
    assert!(started["expires_in"].as_i64().unwrap() > 500, "{started}");

    let polled = platform_poll(&app, code).await;
    assert_eq!(polled.status, 200);
    let polled = polled.expect_json();
    assert_eq!(polled["user_id"], Value::Null);
    assert!(
        !polled.to_string().contains(code),
        "a poll never echoes the device code: {polled}"
    );
    // Neither the journal nor its copy of the answers keeps the device code.
    let journal = fetch(app.admin(Method::GET, "/journal?surface=platform")).await;
    assert!(
        journal.text.contains("/api/v1/auth/device/code/[redacted]"),
        "{}",
        journal.text
    );
    assert!(!journal.text.contains(code), "{}", journal.text);
    platform_error(
        &platform_token(&app, code).await,
        400,
        "invalid_request_error",
        "Device code not verified",
    );

    approve(&app, user_code, &user_id).await;
    let polled = platform_poll(&app, code).await.expect_json();
    assert_eq!(
        (polled["user_id"].as_str(), &polled["completed"]),
        (Some(user_id.as_str()), &json!(true))
    );

    let token = platform_token(&app, code).await;
    assert_eq!(token.status, 200, "{}", token.describe());
    let token = token.expect_json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    platform_error(
        &platform_token(&app, code).await,
        400,
        "invalid_request_error",
        "Device code already used",
    );
    platform_error(
        &platform_poll(&app, code).await,
        400,
        "invalid_request_error",
        "Device code already used",
    );

    // What `dreadnode login` does next: a key with the JWT, then everything with the key.
    let created = fetch(
        app.client
            .post(app.url("/api/v1/user/api-keys"))
            .bearer_auth(&token)
            .json(&json!({"name": "dreadnode-1a2b3c", "allow_self_revoke": true})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.describe());
    let created = created.expect_json();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("dn_"), "{created}");
    assert_eq!(created["name"], "dreadnode-1a2b3c");
    assert!(
        !created["masked_key"]
            .as_str()
            .unwrap()
            .contains(&key[key.len() - 8..])
    );
    let get = |path: &str| app.client.get(app.url(path)).header("x-api-key", &key);

    let me = fetch(get("/api/v1/user")).await.expect_json();
    assert_eq!(me["username"], "jane");
    let orgs = fetch(get("/api/v1/user/organizations")).await.expect_json();
    let orgs = orgs.as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    assert_eq!(
        (&orgs[0]["key"], &orgs[0]["name"]),
        (&json!("jane"), &json!("jane"))
    );
    assert_eq!(
        me["teams"][0]["team_id"], orgs[0]["id"],
        "the personal organization is the user's team"
    );
    let org = fetch(get("/api/v1/org/jane")).await.expect_json();
    assert_eq!(org["id"], orgs[0]["id"]);
    let by_id = fetch(get(&format!("/api/v1/org/{}", org["id"].as_str().unwrap()))).await;
    assert_eq!(by_id.expect_json()["key"], "jane");
    let ws = fetch(get("/api/v1/org/jane/ws")).await.expect_json();
    assert_eq!(
        (&ws[0]["key"], &ws[0]["is_default"]),
        (&json!("main"), &json!(true))
    );
    assert_eq!(ws[0]["org_id"], org["id"]);
    let one = fetch(get("/api/v1/org/jane/ws/main")).await.expect_json();
    assert_eq!(one["id"], ws[0]["id"]);
    let projects = fetch(get("/api/v1/org/jane/ws/main/projects"))
        .await
        .expect_json();
    assert_eq!(projects[0]["key"], "default");
    assert_eq!(projects[0]["workspace_id"], ws[0]["id"]);
    let project = fetch(get("/api/v1/org/jane/ws/main/projects/default")).await;
    assert_eq!(project.status, 200);
    for missing in [
        "/api/v1/org/acme",
        "/api/v1/org/jane/ws/other",
        "/api/v1/org/jane/ws/main/projects/other",
    ] {
        let a = fetch(get(missing)).await;
        assert_eq!(
            (a.status, a.expect_json()["type"].clone()),
            (404, json!("not_found_error")),
            "{missing}"
        );
    }
    assert_eq!(
        fetch(get("/api/v1/user/limits")).await.expect_json()["user_id"],
        json!(user_id)
    );
    assert_eq!(
        fetch(get("/api/v1/user/preferences?org=jane"))
            .await
            .expect_json()["models"],
        json!([])
    );
    let health = fetch(app.client.get(app.url("/api/v1/health"))).await;
    assert_eq!(health.expect_json(), json!({"status": "ok"}));
    let config = fetch(app.client.get(app.url("/api/v1/config")))
        .await
        .expect_json();
    assert_eq!(config["website_url"], app.base_url);

    // A second login does not make a second organization.
    let again = platform_start(&app).await;
    approve(&app, again["user_code"].as_str().unwrap(), &user_id).await;
    let token2 = platform_token(&app, again["device_code"].as_str().unwrap()).await;
    assert_eq!(token2.status, 200);
    assert_eq!(
        fetch(get("/api/v1/user/organizations"))
            .await
            .expect_json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Revocation: the key revokes itself; the device token ends with its session.
    let a = fetch(
        app.client
            .delete(app.url("/api/v1/user/api-keys/self"))
            .header("x-api-key", &key),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.describe());
    assert_eq!(fetch(get("/api/v1/user")).await.status, 401);
    let bearer = |t: &str| {
        app.client
            .get(app.url("/api/v1/user"))
            .bearer_auth(t.to_owned())
    };
    assert_eq!(fetch(bearer(&token)).await.status, 200);
    let a = fetch(app.admin(Method::DELETE, &format!("/users/{user_id}/sessions"))).await;
    assert!(a.status < 300, "{}", a.describe());
    assert_eq!(
        fetch(bearer(&token)).await.status,
        401,
        "the session was revoked"
    );
}

#[tokio::test]
async fn platform_device_codes_that_lead_nowhere_get_the_platform_errors() {
    let app = app().await;
    let user_id = jane(&app).await;
    platform_error(
        &platform_poll(&app, "no-such-code").await,
        404,
        "not_found_error",
        "Device code not found",
    );
    platform_error(
        &platform_token(&app, "no-such-code").await,
        404,
        "not_found_error",
        "Device code not found",
    );
    let denied = platform_start(&app).await;
    deny(&app, denied["user_code"].as_str().unwrap()).await;
    let code = denied["device_code"].as_str().unwrap();
    platform_error(
        &platform_poll(&app, code).await,
        403,
        "permission_error",
        "Device authorization denied",
    );
    platform_error(
        &platform_token(&app, code).await,
        403,
        "permission_error",
        "Device authorization denied",
    );

    let past = DeviceTiming {
        lifetime: chrono::Duration::seconds(-1),
        interval_secs: 1,
    };
    let (expired, text) = app
        .state
        .gateway
        .start_device_authorization(Surface::Platform, None, None, past, 10)
        .await
        .unwrap();
    platform_error(
        &platform_poll(&app, &text).await,
        400,
        "invalid_request_error",
        "Device code expired",
    );
    platform_error(
        &platform_token(&app, &text).await,
        400,
        "invalid_request_error",
        "Device code expired",
    );
    let a = fetch(
        app.admin(
            Method::POST,
            &format!("/device-authorizations/{}/approve", expired.id),
        )
        .json(&json!({"user_id": user_id})),
    )
    .await;
    assert_eq!(
        a.status,
        412,
        "an expired login cannot be approved: {}",
        a.describe()
    );

    // A users-me device code is unknown to the platform surface.
    let zen = fetch(
        app.client
            .post(app.url("/auth/device_authorization"))
            .form(&[("client_id", "c")]),
    )
    .await
    .expect_json();
    platform_error(
        &platform_poll(&app, zen["device_code"].as_str().unwrap()).await,
        404,
        "not_found_error",
        "Device code not found",
    );

    for body in [
        json!({}),
        json!({"device_code": 7}),
        json!({"device_code": ""}),
    ] {
        let a = fetch(
            app.client
                .post(app.url("/api/v1/auth/device/token"))
                .json(&body),
        )
        .await;
        assert_eq!(
            (a.status, a.expect_json()["type"].clone()),
            (422, json!("validation_error")),
            "{body}"
        );
    }
    let a = fetch(
        app.client
            .post(app.url("/api/v1/auth/device/token"))
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(
        a.expect_json()["type"],
        "invalid_request_error",
        "{}",
        a.describe()
    );
    // Creating keys needs a credential.
    let a = fetch(
        app.client
            .post(app.url("/api/v1/user/api-keys"))
            .json(&json!({})),
    )
    .await;
    platform_error(&a, 401, "authentication_error", "Authentication failed");
}

async fn zen_start(app: &TestApp, client_id: &str) -> Value {
    let a = fetch(
        app.client
            .post(app.url("/auth/device_authorization"))
            .header("user-agent", "Host/ci ZenML/0.98.0 Python/3.11.7 OS/Linux")
            .form(&[("client_id", client_id)]),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.describe());
    a.expect_json()
}

async fn zen_poll(app: &TestApp, client_id: &str, code: &str) -> Answer {
    fetch(app.client.post(app.url("/auth/login")).form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", client_id),
        ("device_code", code),
    ]))
    .await
}

/// A device-grant refusal: 400 with only OAuth keys (ZenML's client requires it).
fn oauth_error(a: &Answer, error: &str) {
    let body = a.expect_json();
    assert_eq!(
        (a.status, &body["error"]),
        (400, &json!(error)),
        "{}",
        a.describe()
    );
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["error", "error_description"], "{body}");
}

/// Posts the approval page's sign-in form as a browser would; its answer.
async fn page_sign_in(app: &TestApp, code: &str, login: &str, password: &str) -> Answer {
    fetch(app.client.post(app.url("/login/device")).form(&[
        ("code", code),
        ("login", login),
        ("password", password),
    ]))
    .await
}

/// The value of the hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_zenml_device_grant_is_approved_on_the_page_and_lists_the_organizations() {
    let app = app().await;
    let user_id = jane(&app).await;
    let client = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    let started = zen_start(&app, client).await;
    let code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(started["verification_uri"], app.url("/login/device"));
    assert_eq!(
        started["verification_uri_complete"],
        app.url(&format!("/login/device?code={user_code}"))
    );
    assert_eq!(started["interval"], 1);
    oauth_error(&zen_poll(&app, client, code).await, "authorization_pending");
    oauth_error(&zen_poll(&app, client, code).await, "slow_down");

    // The page: the form, a sign-in, the device's details, Approve.
    let form = fetch(
        app.client
            .get(app.url(&format!("/login/device?code={user_code}"))),
    )
    .await;
    assert_eq!(form.status, 200);
    assert!(
        form.header("content-security-policy")
            .starts_with("default-src 'none'")
    );
    assert!(
        form.text.contains(&format!("value=\"{user_code}\"")),
        "{}",
        form.text
    );
    assert!(form.text.contains("<label for=\"password\">"));
    let signed_in = page_sign_in(&app, &user_code.to_lowercase(), "jane", "initial-password").await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert!(signed_in.text.contains("ZenML Pro"), "{}", signed_in.text);
    assert!(
        signed_in
            .text
            .contains("Host/ci ZenML/0.98.0 Python/3.11.7 OS/Linux")
    );
    let (id, ticket) = (
        hidden(&signed_in.text, "id"),
        hidden(&signed_in.text, "ticket"),
    );
    let forged = fetch(app.client.post(app.url("/login/device/decision")).form(&[
        ("id", id.as_str()),
        ("ticket", "forged"),
        ("decision", "approve"),
    ]))
    .await;
    assert_eq!(forged.status, 400, "a forged ticket decides nothing");
    let approved = fetch(app.client.post(app.url("/login/device/decision")).form(&[
        ("id", id.as_str()),
        ("ticket", ticket.as_str()),
        ("decision", "approve"),
    ]))
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert!(approved.text.contains("Device approved"));
    let replay = fetch(app.client.post(app.url("/login/device/decision")).form(&[
        ("id", id.as_str()),
        ("ticket", ticket.as_str()),
        ("decision", "deny"),
    ]))
    .await;
    assert_eq!(replay.status, 400, "a ticket decides once");

    oauth_error(
        &zen_poll(&app, "another-client", code).await,
        "invalid_grant",
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = zen_poll(&app, client, code).await;
    assert_eq!(token.status, 200, "{}", token.describe());
    let token = token.expect_json();
    assert_eq!(token["token_type"], "bearer");
    let token = token["access_token"].as_str().unwrap().to_owned();
    oauth_error(&zen_poll(&app, client, code).await, "expired_token");

    let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&token);
    assert_eq!(
        fetch(get("/users/me")).await.expect_json()["username"],
        "jane"
    );
    let orgs = fetch(get("/organizations?offset=0&limit=20"))
        .await
        .expect_json();
    assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
    assert_eq!(orgs[0]["name"], "jane");
    let org_id = orgs[0]["id"].as_str().unwrap();
    assert_eq!(
        fetch(get(&format!("/organizations/{org_id}")))
            .await
            .expect_json()["id"],
        orgs[0]["id"]
    );
    let wss = fetch(get("/workspaces?offset=0&limit=20&member_only=True"))
        .await
        .expect_json();
    assert_eq!(wss[0]["organization"]["id"], orgs[0]["id"]);
    assert_eq!(
        wss[0]["zenml_service"],
        json!({"configuration": null, "status": null})
    );
    let filtered = fetch(get(&format!(
        "/workspaces?organization_id={org_id}&status=available"
    )))
    .await;
    assert_eq!(filtered.expect_json(), json!([]));
    let ws = fetch(get(&format!(
        "/workspaces/{}",
        wss[0]["id"].as_str().unwrap()
    )))
    .await;
    assert_eq!(ws.expect_json()["id"], wss[0]["id"]);
    let bad = fetch(get("/organizations?limit=many")).await;
    assert_eq!(
        (bad.status, bad.expect_json()["detail"][0].clone()),
        (422, json!("ValueError"))
    );
    let other = fetch(get("/workspaces/nope")).await;
    assert_eq!(
        (other.status, other.expect_json()["detail"][0].clone()),
        (404, json!("KeyError"))
    );
    // The personal organization is the same record on the platform surface.
    let platform = app
        .credentials(&user_id, "platform", false)
        .await
        .unwrap()
        .token;
    let me = fetch(
        app.client
            .get(app.url("/api/v1/user"))
            .bearer_auth(platform),
    )
    .await;
    assert_eq!(me.expect_json()["teams"][0]["team_id"], orgs[0]["id"]);
}

#[tokio::test]
async fn zenml_device_codes_that_lead_nowhere_get_oauth_errors() {
    let app = app().await;
    jane(&app).await;
    oauth_error(&zen_poll(&app, "c", "no-such-code").await, "invalid_grant");
    let a = fetch(
        app.client
            .post(app.url("/auth/login"))
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:device_code")]),
    )
    .await;
    oauth_error(&a, "invalid_request");
    let denied = zen_start(&app, "c").await;
    deny(&app, denied["user_code"].as_str().unwrap()).await;
    oauth_error(
        &zen_poll(&app, "c", denied["device_code"].as_str().unwrap()).await,
        "access_denied",
    );
    let past = DeviceTiming {
        lifetime: chrono::Duration::seconds(-1),
        interval_secs: 1,
    };
    let (_, text) = app
        .state
        .gateway
        .start_device_authorization(Surface::UsersMe, Some("c"), None, past, 10)
        .await
        .unwrap();
    oauth_error(&zen_poll(&app, "c", &text).await, "expired_token");
    // The API-key login is unchanged: no key is a 401 in the users-me envelope.
    let a = fetch(
        app.client
            .post(app.url("/auth/login"))
            .form(&[("username", "x")]),
    )
    .await;
    assert_eq!(
        (a.status, a.expect_json()["detail"][0].clone()),
        (401, json!("CredentialsNotValid"))
    );
}

#[tokio::test]
async fn the_approval_page_never_tells_which_part_of_a_sign_in_was_wrong_and_limits_failures() {
    let app = app().await;
    jane(&app).await;
    let started = fetch(
        app.client
            .post(app.url("/api/v1/auth/device/code"))
            .header("user-agent", "<script>alert(1)</script>"),
    )
    .await
    .expect_json();
    let code = started["user_code"].as_str().unwrap();
    let wrong_password = page_sign_in(&app, code, "jane", "not-the-password").await;
    let no_such_user = page_sign_in(&app, code, "nobody", "not-the-password").await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(no_such_user.status, 401);
    assert_eq!(
        wrong_password.text.replace("value=\"jane\"", ""),
        no_such_user.text.replace("value=\"nobody\"", ""),
        "the same page whether or not the username exists"
    );
    let bad_code = page_sign_in(&app, "BCDF-GHJK", "jane", "initial-password").await;
    assert_eq!(bad_code.status, 400);
    assert!(bad_code.text.contains("not valid"), "{}", bad_code.text);
    // What the device said about itself is shown as text, never as markup.
    let ok = page_sign_in(&app, code, "jane@example.com", "initial-password").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        ok.text
    );
    assert!(!ok.text.contains("<script>"));
    // Ten failures from one address, then the page refuses even the right password.
    for _ in 0..7 {
        assert_eq!(page_sign_in(&app, code, "jane", "wrong").await.status, 401);
    }
    let limited = page_sign_in(&app, code, "jane", "initial-password").await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    // A malformed form is the page again, not a framework error.
    let a = fetch(
        app.client
            .post(app.url("/login/device"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("%zz=%"),
    )
    .await;
    assert!(
        a.header("content-type").starts_with("text/html"),
        "{}",
        a.describe()
    );
}

#[tokio::test]
async fn the_pending_device_logins_are_bounded() {
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.auth.device_max_pending = 3;
    let app = spawn_with(db, settings).await.unwrap();
    for _ in 0..3 {
        platform_start(&app).await;
    }
    let a = fetch(app.client.post(app.url("/api/v1/auth/device/code"))).await;
    assert_eq!(
        (a.status, a.expect_json()["type"].clone()),
        (429, json!("rate_limit_error")),
        "{}",
        a.describe()
    );
    let a = fetch(app.client.post(app.url("/auth/device_authorization"))).await;
    assert_eq!(
        (a.status, a.expect_json()["detail"][0].clone()),
        (429, json!("RuntimeError")),
        "{}",
        a.describe()
    );
}
