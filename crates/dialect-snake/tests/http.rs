//! In-process tests of the snake dialect (actix `init_service` on a fresh SQLite store): the
//! OpenAPI documents, the runtime body limit, the fallbacks, fault rendering and the `policy`
//! rules that the end-to-end suite (tests/api/snake.rs) does not reach.

#![expect(clippy::unwrap_used, reason = "test code")]

use std::sync::Arc;

use actix_web::{
    App, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::{StatusCode, header},
    test::{TestRequest, call_service, init_service, read_body},
    web::{self, Data},
};
use gateway_core::{Gateway, NewUser, Surface, UserKind, UserPatch};
use gateway_http::{
    Dialect as _, HttpLimits, Tokens,
    faults::{FaultSpec, Faults},
};
use gateway_storage::DieselStore;
use serde_json::{Value, json};

struct Ctx {
    gateway: Gateway,
    tokens: Tokens,
    faults: Faults,
    _dir: tempfile::TempDir,
}

fn ctx() -> Ctx {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let store = DieselStore::open(&url, &Default::default()).unwrap();
    Ctx {
        gateway: Gateway::new(Arc::new(store)),
        tokens: Tokens::new(
            b"0123456789abcdef0123456789abcdef",
            "test",
            chrono::Duration::hours(1),
        ),
        faults: Faults::default(),
        _dir: dir,
    }
}

async fn fallback(req: HttpRequest) -> HttpResponse {
    static REGISTRY: gateway_http::Registry = gateway_http::Registry(&[&dialect_snake::DIALECT]);
    REGISTRY
        .not_found(&req)
        .unwrap_or_else(|| HttpResponse::NotFound().finish())
}

async fn service(
    c: &Ctx,
    limits: Option<HttpLimits>,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    let mut app = App::new()
        .app_data(Data::new(c.gateway.clone()))
        .app_data(Data::new(c.tokens.clone()))
        .app_data(Data::new(c.faults.clone()));
    if let Some(limits) = limits {
        app = app.app_data(Data::new(limits));
    }
    init_service(
        app.configure(|cfg| dialect_snake::DIALECT.configure(cfg))
            .default_service(web::to(fallback)),
    )
    .await
}

async fn user(c: &Ctx, new: NewUser) -> (gateway_core::User, String, String) {
    let user = c.gateway.create_user(new).await.unwrap().value;
    let platform = c
        .gateway
        .issue_api_key(user.id, Surface::Platform, None)
        .await
        .unwrap()
        .1
        .text;
    let users_me = c
        .tokens
        .issue(user.id, Surface::UsersMe, None, None)
        .unwrap()
        .token;
    (user, platform, users_me)
}

async fn call(
    svc: &impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    req: TestRequest,
) -> (StatusCode, header::HeaderMap, Value) {
    let res = call_service(svc, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = read_body(res).await;
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn openapi_documents_are_stable() {
    let docs = dialect_snake::DIALECT.openapi();
    let names: Vec<_> = docs.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["platform", "users-me"]);
    for (name, doc) in docs {
        insta::assert_json_snapshot!(format!("openapi_{name}"), doc);
    }
}

#[actix_web::test]
async fn the_body_limit_comes_from_http_limits_at_request_time() {
    let c = ctx();
    let (_, key, token) = user(&c, NewUser::regular("jane")).await;
    let svc = service(&c, Some(HttpLimits { body_limit: 32 })).await;
    let big = json!({"username": "a".repeat(40)});
    let (status, _, body) = call(
        &svc,
        TestRequest::post()
            .uri("/api/v1/user/username")
            .insert_header(("x-api-key", key))
            .set_json(&big),
    )
    .await;
    assert_eq!(status, 413);
    insta::assert_json_snapshot!("platform_413_small_limit", body);
    let (status, _, body) = call(
        &svc,
        TestRequest::patch()
            .uri("/users/me")
            .insert_header(("authorization", format!("Bearer {token}")))
            .set_json(json!({"name": "x".repeat(40)})),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(
        body,
        json!({"detail": ["ValueError", "the request body is larger than 32 bytes"]})
    );
}

#[actix_web::test]
async fn without_http_limits_the_default_64_kib_applies() {
    let c = ctx();
    let (_, key, _) = user(&c, NewUser::regular("jane")).await;
    let svc = service(&c, None).await;
    let ok = json!({"username": "jane_doe", "pad": "a".repeat(60 * 1024)});
    let (status, _, _) = call(
        &svc,
        TestRequest::post()
            .uri("/api/v1/user/username")
            .insert_header(("x-api-key", key.clone()))
            .set_json(&ok),
    )
    .await;
    assert_eq!(status, 200);
    let big = json!({"username": "jane_doe", "pad": "a".repeat(65 * 1024)});
    let (status, _, body) = call(
        &svc,
        TestRequest::post()
            .uri("/api/v1/user/username")
            .insert_header(("x-api-key", key))
            .set_json(&big),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (413, Some("payload_too_large_error"))
    );
}

#[actix_web::test]
async fn credential_errors_win_over_body_errors() {
    let c = ctx();
    let svc = service(&c, None).await;
    let (status, _, body) = call(
        &svc,
        TestRequest::post()
            .uri("/api/v1/user/username")
            .insert_header(("content-type", "text/plain"))
            .set_payload("x"),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (401, Some("authentication_error"))
    );
    let (status, headers, body) = call(
        &svc,
        TestRequest::patch()
            .uri("/users/me")
            .insert_header(("content-type", "application/json"))
            .set_payload("{"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"][0], "CredentialsNotValid");
    assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
}

#[actix_web::test]
async fn wrong_methods_name_the_allowed_ones() {
    let c = ctx();
    let svc = service(&c, None).await;
    for (req, allow) in [
        (TestRequest::post().uri("/api/v1/user"), "GET"),
        (TestRequest::get().uri("/api/v1/user/username"), "POST"),
        (TestRequest::get().uri("/auth/login"), "POST"),
        (TestRequest::put().uri("/users/me"), "GET, PATCH"),
    ] {
        let (status, headers, _) = call(&svc, req).await;
        assert_eq!(status, 405);
        assert_eq!(headers.get(header::ALLOW).unwrap(), allow);
    }
}

#[actix_web::test]
async fn unmatched_paths_get_their_surface_404() {
    let c = ctx();
    let svc = service(&c, None).await;
    let (status, _, body) = call(&svc, TestRequest::get().uri("/api/v1/user/teams")).await;
    assert_eq!(status, 404);
    insta::assert_json_snapshot!("platform_404", body);
    let (status, _, body) = call(&svc, TestRequest::get().uri("/users/someone")).await;
    assert_eq!(status, 404);
    insta::assert_json_snapshot!("users_me_404", body);
    let (status, _, body) = call(&svc, TestRequest::get().uri("/auth/logout")).await;
    assert_eq!(
        (status.as_u16(), &body["detail"][0]),
        (404, &json!("KeyError"))
    );
}

#[actix_web::test]
async fn faults_render_in_each_envelope_with_the_class_of_their_status() {
    let c = ctx();
    let (_, key, token) = user(&c, NewUser::regular("jane")).await;
    let spec = |surface: &str, status: u16, retry_after: Option<u32>| FaultSpec {
        surface: Some(surface.into()),
        status: Some(status),
        retry_after,
        message: Some("injected".into()),
        count: Some(1),
        ..FaultSpec::default()
    };
    let svc = service(&c, None).await;

    c.faults.add(spec("platform", 426, None)).unwrap();
    let (status, headers, body) = call(
        &svc,
        TestRequest::get()
            .uri("/api/v1/user")
            .insert_header(("x-api-key", key.clone())),
    )
    .await;
    assert_eq!(status, 426);
    assert!(headers.get(header::RETRY_AFTER).is_none());
    assert_eq!(
        body,
        json!({"code": 426, "detail": "injected", "type": "upgrade_required_error"})
    );

    c.faults.add(spec("platform", 503, Some(30))).unwrap();
    let (status, headers, body) = call(
        &svc,
        TestRequest::get()
            .uri("/api/v1/user")
            .insert_header(("x-api-key", key)),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "30");
    assert_eq!(body["type"], "service_unavailable_error");

    c.faults.add(spec("users-me", 503, None)).unwrap();
    let (status, _, body) = call(
        &svc,
        TestRequest::get()
            .uri("/users/me")
            .insert_header(("authorization", format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (503, json!({"detail": ["RuntimeError", "injected"]}))
    );

    c.faults.add(spec("users-me", 429, None)).unwrap();
    let (status, headers, body) = call(&svc, TestRequest::post().uri("/auth/login")).await;
    assert_eq!(
        (status.as_u16(), &body["detail"][0]),
        (429, &json!("RuntimeError"))
    );
    assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "1");
}

#[actix_web::test]
async fn disabled_accounts_are_refused_on_both_surfaces() {
    let c = ctx();
    let (jane, key, token) = user(&c, NewUser::regular("jane")).await;
    c.gateway
        .update_user(
            jane.id,
            UserPatch {
                is_active: Some(false),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let svc = service(&c, None).await;
    let (status, _, body) = call(
        &svc,
        TestRequest::get()
            .uri("/api/v1/user")
            .insert_header(("x-api-key", key)),
    )
    .await;
    assert_eq!(status, 403);
    insta::assert_json_snapshot!("platform_403_disabled", body);
    let (status, headers, body) = call(
        &svc,
        TestRequest::get()
            .uri("/users/me")
            .insert_header(("authorization", format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    insta::assert_json_snapshot!("users_me_401_disabled", body);

    let zen_key = c
        .gateway
        .issue_api_key(jane.id, Surface::UsersMe, None)
        .await
        .unwrap()
        .1
        .text;
    let (status, _, _) = call(
        &svc,
        TestRequest::post()
            .uri("/auth/login")
            .set_form([("password", zen_key)]),
    )
    .await;
    assert_eq!(status, 401);
}

fn patch_me(token: &str, body: Value) -> TestRequest {
    TestRequest::patch()
        .uri("/users/me")
        .insert_header(("authorization", format!("Bearer {token}")))
        .set_json(body)
}

#[actix_web::test]
async fn service_accounts_and_the_admin_cannot_patch_themselves() {
    let c = ctx();
    let svc = service(&c, None).await;
    for (username, kind) in [
        ("robot", UserKind::ServiceAccount),
        ("admin", UserKind::Admin),
    ] {
        let (_, _, token) = user(
            &c,
            NewUser {
                kind,
                ..NewUser::regular(username)
            },
        )
        .await;
        let (status, _, body) = call(&svc, patch_me(&token, json!({"name": "New"}))).await;
        assert_eq!(status, 400, "{username}");
        insta::assert_json_snapshot!(format!("users_me_400_{username}"), body);
    }
}

#[actix_web::test]
async fn superusers_may_change_privileged_fields_and_everyone_may_resend_them() {
    let c = ctx();
    let svc = service(&c, None).await;
    let (_, _, plain) = user(&c, NewUser::regular("plain")).await;
    // Current values are not changes.
    let (status, _, body) = call(
        &svc,
        patch_me(
            &plain,
            json!({"is_superuser": false, "is_active": true, "password_expired": null}),
        ),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["is_superuser"]),
        (200, &json!(false))
    );
    for field in [
        json!({"is_active": false}),
        json!({"password_expired": true}),
    ] {
        let (status, _, body) = call(&svc, patch_me(&plain, field.clone())).await;
        assert_eq!(
            (status.as_u16(), &body["detail"][0]),
            (403, &json!("IllegalOperationError")),
            "{field}"
        );
    }

    let (_, _, root) = user(&c, {
        let mut root = NewUser::regular("root");
        root.fields.is_superuser = Some(true);
        root
    })
    .await;
    let (status, _, body) = call(
        &svc,
        patch_me(
            &root,
            json!({"password_expired": true, "is_onboarded": true}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["password_expired"], &body["is_onboarded"]),
        (&json!(true), &json!(true))
    );
}

#[actix_web::test]
async fn service_accounts_show_their_organization() {
    let c = ctx();
    let org = uuid::Uuid::new_v4();
    let (_, _, token) = user(
        &c,
        NewUser {
            kind: UserKind::ServiceAccount,
            organization_id: Some(org),
            ..NewUser::regular("robot")
        },
    )
    .await;
    let svc = service(&c, None).await;
    let (status, _, body) = call(
        &svc,
        TestRequest::get()
            .uri("/users/me")
            .insert_header(("authorization", format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["is_service_account"], true);
    assert_eq!(body["organization_id"], org.to_string());
}

#[actix_web::test]
async fn non_object_bodies_are_validation_errors() {
    let c = ctx();
    let (_, key, token) = user(&c, NewUser::regular("jane")).await;
    let svc = service(&c, None).await;
    let (status, _, body) = call(
        &svc,
        TestRequest::post()
            .uri("/api/v1/user/username")
            .insert_header(("x-api-key", key))
            .set_json(json!(["jane"])),
    )
    .await;
    assert_eq!(status, 422);
    insta::assert_json_snapshot!("platform_422_array_body", body);
    let (status, _, body) = call(&svc, patch_me(&token, json!("jane"))).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": ["ValueError", "the request body must be a JSON object"]})
    );
}
