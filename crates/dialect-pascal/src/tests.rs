//! In-process tests of the wire shapes: the dialect mounted on an actix test service with a fresh
//! SQLite store, every success and error body snapshotted.

use gateway_http::Dialect as _;
use std::sync::Arc;

use actix_web::{
    App, HttpRequest, HttpResponse,
    body::to_bytes,
    dev::{Service, ServiceResponse},
    http::{StatusCode, header},
    test::{self, TestRequest},
    web::{self, Data},
};
use chrono::Duration;
use gateway_core::{Gateway, NewUser, Surface, UserId, UserKind};
use gateway_http::{
    HttpLimits, Tokens,
    faults::{FaultSpec, Faults},
};
use serde_json::{Value, json};
use utoipa::OpenApi as _;

use crate::{routes::PROFILE_PATH, wire::NAME_MAX};

struct Harness {
    gateway: Gateway,
    tokens: Tokens,
    faults: Faults,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("db").display());
        let store =
            gateway_storage::DieselStore::open(&url, &Default::default()).expect("open store");
        Self {
            gateway: Gateway::new(Arc::new(store)),
            tokens: Tokens::new(
                b"0123456789abcdef0123456789abcdef",
                "test",
                Duration::minutes(5),
            ),
            faults: Faults::default(),
            _dir: dir,
        }
    }

    async fn app(
        &self,
    ) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>
    {
        async fn fallback(req: HttpRequest) -> HttpResponse {
            static REGISTRY: gateway_http::Registry = gateway_http::Registry(&[&crate::DIALECT]);
            REGISTRY
                .not_found(&req)
                .unwrap_or_else(|| HttpResponse::NotFound().finish())
        }
        test::init_service(
            App::new()
                .app_data(Data::new(self.gateway.clone()))
                .app_data(Data::new(self.tokens.clone()))
                .app_data(Data::new(HttpLimits::default()))
                .app_data(Data::new(self.faults.clone()))
                .configure(|cfg| crate::DIALECT.configure(cfg))
                .default_service(web::to(fallback)),
        )
        .await
    }

    async fn user(&self, username: &str, kind: UserKind) -> UserId {
        let mut new = NewUser::regular(username);
        new.fields.email = Some(Some(format!("{username}@example.com")));
        new.fields.first_name = Some(Some("First".into()));
        new.fields.last_name = Some(Some("Last".into()));
        new.kind = kind;
        self.gateway
            .create_user(new)
            .await
            .expect("create user")
            .value
            .id
    }

    fn token(&self, id: UserId) -> String {
        self.tokens
            .issue(id, Surface::AccountProfile, None, None)
            .expect("issue token")
            .token
    }
}

async fn call(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    req: TestRequest,
) -> (StatusCode, header::HeaderMap, Value) {
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = to_bytes(res.into_body()).await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

fn content_type(headers: &header::HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn put(token: &str, body: Value) -> TestRequest {
    TestRequest::put()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .set_json(body)
}

#[actix_web::test]
async fn get_answers_the_profile_in_the_envelope() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let req = TestRequest::get()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", h.token(id))));
    let (status, headers, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "application/json; charset=utf-8");
    assert_eq!(body["Data"]["UserId"], id.to_string());
    insta::assert_json_snapshot!(body, { ".Data.UserId" => "[user id]" });
}

#[actix_web::test]
async fn user_types_follow_the_account_kind() {
    let h = Harness::new();
    let app = h.app().await;
    for (name, kind, expected) in [
        ("reg", UserKind::Regular, 0),
        ("adm", UserKind::Admin, 1),
        ("svc", UserKind::ServiceAccount, 2),
    ] {
        let id = h.user(name, kind).await;
        let req = TestRequest::get().uri(&format!("{PROFILE_PATH}?access_token={}", h.token(id)));
        let (status, _, body) = call(&app, req).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(body["Data"]["UserType"], expected, "{name}");
    }
}

#[actix_web::test]
async fn put_reports_every_normalisation_as_a_warning() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let (status, _, body) = call(
        &app,
        put(
            &h.token(id),
            json!({"UserName": " ada_l ", "Email": "Ada@Example.COM", "FirstName": " Ada", "LastName": "Lovelace"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Data"]["UserName"], "ada_l");
    assert_eq!(body["Data"]["Email"], "ada@example.com");
    assert_eq!(body["Data"]["FirstName"], "Ada");
    let fields: Vec<&str> = body["Warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["Field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["UserName", "Email", "FirstName"],
        "in the documented property order"
    );
    assert!(
        body["Warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|w| w["Severity"] == 1)
    );
    insta::assert_json_snapshot!(body, { ".Data.UserId" => "[user id]" });
}

#[actix_web::test]
async fn a_clean_put_has_null_warnings() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let (status, _, body) = call(&app, put(&h.token(id), json!({"FirstName": "Ada"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Warnings"], Value::Null);
    assert_eq!(body["Errors"], Value::Null);
    assert_eq!(body["Success"], true);
}

#[actix_web::test]
async fn credential_failures_are_problem_details() {
    let h = Harness::new();
    let app = h.app().await;
    let (status, headers, body) = call(&app, TestRequest::get().uri(PROFILE_PATH)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers.get(header::WWW_AUTHENTICATE).map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    assert_eq!(content_type(&headers), "application/json; charset=utf-8");
    insta::assert_json_snapshot!("missing_token", body, { ".traceId" => "[request id]" });

    let expired = h
        .tokens
        .issue(
            UserId::new(),
            Surface::AccountProfile,
            None,
            Some(Duration::seconds(-5)),
        )
        .expect("issue")
        .token;
    let req = TestRequest::get()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {expired}")));
    let (status, headers, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    insta::assert_json_snapshot!("expired_token", body, { ".traceId" => "[request id]" });
}

#[actix_web::test]
async fn service_account_keys_are_forbidden_and_other_keys_work() {
    let h = Harness::new();
    let app = h.app().await;
    let svc = h.user("robot", UserKind::ServiceAccount).await;
    let (_, key) = h
        .gateway
        .issue_api_key(svc, Surface::AccountProfile, None)
        .await
        .expect("key");
    let req = TestRequest::get()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", key.text)));
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!("service_account_key", body, { ".traceId" => "[request id]" });

    let person = h.user("ada", UserKind::Regular).await;
    let (_, key) = h
        .gateway
        .issue_api_key(person, Surface::AccountProfile, None)
        .await
        .expect("key");
    let req = TestRequest::get().uri(&format!("{PROFILE_PATH}?access_token={}", key.text));
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Data"]["UserName"], "ada");
}

#[actix_web::test]
async fn a_deleted_user_is_the_not_found_envelope() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("gone", UserKind::Regular).await;
    let token = h.token(id);
    h.gateway.delete_user(id).await.expect("delete");
    let req = TestRequest::get()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!(body);
}

#[actix_web::test]
async fn body_errors_are_envelopes_naming_the_property() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let token = h.token(id);
    let long = "x".repeat(NAME_MAX + 1);
    let cases = [
        ("too_long", json!({"FirstName": long, "LastName": long})),
        ("bad_email", json!({"Email": "not-an-email"})),
        ("empty_username", json!({"UserName": ""})),
        ("bad_username", json!({"UserName": "no spaces allowed"})),
        ("wrong_type", json!({"FirstName": 42})),
        ("not_an_object", json!(["FirstName"])),
    ];
    for (name, payload) in cases {
        let (status, _, body) = call(&app, put(&token, payload)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(body["Success"], false, "{name}");
        insta::assert_json_snapshot!(name, body);
    }
    let req = TestRequest::put()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(r#"{"FirstName":"#);
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!("invalid_json", body);
    // Nothing was written by any refused request.
    let user = h.gateway.user(id).await.expect("user");
    assert_eq!(
        (
            user.identity.username.as_str(),
            user.profile.first_name.as_deref()
        ),
        ("ada", Some("First"))
    );
}

#[actix_web::test]
async fn a_taken_username_is_a_duplicate() {
    let h = Harness::new();
    let app = h.app().await;
    h.user("taken", UserKind::Regular).await;
    let id = h.user("ada", UserKind::Regular).await;
    let (status, _, body) = call(&app, put(&h.token(id), json!({"UserName": "taken"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(body);
}

#[actix_web::test]
async fn protocol_errors_are_problem_details() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let token = h.token(id);

    let (status, headers, body) = call(&app, TestRequest::delete().uri(PROFILE_PATH)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        headers.get(header::ALLOW).map(|v| v.as_bytes()),
        Some(&b"GET, PUT"[..])
    );
    insta::assert_json_snapshot!("method_not_allowed", body, { ".traceId" => "[request id]" });

    let req = TestRequest::put()
        .uri(PROFILE_PATH)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload("FirstName=Ada");
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    insta::assert_json_snapshot!("unsupported_media_type", body, { ".traceId" => "[request id]" });

    let big = json!({"FirstName": "x".repeat(HttpLimits::default().body_limit)});
    let (status, _, body) = call(&app, put(&token, big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    insta::assert_json_snapshot!("payload_too_large", body, { ".traceId" => "[request id]" });

    let (status, _, body) = call(&app, TestRequest::get().uri("/api/workspace/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("unknown_route", body, { ".traceId" => "[request id]" });
}

#[actix_web::test]
async fn credentials_are_checked_before_the_body() {
    let h = Harness::new();
    let app = h.app().await;
    let req = TestRequest::put()
        .uri(PROFILE_PATH)
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload("{");
    let (status, _, _) = call(&app, req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn injected_faults_render_in_this_dialect() {
    let h = Harness::new();
    let app = h.app().await;
    let id = h.user("ada", UserKind::Regular).await;
    let token = h.token(id);
    let spec = |status: u16, retry_after: Option<u32>| FaultSpec {
        surface: Some("account-profile".into()),
        status: Some(status),
        retry_after,
        message: Some("injected".into()),
        count: Some(1),
        ..FaultSpec::default()
    };
    h.faults.add(spec(503, Some(7))).expect("add fault");
    let get = || {
        TestRequest::get()
            .uri(PROFILE_PATH)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
    };
    let (status, headers, body) = call(&app, get()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
        Some(&b"7"[..])
    );
    insta::assert_json_snapshot!("fault_503", body, { ".traceId" => "[request id]" });

    h.faults.add(spec(400, None)).expect("add fault");
    let (status, _, body) = call(&app, get()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!("fault_400", body);

    let (status, _, _) = call(&app, get()).await;
    assert_eq!(status, StatusCode::OK, "the rules fired once each");
}

#[test]
fn openapi_document() {
    let doc = serde_json::to_value(crate::ApiDoc::openapi()).expect("serialise the document");
    insta::assert_json_snapshot!(doc);
}
