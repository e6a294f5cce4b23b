//! The two OpenAPI documents of this dialect, served at `/openapi/platform.json` and
//! `/openapi/users-me.json`.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{
    handlers,
    wire::{platform, users_me},
};

/// `platform` (Dreadnode): the current user and the username change.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "platform (Dreadnode-compatible)",
        version = "1",
        description = "The current user of the Dreadnode platform API, served by the gateway. \
                       Errors use the canonical envelope `{code, detail, type, errors?}`."
    ),
    paths(handlers::get_user::get_user, handlers::change_username::change_username),
    components(schemas(
        platform::User,
        platform::UserTeam,
        platform::UserGroup,
        platform::TeamRole,
        platform::ChangeUsername,
        platform::ErrorEnvelope,
        platform::ErrorItem
    )),
    modifiers(&PlatformSecurity),
    tags((name = "user", description = "The current user"))
)]
pub struct PlatformApi;

struct PlatformSecurity;

impl Modify for PlatformSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "A platform API key (`dn_...`); checked before `Authorization`.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A platform access token issued by the gateway."))
                    .build(),
            ),
        );
    }
}

/// `users-me` (ZenML Pro): API-key login and the current user.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "users-me (ZenML Pro-compatible)",
        version = "1",
        description = "The current user of the ZenML Pro API, served by the gateway. Errors are \
                       `{\"detail\": [\"<ExceptionClass>\", \"<message>\"]}`."
    ),
    paths(handlers::login::login, handlers::get_me::get_me, handlers::patch_me::patch_me),
    components(schemas(
        users_me::LoginForm,
        users_me::TokenResponse,
        users_me::UserResponse,
        users_me::UserUpdate,
        users_me::ErrorDetail
    )),
    modifiers(&UsersMeSecurity),
    tags(
        (name = "auth", description = "API-key login"),
        (name = "users", description = "The current user")
    )
)]
pub struct UsersMeApi;

struct UsersMeSecurity;

impl Modify for UsersMeSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The `access_token` of `POST /auth/login`."))
                    .build(),
            ),
        );
    }
}
