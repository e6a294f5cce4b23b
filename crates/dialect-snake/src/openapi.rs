//! The two OpenAPI documents of this dialect, served at `/openapi/platform.json` and
//! `/openapi/users-me.json`.

use gateway_http::openapi::{Scheme, Schemes};
use utoipa::OpenApi;

use crate::{
    handlers,
    wire::{platform, platform_account, users_me, users_me_account},
};

/// `platform` (Dreadnode): the current user, the username change, API keys, the device login and
/// the tenancy reads of `dreadnode login` / `whoami`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "platform (Dreadnode-compatible)",
        version = "1",
        description = "The current user of the Dreadnode platform API, served by the gateway. \
                       Errors use the canonical envelope `{code, detail, type, errors?}`."
    ),
    paths(
        handlers::get_user::get_user,
        handlers::change_username::change_username,
        handlers::create_api_key::create_api_key,
        handlers::revoke_own_key::revoke_own_api_key,
        handlers::organizations::list_organizations,
        handlers::platform_info::preferences,
        handlers::platform_info::limits,
        handlers::device_code::create_device_code,
        handlers::device_status::get_device_code,
        handlers::device_token::exchange_device_code,
        handlers::organizations::get_organization,
        handlers::organizations::list_workspaces,
        handlers::organizations::get_workspace,
        handlers::organizations::list_projects,
        handlers::organizations::get_project,
        handlers::platform_info::health,
        handlers::platform_info::config
    ),
    components(schemas(
        platform_account::DeviceCode,
        platform_account::DeviceTokenRequest,
        platform_account::DeviceToken,
        platform_account::CreateApiKey,
        platform_account::UserApiKey,
        platform_account::Organization,
        platform_account::Workspace,
        platform_account::Project,
        platform_account::HealthCheck,
        platform_account::PlatformConfig,
        platform_account::UsageLimits,
        platform_account::Preferences,
        platform::User,
        platform::UserTeam,
        platform::UserGroup,
        platform::TeamRole,
        platform::ChangeUsername,
        platform::ErrorEnvelope,
        platform::ErrorItem
    )),
    modifiers(&PLATFORM_SECURITY),
    tags(
        (name = "user", description = "The current user, its API keys, preferences and limits"),
        (name = "auth", description = "Device login (`dreadnode login`)"),
        (name = "organizations", description = "The caller's organizations, workspaces and projects"),
        (name = "platform", description = "Health and configuration")
    )
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

/// `users-me` (ZenML Pro): API-key and device login, the current user, organizations and
/// workspaces.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "users-me (ZenML Pro-compatible)",
        version = "1",
        description = "The current user of the ZenML Pro API, served by the gateway. Errors are \
                       `{\"detail\": [\"<ExceptionClass>\", \"<message>\"]}`."
    ),
    paths(
        handlers::login::login,
        handlers::device_authorization::device_authorization,
        handlers::get_me::get_me,
        handlers::patch_me::patch_me,
        handlers::pro_tenancy::list_organizations,
        handlers::pro_tenancy::get_organization,
        handlers::pro_tenancy::list_workspaces,
        handlers::pro_tenancy::get_workspace
    ),
    components(schemas(
        users_me_account::DeviceAuthorizationForm,
        users_me_account::DeviceAuthorizationResponse,
        users_me_account::OAuthError,
        users_me_account::OrganizationRead,
        users_me_account::WorkspaceRead,
        users_me_account::ZenmlService,
        users_me::LoginForm,
        users_me::TokenResponse,
        users_me::UserResponse,
        users_me::UserUpdate,
        users_me::ErrorDetail
    )),
    modifiers(&USERS_ME_SECURITY),
    tags(
        (name = "auth", description = "API-key login and device login (`zenml login --pro`)"),
        (name = "users", description = "The current user"),
        (name = "organizations", description = "The caller's organizations"),
        (name = "workspaces", description = "The caller's organizations' workspaces")
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
