//! A dialect that exists only in the tests, mounted through the registry next to the real ones:
//! the whole contract a new dialect crate fulfils (`docs/adding-a-dialect.md`) in a few dozen
//! lines. Its surface owns `/echo`: an error type with the three renderers, one resource
//! mounted with `gateway_http::resource` (faults, 405 with `Allow`, errors in its envelope),
//! `POST /echo/whoami` for a `me` credential through the shared extractor, and an OpenAPI
//! document.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{Method, StatusCode},
    web,
};
use gateway_core::{CoreError, Surface};
use gateway_http::{
    Auth, AuthPolicy, Dialect, Presented, Registry, SurfaceError, SurfaceSpec, admin::AdminError,
    auth::bearer, body::RawBody, faults::Fault, resource,
};
use gateway_tests::{TestDb, http::fetch, spawn_with_registry};
use serde_json::json;

/// The echo envelope: `{"echo_error": message}`.
#[derive(Debug)]
struct EchoError(StatusCode, String);
impl std::fmt::Display for EchoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}
impl From<CoreError> for EchoError {
    fn from(e: CoreError) -> Self {
        let message = e.message().to_owned();
        Self(AdminError(e).status_code(), message)
    }
}
impl ResponseError for EchoError {
    fn status_code(&self) -> StatusCode {
        self.0
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.0).json(json!({"echo_error": self.1}))
    }
}
impl SurfaceError for EchoError {
    fn fault(_: &HttpRequest, fault: &Fault) -> HttpResponse {
        let status = fault.status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        EchoError(status, fault.message.clone()).error_response()
    }
    fn method_not_allowed(req: &HttpRequest, _: &[Method]) -> HttpResponse {
        EchoError(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("no {} echo", req.method()),
        )
        .error_response()
    }
    fn not_found(_: &HttpRequest) -> HttpResponse {
        EchoError(StatusCode::NOT_FOUND, "no such echo".into()).error_response()
    }
}

struct EchoAuth;
impl AuthPolicy for EchoAuth {
    type Error = EchoError;
    const SURFACE: Surface = Surface::Me;
    fn presented(req: &HttpRequest) -> Result<Option<Presented>, Self::Error> {
        Ok(bearer(req).map(|t| Presented::Token(t.to_owned())))
    }
}

async fn whoami(auth: Auth<EchoAuth>, body: RawBody) -> HttpResponse {
    let size = body.into_inner().map_or(0, |b| b.bytes.len());
    HttpResponse::Ok().json(json!({"echo": auth.caller.user.identity.username, "bytes": size}))
}

static ECHO: SurfaceSpec = SurfaceSpec::new::<EchoError>("echo", &["/echo"]);

struct Echo;
impl Dialect for Echo {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        std::slice::from_ref(&ECHO)
    }
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.service(resource(&ECHO, "/echo/whoami").post(whoami));
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
    use reqwest::Method;
    let app = spawn_with_registry(TestDb::sqlite(), WITH_ECHO)
        .await
        .unwrap();
    let id = app.create_user("echoed").await.unwrap();
    let token = app.credentials(&id, "me", false).await.unwrap().token;
    let echo = |method: Method, path: &str| app.client.request(method, app.url(path));
    let res = fetch(
        echo(Method::POST, "/echo/whoami")
            .bearer_auth(&token)
            .body("12345"),
    )
    .await;
    assert_eq!(
        (res.status, res.json()),
        (200, json!({"echo": "echoed", "bytes": 5}))
    );
    // Refusals, wrong methods, unmatched paths: all in the surface's envelope.
    let res = fetch(echo(Method::POST, "/echo/whoami")).await;
    assert_eq!(
        (res.status, res.json()),
        (401, json!({"echo_error": "authentication required"}))
    );
    let res = fetch(echo(Method::GET, "/echo/whoami")).await;
    assert_eq!(
        (res.status, res.json()),
        (405, json!({"echo_error": "no GET echo"}))
    );
    assert_eq!(res.header("allow"), "POST");
    let res = fetch(echo(Method::GET, "/echo/nowhere")).await;
    assert_eq!(
        (res.status, res.json()),
        (404, json!({"echo_error": "no such echo"}))
    );
    // A fault rule for every surface reaches this one too, rendered in its envelope.
    let rule = json!({"path": "/echo/", "status": 503, "message": "echo down", "count": 1});
    assert_eq!(
        fetch(app.admin(Method::POST, "/faults").json(&rule))
            .await
            .status,
        201
    );
    let res = fetch(echo(Method::POST, "/echo/whoami").bearer_auth(&token)).await;
    assert_eq!(
        (res.status, res.json()),
        (503, json!({"echo_error": "echo down"}))
    );
    assert_eq!(
        fetch(echo(Method::GET, "/openapi/echo.json")).await.status,
        200
    );
    // The real surfaces are untouched by the new one.
    let res = fetch(echo(Method::GET, "/me/nowhere")).await;
    assert_eq!(res.status, 404);
    assert_ne!(res.json(), json!({"echo_error": "no such echo"}));
}
