//! The gateway's admin routes for this surface, mounted inside the server's `/admin` scope:
//! projects (create, list, show, settings) and minting a refresh session + access token for a
//! user in a project. Guarded with the rest of `/admin` by `gateway_http::admin::guard`; errors use the admin API's own
//! envelope `{"error": {kind, message, issues}}`, not the vendor's.

pub mod create_project;
pub mod list_projects;
pub mod mint_session;
pub mod show_project;
pub mod update_project;

use actix_web::HttpRequest;
use gateway_core::CoreError;
use uuid::Uuid;

pub use gateway_http::admin::AdminError;

/// A path id that must be a UUID; anything else names nothing.
pub fn path_uuid(req: &HttpRequest, name: &str, what: &str) -> Result<Uuid, AdminError> {
    req.match_info()
        .get(name)
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .ok_or_else(|| CoreError::not_found(format!("{what} not found")).into())
}
