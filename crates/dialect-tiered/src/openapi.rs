//! The OpenAPI document of this surface (`/openapi/users.json`): the vendor routes, the request
//! headers, the read objects per tier and the known-error body.

use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The body of every known error (pretty-printed on the wire).
#[derive(Debug, Serialize, ToSchema)]
pub struct KnownErrorBody {
    /// Stable code, e.g. `SCHEMA_ERROR`; equal to the `x-stack-known-error` header.
    pub code: String,
    /// Structured details, when the error has any.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// Human-readable text.
    pub error: String,
}

/// An OAuth error of the token endpoint (`invalid_request` for a missing parameter).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// OAuth error code, e.g. `invalid_request`.
    pub error: String,
    /// Human-readable description.
    pub error_description: String,
}

/// A JSON error of the token endpoint: a known error or an OAuth error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "documentation only: the handlers render these bodies themselves"
)]
pub enum TokenEndpointError {
    /// A known error.
    Known(KnownErrorBody),
    /// An OAuth error.
    OAuth(OAuthErrorBody),
}

/// The project headers of the users routes. Every name is also accepted with the
/// `x-hexclave-` prefix (which wins when both are sent).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "documentation only: the headers are read by the auth module"
)]
pub struct ProjectHeaders {
    /// `client`, `server` or `admin`.
    #[param(rename = "x-stack-access-type")]
    access_type: String,
    /// The project UUID.
    #[param(rename = "x-stack-project-id")]
    project_id: String,
    /// The branch; only `main` exists.
    #[param(rename = "x-stack-branch-id")]
    branch_id: Option<String>,
    /// The publishable client key (`pck_…`), required for client access when the project says so.
    #[param(rename = "x-stack-publishable-client-key")]
    publishable_client_key: Option<String>,
    /// The secret server key (`ssk_…`), required for server access.
    #[param(rename = "x-stack-secret-server-key")]
    secret_server_key: Option<String>,
    /// The user's access token (ES256 JWT).
    #[param(rename = "x-stack-access-token")]
    access_token: Option<String>,
    /// `true` allows anonymous (and restricted) users.
    #[param(rename = "x-stack-allow-anonymous-user")]
    allow_anonymous_user: Option<String>,
    /// `true` allows restricted users.
    #[param(rename = "x-stack-allow-restricted-user")]
    allow_restricted_user: Option<String>,
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Users API (Stack Auth / Hexclave dialect)",
        description = "The Stack Auth users API as the gateway serves it. Client callers see and write the client tier; server callers the server tier. Every request header is also accepted with the `x-hexclave-` prefix. With `x-stack-override-error-status` (or `x-hexclave-override-error-status`) present, every 4xx answer is sent as 200 with the real status in `x-stack-actual-status` and `x-hexclave-actual-status` (not listed per operation). See docs/dialects/tiered.md."
    ),
    paths(
        crate::handlers::list_users::list_users,
        crate::handlers::create_user::create_user,
        crate::handlers::get_me::get_me,
        crate::handlers::patch_me::patch_me,
        crate::handlers::delete_me::delete_me,
        crate::handlers::get_user::get_user,
        crate::handlers::patch_user::patch_user,
        crate::handlers::delete_user::delete_user,
        crate::handlers::oauth_token::oauth_token,
        crate::handlers::refresh_session::refresh_session,
        crate::handlers::anonymous_sign_up::anonymous_sign_up,
        crate::handlers::sign_up::sign_up,
        crate::handlers::sign_in::sign_in,
        crate::handlers::send_reset_code::send_reset_code,
        crate::handlers::reset_password::reset_password,
        crate::handlers::check_reset_code::check_reset_code,
        crate::handlers::send_sign_in_code::send_sign_in_code,
        crate::handlers::otp_sign_in::otp_sign_in,
        crate::handlers::check_sign_in_code::check_sign_in_code,
        crate::handlers::list_contact_channels::list_contact_channels,
        crate::handlers::create_contact_channel::create_contact_channel,
        crate::handlers::get_contact_channel::get_contact_channel,
        crate::handlers::patch_contact_channel::patch_contact_channel,
        crate::handlers::delete_contact_channel::delete_contact_channel,
        crate::handlers::send_channel_verification::send_channel_verification,
        crate::handlers::send_email_verification::send_email_verification,
        crate::handlers::verify_email::verify_email,
        crate::handlers::verify_email::check_email_code,
        crate::handlers::update_password::update_password,
        crate::handlers::set_password::set_password,
        crate::handlers::create_session::create_session,
        crate::handlers::list_sessions::list_sessions,
        crate::handlers::sign_out::sign_out,
        crate::handlers::delete_session::delete_session,
        crate::handlers::list_teams::list_teams,
        crate::handlers::create_team::create_team,
        crate::handlers::get_team::get_team,
        crate::handlers::patch_team::patch_team,
        crate::handlers::delete_team::delete_team,
        crate::handlers::add_team_member::add_team_member,
        crate::handlers::remove_team_member::remove_team_member,
        crate::handlers::list_team_permissions::list_team_permissions,
        crate::handlers::grant_team_permission::grant_team_permission,
        crate::handlers::revoke_team_permission::revoke_team_permission,
        crate::handlers::list_user_api_keys::list_user_api_keys,
        crate::handlers::create_user_api_key::create_user_api_key,
        crate::handlers::check_user_api_key::check_user_api_key,
        crate::handlers::get_user_api_key::get_user_api_key,
        crate::handlers::patch_user_api_key::patch_user_api_key,
        crate::handlers::current_project::current_project,
        crate::handlers::jwks::jwks,
        crate::handlers::health::health,
    ),
    components(schemas(
        crate::wire::UserRead,
        crate::wire::TeamRead,
        crate::wire::UserUpdate,
        crate::wire::UserCreate,
        crate::wire::OAuthProviderCreate,
        crate::wire::UserPage,
        crate::wire::Pagination,
        crate::wire::RiskScores,
        crate::wire::SignUpRiskScores,
        crate::wire::OAuthProviderRead,
        crate::wire::RestrictedReasonRead,
        crate::wire::Success,
        crate::wire::TokenResponse,
        crate::wire::RefreshResponse,
        crate::wire::ProjectRead,
        crate::wire::ProjectConfigRead,
        crate::wire::SignedIn,
        crate::wire::PasswordSignUp,
        crate::wire::PasswordSignIn,
        crate::wire::PasswordUpdate,
        crate::wire::PasswordSet,
        crate::wire::SessionRead,
        crate::wire::SessionList,
        crate::wire::SessionTokens,
        crate::wire::SessionCreate,
        crate::wire::TeamList,
        crate::wire::UserApiKeyRead,
        crate::wire::ContactChannelRead,
        crate::wire::ContactChannelCreate,
        crate::wire::ContactChannelUpdate,
        crate::wire::UserApiKeyValue,
        crate::wire::UserApiKeyList,
        crate::wire::UserApiKeyCreate,
        crate::wire::UserApiKeyUpdate,
        crate::wire::UserApiKeyCheck,
        crate::wire::TeamCreate,
        crate::wire::TeamUpdate,
        crate::wire::TeamMembershipRead,
        crate::wire::TeamPermissionRead,
        crate::wire::TeamPermissionList,
        crate::wire::Health,
        KnownErrorBody,
        OAuthErrorBody,
        TokenEndpointError,
    ))
)]
pub struct ApiDoc;

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
