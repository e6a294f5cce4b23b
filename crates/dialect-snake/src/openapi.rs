//! The two OpenAPI documents of this dialect, served at `/openapi/platform.json` and
//! `/openapi/users-me.json`.

use gateway_http::openapi::{Scheme, Schemes};
use utoipa::OpenApi;

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
    modifiers(&PLATFORM_SECURITY),
    tags((name = "user", description = "The current user"))
)]
pub struct PlatformApi;

/// The platform credential schemes.
const PLATFORM_SECURITY: Schemes = Schemes(&[
    (
        "api_key",
        Scheme::Header {
            name: "X-API-Key",
            description: "A platform API key (`dn_...`); checked before `Authorization`.",
        },
    ),
    (
        "bearer",
        Scheme::Bearer {
            format: Some("JWT"),
            description: "A platform access token issued by the gateway.",
        },
    ),
]);

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
    modifiers(&USERS_ME_SECURITY),
    tags(
        (name = "auth", description = "API-key login"),
        (name = "users", description = "The current user")
    )
)]
pub struct UsersMeApi;

/// The users-me credential scheme.
const USERS_ME_SECURITY: Schemes = Schemes(&[(
    "bearer",
    Scheme::Bearer {
        format: None,
        description: "The `access_token` of `POST /auth/login`.",
    },
)]);
