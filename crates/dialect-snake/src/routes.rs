//! The route table of both surfaces, at the root of the listener, mounted with
//! `gateway_http::resource` (each surface's faults, 405 with `Allow`, errors in its envelope).
//! Bodies are read through `extract` (limits from `HttpLimits`, rejections in the surface's
//! envelope). Unmatched paths under `/api/v1/user`, `/users` and `/auth` get the surface's 404
//! through the registry ([`crate::DIALECT`]); paths are exact (no trailing-slash redirects).

use actix_web::web::{self, ServiceConfig};
use gateway_http::resource;

use crate::{
    PLATFORM_SURFACE, USERS_ME_SURFACE,
    handlers::{
        change_username, create_api_key, device_authorization, device_code, device_status,
        device_token, get_me, get_user, login, organizations, patch_me, platform_info, pro_tenancy,
        revoke_own_key,
    },
};

/// `GET /api/v1/user`.
pub const PLATFORM_USER: &str = "/api/v1/user";
/// `GET` and `PATCH /users/me`.
pub const USERS_ME: &str = "/users/me";

/// The platform prefixes of the device login (`dreadnode login`).
pub const PLATFORM_DEVICE: &str = "/api/v1/auth/device";
/// The platform prefix of organizations, workspaces and projects.
pub const PLATFORM_ORG: &str = "/api/v1/org";
/// `GET /api/v1/health`.
pub const PLATFORM_HEALTH: &str = "/api/v1/health";
/// `GET /api/v1/config`.
pub const PLATFORM_CONFIG: &str = "/api/v1/config";

/// Mounts both surfaces.
pub fn configure(cfg: &mut ServiceConfig) {
    let platform = |path| resource(&PLATFORM_SURFACE, path);
    let users_me = |path| resource(&USERS_ME_SURFACE, path);
    // Families of routes sit in scopes with static prefixes, so a request of another surface is
    // turned away by one string comparison per family instead of matching every pattern (actix
    // tries services in order; a pattern with a `{param}` is a regex); a path in a scope that no
    // route matches falls to the app's default, the registry's 404.
    cfg.service(
        web::scope(PLATFORM_USER)
            .service(platform("").get(get_user::get_user))
            .service(platform("/username").post(change_username::change_username))
            .service(platform("/api-keys").post(create_api_key::create_api_key))
            .service(platform("/api-keys/self").delete(revoke_own_key::revoke_own_api_key))
            .service(platform("/organizations").get(organizations::list_organizations))
            .service(platform("/preferences").get(platform_info::preferences))
            .service(platform("/limits").get(platform_info::limits)),
    )
    .service(
        web::scope(PLATFORM_DEVICE)
            .service(platform("/code").post(device_code::create_device_code))
            .service(platform("/code/{device_code}").get(device_status::get_device_code))
            .service(platform("/token").post(device_token::exchange_device_code)),
    )
    .service(
        web::scope(PLATFORM_ORG)
            .service(platform("/{org}").get(organizations::get_organization))
            .service(platform("/{org}/ws").get(organizations::list_workspaces))
            .service(platform("/{org}/ws/{ws}").get(organizations::get_workspace))
            .service(platform("/{org}/ws/{ws}/projects").get(organizations::list_projects))
            .service(platform("/{org}/ws/{ws}/projects/{project}").get(organizations::get_project)),
    )
    .service(platform(PLATFORM_HEALTH).get(platform_info::health))
    .service(platform(PLATFORM_CONFIG).get(platform_info::config))
    .service(
        web::scope("/auth")
            .service(users_me("/login").post(login::login))
            .service(
                users_me("/device_authorization").post(device_authorization::device_authorization),
            ),
    )
    .service(
        web::scope("/organizations")
            .service(users_me("").get(pro_tenancy::list_organizations))
            .service(users_me("/{organization_name_or_id}").get(pro_tenancy::get_organization)),
    )
    .service(
        web::scope("/workspaces")
            .service(users_me("").get(pro_tenancy::list_workspaces))
            .service(users_me("/{workspace_id}").get(pro_tenancy::get_workspace)),
    )
    .service(
        users_me(USERS_ME)
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
        assert_eq!(owner("/api/v1/auth/device/code/x"), Some("platform"));
        assert_eq!(owner("/api/v1/auth/devices"), None);
        assert_eq!(owner("/api/v1/org/acme/ws"), Some("platform"));
        assert_eq!(owner("/api/v1/health"), Some("platform"));
        assert_eq!(owner("/api/v1/config"), Some("platform"));
        assert_eq!(owner("/organizations/x"), Some("users-me"));
        assert_eq!(owner("/workspaces"), Some("users-me"));
        assert_eq!(owner("/me"), None);
    }
}
