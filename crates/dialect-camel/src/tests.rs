//! In-process tests of the dialect: the routes mounted on a fresh SQLite store, called with
//! `actix_web::test`. The end-to-end scenarios of the spec live in `tests/api/camel.rs`.

use gateway_http::Dialect as _;
use std::sync::Arc;

use actix_web::{
    App,
    http::{StatusCode, header},
    test::{self, TestRequest},
    web::Data,
};
use chrono::Duration;
use gateway_core::{
    Gateway, IdempotencyKey, IdempotencyRecord, IdempotencyStore, NewUser, StoredResponse, Surface,
    User, UserKind, UserPatch, UserStatus, credentials::sha256_hex,
};
use gateway_http::{HttpLimits, Tokens, faults::Faults};
use gateway_storage::{DieselStore, PoolOptions};
use insta::{assert_json_snapshot, dynamic_redaction};
use serde_json::{Value, json};

struct Env {
    gateway: Gateway,
    store: Arc<DieselStore>,
    tokens: Tokens,
    faults: Faults,
    _dir: tempfile::TempDir,
}

/// The dialect mounted with the shared state of `env`.
macro_rules! service {
    ($env:expr) => {
        test::init_service(
            App::new()
                .app_data(Data::new($env.gateway.clone()))
                .app_data(Data::new($env.tokens.clone()))
                .app_data(Data::new(HttpLimits::default()))
                .app_data(Data::new($env.faults.clone()))
                .configure(|cfg| crate::DIALECT.configure(cfg)),
        )
        .await
    };
}

/// Sends a request; returns status, headers and the JSON body (`null` when empty).
macro_rules! call {
    ($app:expr, $req:expr $(,)?) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, headers, body)
    }};
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db").display());
        let store = Arc::new(DieselStore::open(&url, &PoolOptions::default()).unwrap());
        Self {
            gateway: Gateway::new(store.clone()),
            store,
            tokens: Tokens::new(
                b"0123456789abcdef0123456789abcdef",
                "camel-test",
                Duration::minutes(5),
            ),
            faults: Faults::default(),
            _dir: dir,
        }
    }

    async fn user(&self, username: &str, kind: UserKind, status: UserStatus) -> (User, String) {
        let mut new = NewUser::regular(username);
        new.fields.email = Some(Some(format!("{username}@example.com")));
        new.fields.email_verified = Some(true);
        new.kind = kind;
        new.fields.status = Some(status);
        let user = self.gateway.create_user(new).await.unwrap().value;
        let session = self
            .gateway
            .open_session(user.id, Surface::Me, Duration::minutes(5))
            .await
            .unwrap();
        let token = self
            .tokens
            .issue(user.id, Surface::Me, Some(session.session.id), None)
            .unwrap()
            .token;
        (user, token)
    }
}

fn patch(token: &str, body: &Value) -> TestRequest {
    TestRequest::patch()
        .uri("/me")
        .insert_header(("authorization", format!("Bearer {token}")))
        .set_json(body)
}

/// Redacts a timestamp after checking its format (RFC 3339, milliseconds, `Z`).
fn ts() -> insta::internals::Redaction {
    dynamic_redaction(|value, _| {
        let text = value.as_str().expect("timestamp is a string").to_owned();
        assert_eq!(text.len(), 24, "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(&text).is_ok(),
            "{text}"
        );
        "[timestamp]"
    })
}

#[actix_web::test]
async fn get_me_shows_every_field_the_core_has() {
    let env = Env::new();
    let app = service!(env);
    let (user, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    env.gateway
        .update_user(
            user.id,
            UserPatch {
                display_name: Some(Some("Jane Doe".into())),
                bio: Some(Some("Hi".into())),
                avatar_url: Some(Some("https://example.com/jane.png".into())),
                locale: Some(Some("nl-NL".into())),
                timezone: Some(Some("Europe/Amsterdam".into())),
                phone_number: Some(Some("+31201234567".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, headers, body) = call!(
        app,
        TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {token}"))),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json; charset=utf-8"
    );
    assert_eq!(body["id"], user.id.to_string());
    assert_eq!(body["emails"][0]["userId"], user.id.to_string());
    assert_json_snapshot!("get_me_full", body, {
        ".id" => "[user id]",
        ".createdAt" => ts(), ".updatedAt" => ts(),
        ".emails[].id" => "[derived id]", ".emails[].userId" => "[user id]",
        ".emails[].createdAt" => ts(), ".emails[].updatedAt" => ts(),
        ".phoneNumbers[].id" => "[derived id]", ".phoneNumbers[].userId" => "[user id]",
        ".phoneNumbers[].createdAt" => ts(), ".phoneNumbers[].updatedAt" => ts(),
    });
}

#[actix_web::test]
async fn identities_come_from_the_oauth_account() {
    let env = Env::new();
    let app = service!(env);
    let mut new = NewUser::regular("octo");
    new.oauth = Some(("github".into(), "583231".into()));
    let user = env.gateway.create_user(new).await.unwrap().value;
    let token = env
        .tokens
        .issue(user.id, Surface::Me, None, None)
        .unwrap()
        .token;
    let (status, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {token}"))),
    );
    assert_eq!(status, StatusCode::OK);
    assert_json_snapshot!("get_me_oauth_no_email", body, {
        ".id" => "[user id]", ".createdAt" => ts(), ".updatedAt" => ts(),
        ".identities[].createdAt" => ts(), ".identities[].updatedAt" => ts(),
    });
}

#[actix_web::test]
async fn patch_validates_every_field_in_one_answer() {
    let env = Env::new();
    let app = service!(env);
    let (_, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let (status, _, body) = call!(
        app,
        patch(
            &token,
            &json!({"name": "", "bio": "b".repeat(1025), "avatarUrl": "ftp://example.com/a.png",
                    "locale": 5, "id": "x", "nickname": "y"}),
        ),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_json_snapshot!("patch_many_errors", body);

    // Locale and time zone are checked by the core, after the dialect's own rules pass.
    let (status, _, body) = call!(
        app,
        patch(
            &token,
            &json!({"locale": "english_US", "timezone": "Mars/Olympus"})
        )
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_json_snapshot!("patch_core_errors", body);
}

#[actix_web::test]
async fn patch_normalises_the_locale_and_clears_with_null() {
    let env = Env::new();
    let app = service!(env);
    let (_, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let (status, _, body) = call!(
        app,
        patch(
            &token,
            &json!({"locale": "en-us", "bio": "x", "avatarUrl": "http://a.example/p.png"})
        ),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["locale"], "en-US");
    assert_eq!(body["bio"], "x");
    let (status, _, body) = call!(
        app,
        patch(
            &token,
            &json!({"locale": null, "bio": null, "avatarUrl": null})
        )
    );
    assert_eq!(status, StatusCode::OK);
    for field in ["locale", "bio", "avatarUrl", "timezone"] {
        assert!(
            body.get(field).is_none(),
            "{field} is still present: {body}"
        );
    }
}

#[actix_web::test]
async fn banned_and_service_accounts_are_refused() {
    let env = Env::new();
    let app = service!(env);
    let (_, banned) = env
        .user("banned", UserKind::Regular, UserStatus::Banned)
        .await;
    let (status, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {banned}"))),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_json_snapshot!("banned_403", body);

    let (_, robot) = env
        .user("robot", UserKind::ServiceAccount, UserStatus::Active)
        .await;
    let (status, _, _) = call!(
        app,
        TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {robot}"))),
    );
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = call!(app, patch(&robot, &json!({"name": "x"})));
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "permission_error");
    let (status, _, _) = call!(
        app,
        TestRequest::delete()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {robot}"))),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn idempotency_key_replays_and_refuses_other_bodies() {
    let env = Env::new();
    let app = service!(env);
    let (user, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let with_key = |body: &Value| patch(&token, body).insert_header(("idempotency-key", "key-1"));
    let first = test::call_service(
        &app,
        with_key(&json!({"name": "A", "bio": "b"})).to_request(),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = test::read_body(first).await;
    let version = env.gateway.user(user.id).await.unwrap().version;

    // Same body, other key order and spacing: replayed byte for byte, nothing written.
    let again = test::call_service(
        &app,
        TestRequest::patch()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("idempotency-key", "key-1"))
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(r#"{ "bio": "b", "name": "A" }"#)
            .to_request(),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(test::read_body(again).await, first);
    assert_eq!(env.gateway.user(user.id).await.unwrap().version, version);

    let (status, _, body) = call!(app, with_key(&json!({"name": "B"})));
    assert_eq!(status, StatusCode::CONFLICT);
    assert_json_snapshot!("idempotency_key_reused", body);

    // A rejected request stores nothing: the key runs again with a valid body.
    let (status, _, _) = call!(
        app,
        patch(&token, &json!({"locale": "x_y"})).insert_header(("idempotency-key", "key-2")),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, body) = call!(
        app,
        patch(&token, &json!({"locale": "de"})).insert_header(("idempotency-key", "key-2")),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["locale"], "de");

    let (status, _, body) = call!(
        app,
        patch(&token, &json!({"name": "C"})).insert_header(("idempotency-key", "x".repeat(256))),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_json_snapshot!("idempotency_key_invalid", body);
}

/// Stores a claim on `key` for `user` with the fingerprint of `body`, `age` ago.
async fn claim(env: &Env, user: &User, key: &str, body: &Value, age: Duration, done: bool) {
    let record = IdempotencyRecord {
        id: IdempotencyKey {
            user_id: user.id,
            scope: crate::idempotency::PATCH_ME_SCOPE.to_owned(),
            key: key.to_owned(),
        },
        fingerprint: sha256_hex(&crate::wire::canonical_json(body)),
        created_at: gateway_core::service::now() - age,
        response: done.then(|| StoredResponse {
            status: 200,
            body: r#"{"stale":true}"#.into(),
        }),
    };
    assert!(env.store.insert_idempotency_record(&record).await.unwrap());
}

#[actix_web::test]
async fn idempotency_claims_in_flight_abandoned_and_expired() {
    let env = Env::new();
    let app = service!(env);
    let (user, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let body = json!({"name": "A"});
    let send = |key: &str| patch(&token, &body).insert_header(("idempotency-key", key.to_owned()));

    // The first request with this key is still running (claimed a moment ago): 409, no write.
    claim(&env, &user, "running", &body, Duration::seconds(1), false).await;
    let (status, _, answer) = call!(app, send("running"));
    assert_eq!(status, StatusCode::CONFLICT);
    assert_json_snapshot!("idempotency_key_in_use", answer);
    assert_eq!(
        env.gateway
            .user(user.id)
            .await
            .unwrap()
            .profile
            .display_name,
        None
    );

    // A claim nobody completed within the timeout is taken over; the request runs.
    claim(
        &env,
        &user,
        "abandoned",
        &body,
        Duration::seconds(61),
        false,
    )
    .await;
    let (status, headers, answer) = call!(app, send("abandoned"));
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("idempotent-replayed").is_none());
    assert_eq!(answer["name"], "A");

    // After 24 hours a key is forgotten, whatever it was used for.
    claim(
        &env,
        &user,
        "expired",
        &json!({"name": "other"}),
        Duration::hours(25),
        true,
    )
    .await;
    let (status, headers, answer) = call!(app, send("expired"));
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("idempotent-replayed").is_none());
    assert_eq!(answer["name"], "A");
    // ... but not a minute before.
    claim(&env, &user, "fresh", &body, Duration::hours(23), true).await;
    let (status, headers, answer) = call!(app, send("fresh"));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(answer, json!({"stale": true}));
}

#[actix_web::test]
async fn keys_are_per_user() {
    let env = Env::new();
    let app = service!(env);
    let (_, a) = env.user("a", UserKind::Regular, UserStatus::Active).await;
    let (_, b) = env.user("b", UserKind::Regular, UserStatus::Active).await;
    for (token, name) in [(&a, "A"), (&b, "B")] {
        let (status, _, body) = call!(
            app,
            patch(token, &json!({"name": name})).insert_header(("idempotency-key", "shared")),
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["name"], name);
    }
}

#[actix_web::test]
async fn credentials_schemes() {
    let env = Env::new();
    let app = service!(env);
    let (user, _) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let (_, key) = env
        .gateway
        .issue_api_key(user.id, Surface::Me, None)
        .await
        .unwrap();
    for value in [
        format!("Bearer {}", key.text),
        format!("AccessKey {}", key.text),
    ] {
        let (status, _, body) = call!(
            app,
            TestRequest::get()
                .uri("/me")
                .insert_header(("authorization", value))
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["id"], user.id.to_string());
    }
    let foreign = env
        .gateway
        .issue_api_key(user.id, Surface::Platform, None)
        .await
        .unwrap()
        .1;
    for value in [
        "Basic amFuZTpwYXNz".to_owned(),
        format!("AccessKey {}", foreign.text),
        "AccessKey not-a-key".to_owned(),
        "Bearer".to_owned(),
        "Bearer not.a.jwt".to_owned(),
    ] {
        let (status, headers, body) = call!(
            app,
            TestRequest::get()
                .uri("/me")
                .insert_header(("authorization", value.clone()))
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{value}");
        assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        assert_eq!(body["code"], "Unauthorized");
    }
}

#[actix_web::test]
async fn framework_rejections_use_the_envelope() {
    let env = Env::new();
    let app = service!(env);
    let (_, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    let auth = ("authorization", format!("Bearer {token}"));

    let (status, headers, body) = call!(
        app,
        TestRequest::put().uri("/me").insert_header(auth.clone())
    );
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers.get(header::ALLOW).unwrap(), "GET, PATCH, DELETE");
    assert_json_snapshot!("put_405", body);

    let malformed = TestRequest::patch()
        .uri("/me")
        .insert_header(auth.clone())
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(r#"{"name":"#);
    let (status, _, body) = call!(app, malformed);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_json_snapshot!("malformed_400", body);

    let text = TestRequest::patch()
        .uri("/me")
        .insert_header(auth.clone())
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload(r#"{"name":"x"}"#);
    let (status, _, body) = call!(app, text);
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], "UnsupportedMediaType");

    let big = json!({"bio": "x".repeat(64 * 1024)});
    let (status, _, body) = call!(app, patch(&token, &big));
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_json_snapshot!("too_large_413", body);

    let (status, _, body) = call!(app, patch(&token, &json!(["name"])));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["details"],
        json!([{"param": "body", "message": "must be a JSON object"}])
    );
}

#[actix_web::test]
async fn faults_render_in_the_envelope() {
    let env = Env::new();
    let app = service!(env);
    let (_, token) = env
        .user("jane", UserKind::Regular, UserStatus::Active)
        .await;
    env.faults
        .add(
            serde_json::from_value(
                json!({"surface": "me", "status": 503, "retry_after": 2, "count": 1}),
            )
            .unwrap(),
        )
        .unwrap();
    let get = || {
        TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", format!("Bearer {token}")))
    };
    let (status, headers, body) = call!(app, get());
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "2");
    assert_json_snapshot!("fault_503", body);
    let (status, _, _) = call!(app, get());
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn fallback_claims_me_and_below_only() {
    static REGISTRY: gateway_http::Registry = gateway_http::Registry(&[&crate::DIALECT]);
    let claims = |p: &str| REGISTRY.surface_of(p).is_some();
    assert!(claims("/me"));
    assert!(claims("/me/"));
    assert!(claims("/me/emails"));
    assert!(!claims("/members"));
    assert!(!claims("/users/me"));
    assert!(!claims("/"));
}

#[test]
fn openapi_document() {
    let docs = crate::DIALECT.openapi();
    assert_eq!(docs.len(), 1);
    let (name, doc) = &docs[0];
    assert_eq!(*name, "me");
    assert_json_snapshot!("openapi_me", doc);
}
