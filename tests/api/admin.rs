//! Health, readiness, request ids, the admin API, fault rules, and the credential extractor.

use actix_web::{HttpResponse, ResponseError, http::StatusCode, test, web};
use gateway_core::{CoreError, Surface};
use gateway_http::{Auth, AuthPolicy, Presented, auth};
use gateway_tests::{TestDb, spawn_app, spawn_app_on};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_readiness_answer_with_a_request_id() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["database"], "ok");
}

/// A TCP proxy to the test PostgreSQL server that can be cut and restored, so a test can take
/// the database away from a running gateway.
struct Proxy {
    port: u16,
    target: String,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: &str, port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (t, target_owned) = (tasks.clone(), target.to_owned());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target_owned.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                t.lock().expect("proxy task list").push(conn);
            }
        });
        tasks.lock().expect("proxy task list").push(accept);
        Self {
            port,
            target: target.to_owned(),
            tasks,
        }
    }

    fn cut(&self) {
        for task in self.tasks.lock().expect("proxy task list").drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn readiness_follows_the_database_and_recovers_without_a_restart() {
    let Some(db) = TestDb::postgres() else { return };
    let url = db.url();
    let Some(host_port) = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
    else {
        panic!("GATEWAY_TEST_POSTGRES_URL must look like postgres://user@host:port/db: {url}");
    };
    let proxy = Proxy::start(host_port, 0).await;
    let mut settings = gateway_tests::test_settings(&db).unwrap();
    settings.database.url = url.replace(host_port, &format!("127.0.0.1:{}", proxy.port));
    settings.database.acquire_timeout_ms = 500;
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    let id = app.create_user("ready").await.unwrap();
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    proxy.cut();
    let started = std::time::Instant::now();
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>().await.unwrap()["database"],
        "unreachable"
    );
    let res = app
        .admin(Method::GET, &format!("/users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        503,
        "requests answer 503, not 500, while the database is away"
    );
    let body = res.text().await.unwrap();
    assert!(
        !body.contains("Connection refused") && !body.contains("r2d2"),
        "no internal text: {body}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "bounded by the acquire timeout"
    );

    let restored = Proxy::start(&proxy.target, proxy.port).await;
    let mut ready = false;
    for _ in 0..50 {
        if app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "readiness recovers once the database is back");
    let res = app
        .admin(Method::GET, &format!("/users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    restored.cut();
    println!("readiness_follows_the_database_and_recovers_without_a_restart ran on postgres");
}

#[tokio::test]
async fn the_admin_api_needs_its_token() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "unauthenticated");
}

#[tokio::test]
async fn a_disabled_admin_api_is_not_found() {
    let db = TestDb::sqlite();
    let mut settings = gateway_tests::test_settings(&db).unwrap();
    settings.admin.enabled = false;
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    let res = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn admin_creates_lists_shows_and_deletes_users() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.unwrap();
        let user = app
            .create_user_with(json!({"username": "ada", "email": "Ada@Example.com", "password": "pw", "display_name": "Ada"}))
            .await
            .unwrap();
        assert_eq!(user["email"], "ada@example.com", "{backend}");
        assert_eq!(user["has_password"], true);
        assert!(
            user.get("password_hash").is_none(),
            "hashes are never shown"
        );
        let id = user["id"].as_str().unwrap();

        let res = app
            .admin(Method::POST, "/users")
            .json(&json!({"username": "ada"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409, "{backend}");
        let res = app
            .admin(Method::POST, "/users")
            .json(&json!({"username": "bad name!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["issues"][0]["field"], "username");
        let res = app
            .admin(Method::POST, "/users")
            .body("{")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);

        let list: Value = app
            .admin(Method::GET, "/users")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        let shown: Value = app
            .admin(Method::GET, &format!("/users/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(shown["username"], "ada");

        let res = app
            .admin(Method::DELETE, &format!("/users/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let res = app
            .admin(Method::GET, &format!("/users/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        println!("admin_creates_lists_shows_and_deletes_users ran on {backend}");
    }
}

/// `PATCH /admin/users/{id}` goes through the core's rules (one issue per refused field, a taken
/// username or email named, a stale version refused, `null` clears), and the user's credentials
/// are listed without secrets and revoked one by one or all at once, their tokens refused after.
#[tokio::test]
async fn admin_edits_a_user_and_revokes_its_credentials() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.unwrap();
        app.create_user("taken").await.unwrap();
        let user = app
            .create_user_with(
                json!({"username": "edna", "email": "edna@example.com", "display_name": "Edna"}),
            )
            .await
            .unwrap();
        let id = user["id"].as_str().unwrap().to_owned();
        let patch = |body: Value| {
            app.admin(Method::PATCH, &format!("/users/{id}"))
                .json(&body)
                .send()
        };

        let res = patch(json!({"username": "bad name!", "email": "nope"}))
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{backend}");
        let body: Value = res.json().await.unwrap();
        let mut fields: Vec<_> = body["error"]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["field"].as_str().unwrap().to_owned())
            .collect();
        fields.sort();
        assert_eq!(fields, ["email", "username"], "{backend}: {body}");
        let res = patch(json!({"username": "TAKEN"})).await.unwrap();
        assert_eq!(res.status(), 409, "{backend}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["issues"][0]["field"], "username", "{body}");
        let res = patch(json!({"status": "sleeping"})).await.unwrap();
        assert_eq!(res.status(), 422, "{backend}");
        let res = patch(json!({"nickname": "x"})).await.unwrap();
        assert_eq!(res.status(), 400, "{backend}: unknown fields are refused");
        let res = patch(json!({"display_name": "Stale", "expected_version": user["version"].as_i64().unwrap() - 1}))
            .await
            .unwrap();
        assert_eq!(res.status(), 412, "{backend}");

        let res = patch(json!({"username": "edna_b", "display_name": null, "status": "active", "password": "new-password-1", "expected_version": user["version"]}))
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{backend}");
        let edited: Value = res.json().await.unwrap();
        assert_eq!(
            (
                &edited["username"],
                &edited["display_name"],
                &edited["status"],
                &edited["has_password"],
                &edited["email"]
            ),
            (
                &json!("edna_b"),
                &Value::Null,
                &json!("active"),
                &json!(true),
                &json!("edna@example.com")
            ),
            "{backend}: {edited}"
        );

        // Credentials: two sessions (one per token) and two keys, listed without secrets.
        let mut issued = Vec::new();
        for surface in ["account-profile", "me"] {
            let res = app
                .admin(Method::POST, &format!("/users/{id}/tokens"))
                .json(&json!({"surface": surface, "with_keys": true}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let body: Value = res.json().await.unwrap();
            issued.push(body["credentials"][0].clone());
        }
        let creds: Value = app
            .admin(Method::GET, &format!("/users/{id}/credentials"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = creds.to_string();
        for c in &issued {
            assert!(!text.contains(c["access_token"].as_str().unwrap()));
            assert!(!text.contains(c["api_key"].as_str().unwrap()));
        }
        let sessions = creds["sessions"].as_array().unwrap();
        let keys = creds["keys"].as_array().unwrap();
        assert_eq!((sessions.len(), keys.len()), (2, 2), "{backend}: {creds}");
        assert!(keys.iter().all(|k| k["revoked_at"].is_null()));

        let profile = |token: String| {
            app.client
                .get(app.url("/api/workspace/account/profile"))
                .bearer_auth(token)
                .send()
        };
        let token = issued[0]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(profile(token.clone()).await.unwrap().status(), 200);
        // One session revoked (the profile token's), then the other with "all".
        let profile_session = sessions
            .iter()
            .find(|s| s["surface"] == "account-profile")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .admin(Method::DELETE, &format!("/sessions/{profile_session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "{backend}");
        assert_eq!(
            profile(token).await.unwrap().status(),
            401,
            "{backend}: the token of a revoked session"
        );
        let res = app
            .admin(Method::DELETE, &format!("/sessions/{profile_session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{backend}: revoked already");
        let res = app
            .admin(Method::DELETE, "/sessions/not-a-uuid")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let res = app
            .admin(Method::DELETE, &format!("/users/{id}/sessions"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.json::<Value>().await.unwrap()["revoked"],
            1,
            "{backend}"
        );
        let key_id = keys[0]["id"].as_str().unwrap();
        let res = app
            .admin(Method::DELETE, &format!("/keys/{key_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let creds: Value = app
            .admin(Method::GET, &format!("/users/{id}/credentials"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(creds["sessions"], json!([]), "{backend}");
        let revoked: Vec<_> = creds["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["id"].as_str().unwrap() == key_id,
                    !k["revoked_at"].is_null(),
                )
            })
            .collect();
        assert!(
            revoked.iter().all(|(this, r)| this == r),
            "{backend}: {creds}"
        );

        let res = app
            .admin(Method::PATCH, "/users/00000000-0000-0000-0000-000000000000")
            .json(&json!({"display_name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{backend}");
    }
}

#[tokio::test]
async fn admin_issues_a_full_credential_set_and_resets() {
    let app = spawn_app().await;
    let id = app.create_user("grace").await.unwrap();
    let res = app
        .admin(Method::POST, &format!("/users/{id}/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let set = body["credentials"].as_array().unwrap();
    let surfaces: Vec<_> = set.iter().map(|c| c["surface"].as_str().unwrap()).collect();
    assert_eq!(
        surfaces,
        ["platform", "users-me", "account-profile", "me", "users"]
    );
    for c in set {
        assert!(c["access_token"].as_str().unwrap().split('.').count() == 3);
        assert!(c["api_key"].as_str().is_some());
    }
    assert!(
        set[1]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("ZENPROKEY_")
    );
    let uid: gateway_core::UserId = id.parse().unwrap();
    assert_eq!(
        app.state.gateway.active_sessions(uid).await.unwrap(),
        5,
        "each token counts as a session"
    );

    let res = app.admin(Method::POST, "/reset").send().await.unwrap();
    assert_eq!(res.status(), 204);
    let list: Value = app
        .admin(Method::GET, "/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn admin_manages_keys_teams_and_fault_rules() {
    let app = spawn_app().await;
    let id = app.create_user("hopper").await.unwrap();
    let key: Value = app
        .admin(Method::POST, &format!("/users/{id}/keys"))
        .json(&json!({"surface": "platform", "label": "ci"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(key["key"].as_str().unwrap().starts_with("dn_"));
    let res = app
        .admin(Method::POST, &format!("/users/{id}/keys"))
        .json(&json!({"surface": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = app
        .admin(
            Method::DELETE,
            &format!("/keys/{}", key["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let team: Value = app
        .admin(Method::POST, "/teams")
        .json(&json!({"display_name": "Core"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = app
        .admin(
            Method::POST,
            &format!("/teams/{}/members", team["id"].as_str().unwrap()),
        )
        .json(&json!({"user_id": id, "role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let uid: gateway_core::UserId = id.parse().unwrap();
    assert_eq!(
        app.state.gateway.memberships(uid).await.unwrap()[0].role,
        gateway_core::TeamRole::Owner
    );

    let rule: Value = app
        .admin(Method::POST, "/faults")
        .json(&json!({"surface": "me", "status": 503, "retry_after": 1, "count": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rule["remaining"], 1);
    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"status": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a fault must be an error status");
    let rules: Value = app
        .admin(Method::GET, "/faults")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules.as_array().unwrap().len(), 1);
    let res = app
        .admin(
            Method::DELETE,
            &format!("/faults/{}", rule["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .admin(
            Method::DELETE,
            &format!("/faults/{}", rule["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

/// A minimal policy (bearer token or key of the `me` surface) to exercise the shared extractor.
struct TestPolicy;

#[derive(Debug)]
struct TestError(CoreError);

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<CoreError> for TestError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

impl ResponseError for TestError {
    fn status_code(&self) -> StatusCode {
        match self.0.kind() {
            gateway_core::ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(json!({"kind": self.0.kind().as_str()}))
    }
}

impl AuthPolicy for TestPolicy {
    type Error = TestError;
    const SURFACE: Surface = Surface::Me;
    fn presented(req: &actix_web::HttpRequest) -> Result<Option<Presented>, TestError> {
        Ok(auth::bearer(req).map(|v| {
            if auth::looks_like_key(req, Surface::Me, v) {
                Presented::ApiKey(v.to_owned())
            } else {
                Presented::Token(v.to_owned())
            }
        }))
    }
}

async fn whoami(caller: Auth<TestPolicy>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"id": caller.caller.user.id.to_string()}))
}

#[tokio::test]
async fn the_extractor_accepts_admin_issued_credentials_and_refuses_the_rest() {
    let app = spawn_app().await;
    let id = app.create_user("lovelace").await.unwrap();
    let me = app.credentials(&id, "me", true).await.unwrap();
    let other = app.credentials(&id, "platform", true).await.unwrap();
    let state = app.state.clone();
    let service = test::init_service(
        actix_web::App::new()
            .route("/whoami", web::get().to(whoami))
            .configure(|cfg| gateway_server::startup::configure_app(cfg, &state)),
    )
    .await;
    let call = |value: String| {
        test::TestRequest::get()
            .uri("/whoami")
            .insert_header(("authorization", value))
            .to_request()
    };

    let res: Value =
        test::call_and_read_body_json(&service, call(format!("Bearer {}", me.token))).await;
    assert_eq!(res["id"], id);
    let res: Value = test::call_and_read_body_json(
        &service,
        call(format!("Bearer {}", me.api_key.clone().unwrap())),
    )
    .await;
    assert_eq!(res["id"], id);

    let expired = app
        .state
        .tokens
        .issue(
            id.parse().unwrap(),
            Surface::Me,
            None,
            Some(chrono::Duration::seconds(-5)),
        )
        .unwrap()
        .token;
    for refused in [
        format!("Bearer {}", other.token),
        format!("Bearer {}", other.api_key.unwrap()),
        format!("Bearer {expired}"),
        "Bearer garbage".to_owned(),
        "Basic Zm9vOmJhcg==".to_owned(),
    ] {
        let res = test::call_service(&service, call(refused.clone())).await;
        assert_eq!(res.status(), 401, "{refused}");
    }
    let res = test::call_service(
        &service,
        test::TestRequest::get().uri("/whoami").to_request(),
    )
    .await;
    assert_eq!(res.status(), 401, "no credential");

    app.state
        .gateway
        .delete_user(id.parse().unwrap())
        .await
        .unwrap();
    let res = test::call_service(&service, call(format!("Bearer {}", me.token))).await;
    assert_eq!(res.status(), 401, "token of a deleted user");
}
