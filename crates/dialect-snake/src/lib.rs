//! Placeholder: the dialect is being written.

use actix_web::web::ServiceConfig;
use gateway_http::Fallback;

/// Mounts this dialect's routes at the root of the listener.
pub fn configure(_cfg: &mut ServiceConfig) {}

/// This dialect's claims on unmatched paths (its own 404s).
pub fn fallbacks() -> Vec<Fallback> {
    Vec::new()
}

/// This dialect's OpenAPI documents, by surface name.
pub fn openapi_documents() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    Vec::new()
}
