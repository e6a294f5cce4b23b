//! The admin API's shared parts: the token check, the guard that runs it for the whole `/admin`
//! scope before any extractor reads a byte of the body, and the one admin error type
//! (`{"error": {kind, message, issues}}`, core field names, no vendor's envelope). Used by the
//! server's `/admin` routes and by the admin routes a dialect mounts inside that scope.

use actix_web::{
    Error, HttpRequest, HttpResponse, ResponseError,
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::Next,
    web::Data,
};
use gateway_core::{CoreError, ErrorKind, credentials::constant_time_eq};
use serde_json::json;

/// The configured admin token, registered as `web::Data<AdminToken>`. Empty = admin API disabled.
#[derive(Debug, Clone)]
pub struct AdminToken(pub String);

/// Checks `Authorization: Bearer <admin token>`: `NotFound` when the admin API is disabled,
/// `Unauthenticated` when the token is missing or wrong.
pub fn check(req: &HttpRequest) -> Result<(), CoreError> {
    let configured = req
        .app_data::<Data<AdminToken>>()
        .map(|t| t.0.as_str())
        .unwrap_or_default();
    if configured.is_empty() {
        return Err(CoreError::not_found("the admin API is disabled"));
    }
    match crate::auth::bearer(req) {
        Some(given) if constant_time_eq(given, configured) => Ok(()),
        _ => Err(CoreError::unauthenticated("admin token required")),
    }
}

/// Middleware for the `/admin` scope: a request without the admin token gets 401 (404 when the
/// admin API is disabled) before any handler or extractor runs, so no body is read for it.
pub async fn guard<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    if let Err(e) = check(req.request()) {
        let response = AdminError(e).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// An admin API error: the core error in the admin envelope.
#[derive(Debug)]
pub struct AdminError(pub CoreError);

impl From<CoreError> for AdminError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self.0.kind() {
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self.0.kind(), ErrorKind::Internal | ErrorKind::Unavailable) {
            tracing::error!(error = %self.0, "admin request failed");
        }
        let issues: Vec<_> = self
            .0
            .issues()
            .iter()
            .map(|i| json!({"field": i.field.as_str(), "message": i.message}))
            .collect();
        let mut response = HttpResponse::build(self.status_code());
        if self.0.kind() == ErrorKind::Unauthenticated {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(json!({
            "error": {"kind": self.0.kind().as_str(), "message": self.0.message(), "issues": issues}
        }))
    }
}
