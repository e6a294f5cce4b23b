//! The admin token check, shared by the server's `/admin` API and the admin routes a dialect adds
//! under `/admin` (e.g. projects of the tiered dialect).

use actix_web::{HttpRequest, web::Data};
use gateway_core::{CoreError, credentials::constant_time_eq};

/// The configured admin token, registered as `web::Data<AdminToken>`. Empty = admin API disabled.
#[derive(Debug, Clone)]
pub struct AdminToken(pub String);

/// Checks `Authorization: Bearer <admin token>`: `NotFound` when the admin API is disabled,
/// `Unauthenticated` when the token is missing or wrong.
pub fn check(req: &HttpRequest) -> Result<(), CoreError> {
    let configured = req
        .app_data::<Data<AdminToken>>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    if configured.is_empty() {
        return Err(CoreError::not_found("the admin API is disabled"));
    }
    match crate::auth::bearer(req) {
        Some(given) if constant_time_eq(given, &configured) => Ok(()),
        _ => Err(CoreError::unauthenticated("admin token required")),
    }
}
