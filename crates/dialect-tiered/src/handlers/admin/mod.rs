//! The gateway's admin routes for this surface, mounted inside the server's `/admin` scope:
//! projects (create, list, show, settings) and minting a refresh session + access token for a
//! user in a project. Protected by `gateway_http::admin::check`; errors use the admin API's own
//! envelope `{"error": {kind, message, issues}}`, not the vendor's.

pub mod create_project;
pub mod list_projects;
pub mod mint_session;
pub mod show_project;
pub mod update_project;

use actix_web::{HttpRequest, HttpResponse, ResponseError, http::StatusCode};
use gateway_core::{CoreError, ErrorKind};
use serde_json::json;
use uuid::Uuid;

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
            .map(|i| json!({"field": i.field, "message": i.message}))
            .collect();
        HttpResponse::build(self.status_code()).json(json!({
            "error": {"kind": self.0.kind().as_str(), "message": self.0.message(), "issues": issues}
        }))
    }
}

/// Checks the admin token.
pub fn check(req: &HttpRequest) -> Result<(), AdminError> {
    Ok(gateway_http::admin::check(req)?)
}

/// A path id that must be a UUID; anything else names nothing.
pub fn path_uuid(req: &HttpRequest, name: &str, what: &str) -> Result<Uuid, AdminError> {
    req.match_info()
        .get(name)
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .ok_or_else(|| CoreError::not_found(format!("{what} not found")).into())
}
