//! `GET /health` at the origin root: the SDK's connection diagnostics.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

use crate::{respond, wire::Health};

/// Answers `{"status":"ok"}` with open CORS headers.
#[utoipa::path(
    get, path = "/health", tag = "Health",
    summary = "Health check",
    responses(
        (status = 200, description = "The service is up.", body = crate::wire::Health),
        (status = "4XX", description = "Plain text (405 for other methods).", content((String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn health(req: HttpRequest) -> HttpResponse {
    let mut res = respond::json(&req, StatusCode::OK, &Health { status: "ok" });
    for name in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    ] {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(name),
            actix_web::http::header::HeaderValue::from_static("*"),
        );
    }
    res
}
