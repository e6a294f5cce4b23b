//! The route table of both surfaces, at the root of the listener. Each resource answers a wrong
//! method with its surface's 405 (with `Allow`), runs the admin-injected faults of its surface
//! first, and reads bodies through `extract` (limits from `HttpLimits`, rejections in the
//! surface's envelope). Unmatched paths under `/api/v1/user`, `/users` and `/auth` get the
//! surface's 404 through the registry ([`crate::DIALECT`]); paths are exact (no trailing-slash redirects).

use actix_web::{
    HttpResponse, ResponseError,
    middleware::from_fn,
    web::{self, ServiceConfig},
};
use gateway_core::Surface;
use gateway_http::faults;

use crate::{
    error::{PlatformError, UsersMeError, platform_fault, users_me_fault},
    handlers::{change_username, get_me, get_user, login, patch_me},
};

/// `GET /api/v1/user`.
pub const PLATFORM_USER: &str = "/api/v1/user";
/// `POST /api/v1/user/username`.
pub const PLATFORM_USERNAME: &str = "/api/v1/user/username";
/// `POST /auth/login`.
pub const USERS_ME_LOGIN: &str = "/auth/login";
/// `GET` and `PATCH /users/me`.
pub const USERS_ME: &str = "/users/me";

fn platform_405(allow: &'static str) -> HttpResponse {
    PlatformError::method_not_allowed(allow).error_response()
}

fn users_me_405(allow: &'static str) -> HttpResponse {
    UsersMeError::method_not_allowed(allow).error_response()
}

/// Mounts both surfaces.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        web::resource(PLATFORM_USER)
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Platform, platform_fault, req, next)
            }))
            .route(web::get().to(get_user::get_user))
            .default_service(web::to(|| async { platform_405("GET") })),
    )
    .service(
        web::resource(PLATFORM_USERNAME)
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Platform, platform_fault, req, next)
            }))
            .route(web::post().to(change_username::change_username))
            .default_service(web::to(|| async { platform_405("POST") })),
    )
    .service(
        web::resource(USERS_ME_LOGIN)
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::UsersMe, users_me_fault, req, next)
            }))
            .route(web::post().to(login::login))
            .default_service(web::to(|| async { users_me_405("POST") })),
    )
    .service(
        web::resource(USERS_ME)
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::UsersMe, users_me_fault, req, next)
            }))
            .route(web::get().to(get_me::get_me))
            .route(web::patch().to(patch_me::patch_me))
            .default_service(web::to(|| async { users_me_405("GET, PATCH") })),
    );
}

#[cfg(test)]
mod tests {
    use gateway_http::Registry;

    static REGISTRY: Registry = Registry(&[&crate::DIALECT]);

    fn owner(path: &str) -> Option<&'static str> {
        REGISTRY.surface_of(path).map(|s| s.name)
    }

    #[test]
    fn claims_stop_at_segment_boundaries() {
        assert_eq!(owner("/api/v1/user/"), Some("platform"));
        assert_eq!(owner("/api/v1/user/x/y"), Some("platform"));
        assert_eq!(owner("/api/v1/users/me"), None);
        assert_eq!(owner("/api/v1/userx"), None);
        assert_eq!(owner("/users/me/"), Some("users-me"));
        assert_eq!(owner("/users"), Some("users-me"));
        assert_eq!(owner("/auth/other"), Some("users-me"));
        assert_eq!(owner("/usersx"), None);
        assert_eq!(owner("/api/v1/auth/oauth/token"), None);
        assert_eq!(owner("/me"), None);
    }
}
