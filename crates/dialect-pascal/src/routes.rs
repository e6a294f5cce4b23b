//! The route table of the account-profile surface, mounted at the root of the listener with
//! `gateway_http::resource`: one resource with GET and PUT, a 405 `ProblemDetails` (with
//! `Allow: GET, PUT`) for every other method, admin-injected faults and framework rejections
//! rendered in this dialect's shapes.

use actix_web::web;
use gateway_http::resource;

use crate::{
    SURFACE,
    handlers::{get_profile::get_profile, put_profile::put_profile},
};

/// The one documented path.
pub const PROFILE_PATH: &str = "/api/workspace/account/profile";
/// The prefix this dialect owns (its 404s).
pub const PREFIX: &str = "/api/workspace";

/// Mounts the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource(&SURFACE, PROFILE_PATH)
            .get(get_profile)
            .put(put_profile),
    );
}
