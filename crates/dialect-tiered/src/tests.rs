//! In-process tests of the route table (actix `init_service` on a fresh SQLite store): the wire
//! shape of the main answers, the middleware headers, the fallback claims and the OpenAPI
//! document. The scenario suite of the spec runs end to end in `tests/api/tiered.rs`.

use gateway_http::Dialect as _;
use std::sync::Arc;

use actix_web::{
    App,
    body::MessageBody,
    dev::{Service, ServiceResponse},
    test,
    web::{self, Data},
};
use gateway_core::{Gateway, NewProject, NewUser, UserStatus};
use gateway_http::{HttpLimits, admin::AdminToken};
use serde_json::{Value, json};

const ADMIN: &str = "in-process-admin";

async fn app() -> (
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    Gateway,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let store = gateway_storage::DieselStore::open(&url, &Default::default()).unwrap();
    let gateway = Gateway::new(Arc::new(store));
    let service = test::init_service(
        App::new()
            .app_data(Data::new(gateway.clone()))
            .app_data(Data::new(HttpLimits::default()))
            .app_data(Data::new(AdminToken(ADMIN.into())))
            .configure(|cfg| crate::DIALECT.configure(cfg))
            .service(
                web::scope("/admin")
                    .wrap(actix_web::middleware::from_fn(gateway_http::admin::guard))
                    .configure(|cfg| crate::DIALECT.configure_admin(cfg)),
            )
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                assert!(claims(req.path()));
                <crate::error::TieredError as gateway_http::SurfaceError>::not_found(&req)
            })),
    )
    .await;
    (service, gateway, dir)
}

/// Whether this dialect alone (in a registry of its own) owns `path`.
fn claims(path: &str) -> bool {
    static REGISTRY: gateway_http::Registry = gateway_http::Registry(&[&crate::DIALECT]);
    REGISTRY.surface_of(path).is_some()
}

#[actix_web::test]
async fn no_access_type_is_a_pretty_known_error_with_both_headers() {
    let (app, _, _dir) = app().await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/users/me")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 400);
    let h = res.headers();
    assert_eq!(
        h.get("x-stack-known-error").unwrap(),
        "ACCESS_TYPE_REQUIRED"
    );
    assert_eq!(
        h.get("x-hexclave-known-error").unwrap(),
        "ACCESS_TYPE_REQUIRED"
    );
    assert_eq!(h.get("cache-control").unwrap(), "no-store, max-age=0");
    assert_eq!(h.get("access-control-allow-origin").unwrap(), "*");
    assert!(h.contains_key("x-stack-request-id") && h.contains_key("x-hexclave-request-id"));
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(
        body.starts_with("{\n  \"code\": \"ACCESS_TYPE_REQUIRED\",\n  \"error\": "),
        "{body}"
    );
}

#[actix_web::test]
async fn client_and_server_reads_have_their_tiers() {
    let (app, gateway, _dir) = app().await;
    let issued = gateway
        .create_project(NewProject {
            display_name: "p".into(),
            ..NewProject::default()
        })
        .await
        .unwrap();
    let mut new = NewUser::regular("jane");
    new.fields.email = Some(Some("jane@example.com".into()));
    new.fields.status = Some(UserStatus::Active);
    let user = gateway.create_user(new).await.unwrap().value;
    let pid = issued.project.id.to_string();
    let minted: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::post()
            .uri(&format!("/admin/projects/{pid}/users/{}/sessions", user.id))
            .insert_header(("authorization", format!("Bearer {ADMIN}")))
            .to_request(),
    )
    .await;
    let token = minted["access_token"].as_str().unwrap();
    let get = |access: &'static str, key: (&'static str, String)| {
        test::TestRequest::get()
            .uri("/api/v1/users/me")
            .insert_header(("x-hexclave-access-type", access))
            .insert_header(("x-hexclave-project-id", pid.clone()))
            .insert_header(("x-hexclave-access-token", token.to_owned()))
            .insert_header(key)
            .to_request()
    };
    let client: Value = test::call_and_read_body_json(
        &app,
        get(
            "client",
            (
                "x-hexclave-publishable-client-key",
                issued.publishable_client_key.clone(),
            ),
        ),
    )
    .await;
    assert_eq!(client["id"], json!(user.id.to_string()));
    assert!(client.get("server_metadata").is_none() && client.get("risk_scores").is_none());
    let server: Value = test::call_and_read_body_json(
        &app,
        get(
            "server",
            (
                "x-hexclave-secret-server-key",
                issued.secret_server_key.clone(),
            ),
        ),
    )
    .await;
    assert_eq!(
        server["risk_scores"],
        json!({"sign_up": {"bot": 0, "free_trial_abuse": 0}})
    );
    assert_eq!(server["server_metadata"], Value::Null);
}

#[actix_web::test]
async fn unknown_paths_and_methods_are_plain_text() {
    let (app, _, _dir) = app().await;
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/api/v1/nope").to_request(),
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/plain; charset=utf-8"
    );
    let res = test::call_service(
        &app,
        test::TestRequest::put()
            .uri("/api/v1/users/me")
            .insert_header(("x-stack-override-error-status", "true"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("x-stack-actual-status").unwrap(), "405");
    assert_eq!(test::read_body(res).await, "Method not allowed");
    assert!(claims("/api/v1/users/x/y") && claims("/api/v1") && !claims("/api/v10"));
}

#[actix_web::test]
async fn openapi_document_is_stable() {
    let doc = serde_json::to_value(crate::openapi::document()).unwrap();
    insta::assert_json_snapshot!("openapi_users", doc);
}

/// glibc serves an allocation of at most 1032 bytes from its per-thread cache; a larger one takes
/// the large-bin path, which first consolidates every freed small chunk (`malloc_consolidate`:
/// 9% more CPU on a lean GET, docs/benchmarks.md run 7). The futures every request allocates
/// stay under it: the extractor's, and the pieces of the caller check it awaits boxed.
#[actix_web::test]
async fn per_request_futures_fit_the_allocator_cache() {
    const TCACHE_MAX: usize = 1032;
    let (_, gateway, _dir) = app().await;
    let req = test::TestRequest::get()
        .uri("/api/v1/users/me")
        .app_data(Data::new(gateway.clone()))
        .to_http_request();
    let mut payload = actix_web::dev::Payload::None;
    let smart = <crate::auth::Smart as actix_web::FromRequest>::from_request(&req, &mut payload);
    let parse = crate::auth::parse(&req, &gateway);
    let identify = gateway_http::auth::identify::<crate::auth::TieredAuth>(&req);
    let body = crate::body::read_and_parse(&req, actix_web::dev::Payload::None);
    let sizes = [
        ("extractor", std::mem::size_of_val(&*smart)),
        ("parse", std::mem::size_of_val(&parse)),
        ("identify", std::mem::size_of_val(&identify)),
        ("body", std::mem::size_of_val(&body)),
    ];
    for (name, size) in sizes {
        assert!(size <= TCACHE_MAX, "the {name} future is {size} bytes");
    }
}
