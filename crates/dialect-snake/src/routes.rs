//! The route table of both surfaces, at the root of the listener, mounted with
//! `gateway_http::resource` (each surface's faults, 405 with `Allow`, errors in its envelope).
//! Bodies are read through `extract` (limits from `HttpLimits`, rejections in the surface's
//! envelope). Unmatched paths under `/api/v1/user`, `/users` and `/auth` get the surface's 404
//! through the registry ([`crate::DIALECT`]); paths are exact (no trailing-slash redirects).

use actix_web::web::ServiceConfig;
use gateway_http::resource;

use crate::{
    PLATFORM_SURFACE, USERS_ME_SURFACE,
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

/// Mounts both surfaces.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(resource(&PLATFORM_SURFACE, PLATFORM_USER).get(get_user::get_user))
        .service(
            resource(&PLATFORM_SURFACE, PLATFORM_USERNAME).post(change_username::change_username),
        )
        .service(resource(&USERS_ME_SURFACE, USERS_ME_LOGIN).post(login::login))
        .service(
            resource(&USERS_ME_SURFACE, USERS_ME)
                .get(get_me::get_me)
                .patch(patch_me::patch_me),
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
