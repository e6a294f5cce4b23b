//! The route table of the camel dialect: `/me` with GET, PATCH and DELETE, mounted with
//! `gateway_http::resource` (injected faults, a 405 with `Allow` for every other method, and every
//! error of the resource re-rendered with the request id, all in this envelope).
//!
//! The JSON body limit is the gateway's `HttpLimits`, read per request by
//! [`crate::extract::JsonValue`]; there are no query strings or path parameters to configure.

use actix_web::web::ServiceConfig;
use gateway_http::resource;

use crate::{
    ME_PATH, SURFACE,
    handlers::{delete_me::delete_me, get_me::get_me, patch_me::patch_me},
};

/// Mounts `/me`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        resource(&SURFACE, ME_PATH)
            .get(get_me)
            .patch(patch_me)
            .delete(delete_me),
    );
}
