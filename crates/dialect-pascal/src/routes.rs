//! The route table of the account-profile surface, mounted at the root of the listener: one
//! resource with GET and PUT, a 405 `ProblemDetails` (with `Allow: GET, PUT`) for every other
//! method, admin-injected faults rendered in this dialect's shapes, and extractor error handlers
//! that answer in this dialect's envelope.

use actix_web::{HttpRequest, HttpResponse, middleware::from_fn, web};
use gateway_core::Surface;
use gateway_http::{HttpLimits, faults};

use crate::{
    error::{PascalError, render_fault},
    handlers::{get_profile::get_profile, put_profile::put_profile},
};

/// The one documented path.
pub const PROFILE_PATH: &str = "/api/workspace/account/profile";
/// The prefix this dialect claims for its 404s.
pub const PREFIX: &str = "/api/workspace";

/// Whether this dialect answers unmatched `path` (`/api/workspace` and below).
pub fn claims(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, PascalError> {
    Err(PascalError::method_not_allowed(&req))
}

/// Mounts the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(PROFILE_PATH)
            // Safety net for the stock extractors: the PUT handler reads its body itself (with
            // the server's runtime limit, see `body.rs`), and no route takes a query or path
            // extractor, but any that is added answers in this dialect's envelope.
            .app_data(
                web::JsonConfig::default()
                    .limit(HttpLimits::default().body_limit)
                    .error_handler(|e, req| PascalError::from_body(&(&e).into(), req).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, req| PascalError::unreadable("query string", req).into()),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, req| PascalError::unreadable("path", req).into()),
            )
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::AccountProfile, render_fault, req, next)
            }))
            .route(web::get().to(get_profile))
            .route(web::put().to(put_profile))
            .default_service(web::to(method_not_allowed)),
    );
}

#[cfg(test)]
mod tests {
    use super::claims;

    #[test]
    fn claims_the_workspace_prefix_only() {
        assert!(claims("/api/workspace"));
        assert!(claims("/api/workspace/"));
        assert!(claims("/api/workspace/account/profiles"));
        assert!(!claims("/api/workspacex"));
        assert!(!claims("/api/v1/user"));
    }
}
