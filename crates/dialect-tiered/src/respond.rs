//! What every answer of this surface carries (spec §7.3, §8): success JSON (compact, or 2-space
//! when `Accept` contains `text/html`), the request id under both prefixes, `cache-control:
//! no-store, max-age=0` unless a route set its own, the CORS headers of `/api/*` (with the
//! `x-hexclave-*` names added), CORS preflights, and the override-error-status rewrite of 4xx to
//! 200 with `x-stack-actual-status` / `x-hexclave-actual-status`. 5xx are never rewritten.

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    middleware::Next,
};
use serde::Serialize;

use crate::{
    error::{INTERNAL_TEXT, InternalErrorMarker, text_response},
    headers,
};

/// Request headers browsers may send (the vendor's list plus the `x-hexclave-` names).
pub const CORS_ALLOW_HEADERS: &str = "content-type, authorization, x-stack-project-id, x-stack-branch-id, x-stack-override-error-status, x-stack-random-nonce, x-stack-client-version, x-stack-disable-artificial-development-delay, x-stack-access-type, x-stack-publishable-client-key, x-stack-secret-server-key, x-stack-super-secret-admin-key, x-stack-admin-access-token, x-stack-refresh-token, x-stack-access-token, x-stack-allow-anonymous-user, x-stack-allow-restricted-user, x-hexclave-project-id, x-hexclave-branch-id, x-hexclave-override-error-status, x-hexclave-random-nonce, x-hexclave-client-version, x-hexclave-access-type, x-hexclave-publishable-client-key, x-hexclave-secret-server-key, x-hexclave-super-secret-admin-key, x-hexclave-admin-access-token, x-hexclave-refresh-token, x-hexclave-access-token, x-hexclave-allow-anonymous-user, x-hexclave-allow-restricted-user, baggage, sentry-trace, x-vercel-protection-bypass, ngrok-skip-browser-warning";
/// Response headers browsers may read.
pub const CORS_EXPOSE_HEADERS: &str = "content-type, x-stack-actual-status, x-stack-known-error, x-stack-request-id, x-hexclave-actual-status, x-hexclave-known-error, x-hexclave-request-id";

/// A successful JSON answer: compact, or pretty when the client looks like a browser.
pub fn json<T: Serialize>(req: &HttpRequest, status: StatusCode, value: &T) -> HttpResponse {
    let pretty = req
        .headers()
        .get(header::ACCEPT)
        .is_some_and(|a| String::from_utf8_lossy(a.as_bytes()).contains("text/html"));
    let body = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    match body {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a tiered answer");
            let mut res =
                text_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_TEXT.to_owned());
            res.extensions_mut().insert(InternalErrorMarker);
            res
        }
    }
}

fn set(res: &mut HttpResponse<BoxBody>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// The CORS headers the vendor puts on every `/api/*` answer, built once (validating the long
/// header lists on every answer showed up in the profile).
static CORS: std::sync::LazyLock<[(HeaderName, HeaderValue); 5]> = std::sync::LazyLock::new(|| {
    [
        ("access-control-allow-origin", "*"),
        (
            "access-control-allow-methods",
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        ),
        ("access-control-max-age", "86400"),
        ("access-control-allow-headers", CORS_ALLOW_HEADERS),
        ("access-control-expose-headers", CORS_EXPOSE_HEADERS),
    ]
    .map(|(name, value)| {
        (
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    })
});

/// Adds the CORS headers.
fn cors(res: &mut HttpResponse<BoxBody>) {
    let headers = res.headers_mut();
    for (name, value) in CORS.iter() {
        headers.insert(name.clone(), value.clone());
    }
}

/// A CORS preflight answer.
pub fn preflight() -> HttpResponse<BoxBody> {
    HttpResponse::Ok().finish()
}

/// Adds this surface's headers to an answer and applies the override-error-status rewrite.
pub fn finish(req: &HttpRequest, mut res: HttpResponse<BoxBody>) -> HttpResponse<BoxBody> {
    let id = gateway_http::request_id(req);
    if res.extensions().get::<InternalErrorMarker>().is_some() {
        let status = res.status();
        let mut replaced = text_response(status, format!("{INTERNAL_TEXT}\n\nRequest ID: {id}"));
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replaced.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res = replaced;
    }
    set(&mut res, "x-stack-request-id", &id);
    set(&mut res, "x-hexclave-request-id", &id);
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        set(&mut res, "cache-control", "no-store, max-age=0");
    }
    if req.path().starts_with("/api/") {
        cors(&mut res);
    }
    let status = res.status();
    if status.is_client_error() && headers::present(req, "override-error-status") {
        let actual = status.as_u16().to_string();
        set(&mut res, "x-stack-actual-status", &actual);
        set(&mut res, "x-hexclave-actual-status", &actual);
        *res.status_mut() = StatusCode::OK;
    }
    res
}

/// Middleware on every scope of this surface: answers CORS preflights and finishes answers.
pub async fn decorate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() == Method::OPTIONS {
        let (http_req, _) = req.into_parts();
        let res = finish(&http_req, preflight());
        return Ok(ServiceResponse::new(http_req, res));
    }
    let res = next.call(req).await?.map_into_boxed_body();
    let (http_req, res) = res.into_parts();
    let res = finish(&http_req, res);
    Ok(ServiceResponse::new(http_req, res))
}
