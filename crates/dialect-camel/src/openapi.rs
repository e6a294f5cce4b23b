//! The OpenAPI document of the `me` surface, served at `/openapi/me.json`.

use gateway_http::openapi::{Scheme, Schemes};
use utoipa::OpenApi;

use crate::{
    handlers,
    wire::{
        ErrorBody, ErrorDetail, UpdateUserRequest, User, UserEmail, UserIdentity, UserPhoneNumber,
        UserStatus,
    },
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bird Accounts API: current user",
        version = "1",
        description = "The Bird (formerly MessageBird) Accounts API `/me` surface as emulated by the gateway (camel dialect). JSON is camelCase; timestamps are RFC 3339 UTC with milliseconds. Errors are `{type, code, message, request_id, details?}` with `X-Request-Id`."
    ),
    paths(handlers::get_me::get_me, handlers::patch_me::patch_me, handlers::delete_me::delete_me),
    components(schemas(
        User,
        UserEmail,
        UserIdentity,
        UserPhoneNumber,
        UserStatus,
        UpdateUserRequest,
        ErrorBody,
        ErrorDetail
    )),
    modifiers(&SECURITY),
    tags((name = "Current user", description = "Make updates to the user to which the login token was issued."))
)]
pub struct ApiDoc;

/// The two credential schemes.
const SECURITY: Schemes = Schemes(&[
    (
        "bearer",
        Scheme::Bearer {
            format: None,
            description: "`Authorization: Bearer <token>`: a login token issued by the gateway for the `me` surface, or a `bird_` API key.",
        },
    ),
    (
        "accessKey",
        Scheme::Header {
            name: "Authorization",
            description: "`Authorization: AccessKey <key>` with a `bird_` API key issued by the gateway.",
        },
    ),
]);

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
