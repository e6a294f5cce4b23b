//! A dialect that exists only in the tests, mounted through the registry next to the real ones:
//! the whole contract a new dialect crate fulfils (`docs/adding-a-dialect.md`) in a few dozen
//! lines. Its surface owns `/echo`, answers `GET /echo/whoami` for a `me` credential through
//! the shared extractor, has its own 404 and OpenAPI document, and appears in `/openapi`.

use actix_web::{HttpRequest, HttpResponse, web};
use gateway_core::Surface;
use gateway_http::{
    Auth, AuthPolicy, Dialect, Presented, Registry, SurfaceSpec, auth::bearer, body::RawBody,
};
use gateway_tests::{TestDb, spawn_with_registry};
use serde_json::{Value, json};

struct Echo;

struct EchoAuth;
impl AuthPolicy for EchoAuth {
    type Error = gateway_http::admin::AdminError;
    const SURFACE: Surface = Surface::Me;
    fn presented(req: &HttpRequest) -> Result<Option<Presented>, Self::Error> {
        Ok(bearer(req).map(|t| Presented::Token(t.to_owned())))
    }
}

async fn whoami(auth: Auth<EchoAuth>, body: RawBody) -> HttpResponse {
    let size = body.into_inner().map_or(0, |b| b.bytes.len());
    HttpResponse::Ok().json(json!({"echo": auth.caller.user.identity.username, "bytes": size}))
}

fn echo_404(_: &HttpRequest) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"echo_error": "no such echo"}))
}

static SURFACES: [SurfaceSpec; 1] = [SurfaceSpec {
    name: "echo",
    prefixes: &["/echo"],
    not_found: echo_404,
    preview: None,
}];

impl Dialect for Echo {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        &SURFACES
    }
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.route("/echo/whoami", web::post().to(whoami));
    }
    fn openapi(&self) -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
        let info = utoipa::openapi::Info::new("echo", "1");
        vec![(
            "echo",
            utoipa::openapi::OpenApi::new(info, utoipa::openapi::Paths::new()),
        )]
    }
}

/// The real dialects plus the test one: one registry line.
static WITH_ECHO: Registry = Registry(&[
    &dialect_snake::DIALECT,
    &dialect_pascal::DIALECT,
    &dialect_camel::DIALECT,
    &dialect_tiered::DIALECT,
    &Echo,
]);

#[tokio::test]
async fn a_dialect_is_one_registry_line() {
    let app = spawn_with_registry(TestDb::sqlite(), WITH_ECHO)
        .await
        .unwrap();
    let id = app.create_user("echoed").await.unwrap();
    let token = app.credentials(&id, "me", false).await.unwrap().token;
    let res = app
        .client
        .post(app.url("/echo/whoami"))
        .bearer_auth(&token)
        .body("12345")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"echo": "echoed", "bytes": 5})
    );
    let res = app
        .client
        .get(app.url("/echo/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"echo_error": "no such echo"})
    );
    let res = app
        .client
        .get(app.url("/openapi/echo.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The real surfaces are untouched by the new one.
    let res = app.client.get(app.url("/me/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_ne!(
        res.json::<Value>().await.unwrap(),
        json!({"echo_error": "no such echo"})
    );
}
