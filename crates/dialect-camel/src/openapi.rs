//! The OpenAPI document of the `me` surface, served at `/openapi/me.json`.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

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
    modifiers(&Security),
    tags((name = "Current user", description = "Make updates to the user to which the login token was issued."))
)]
pub struct ApiDoc;

/// The two credential schemes.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <token>`: a login token issued by the gateway for the `me` surface, or a `bird_` API key.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "accessKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Authorization: AccessKey <key>` with a `bird_` API key issued by the gateway.",
            ))),
        );
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
