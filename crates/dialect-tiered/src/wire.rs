//! The wire types of this surface (snake_case JSON): the user read object for both caller tiers,
//! the selected team, the update body, the token endpoint's answers and the admin API's project
//! bodies. Tier-gated fields are `Option` with `skip_serializing_if`; a gated field whose value
//! may itself be `null` is `Option<Option<_>>` or `Option<Value>` (outer = tier, inner = value).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::tokens::RestrictedReason;

/// `restricted_reason` of a read object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RestrictedReasonRead {
    /// `anonymous`, `email_not_verified` or `restricted_by_administrator`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl From<RestrictedReason> for RestrictedReasonRead {
    fn from(r: RestrictedReason) -> Self {
        let RestrictedReason { kind } = r;
        Self { kind }
    }
}

/// One OAuth account of the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OAuthProviderRead {
    /// OAuth provider id, e.g. `google`.
    pub id: String,
    /// The user's account id at the provider.
    pub account_id: String,
    /// The email the provider reported, if any.
    pub email: Option<String>,
}

/// Sign-up risk scores, each an integer 0-100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignUpRiskScores {
    /// Likelihood that the sign-up was a bot.
    pub bot: i64,
    /// Likelihood of free-trial abuse.
    pub free_trial_abuse: i64,
}

/// User risk scores used for sign-up risk evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RiskScores {
    /// Scores computed at sign-up.
    pub sign_up: SignUpRiskScores,
}

/// The selected team. Client view: id, name, image and the two client metadata tiers; server
/// view adds `created_at_millis` and `server_metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TeamRead {
    /// Team id.
    pub id: String,
    /// Team name.
    pub display_name: String,
    /// Team image URL.
    pub profile_image_url: Option<String>,
    /// Creation time, ms since the epoch (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at_millis: Option<i64>,
    /// Client metadata of the team.
    pub client_metadata: Value,
    /// Client read-only metadata of the team.
    pub client_read_only_metadata: Value,
    /// Server metadata of the team (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_metadata: Option<Value>,
}

/// The user read object (spec §6.1). Fields marked "server view only" are present only for
/// server and admin callers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserRead {
    /// The unique identifier of the user.
    pub id: String,
    /// Primary email.
    pub primary_email: Option<String>,
    /// Whether the primary email has been verified to belong to this user.
    pub primary_email_verified: bool,
    /// Whether the primary email is used for authentication (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_email_auth_enabled: Option<bool>,
    /// Human-readable user display name. This is not a unique identifier.
    pub display_name: Option<String>,
    /// URL of the profile image for user (a URL or base64 image data).
    pub profile_image_url: Option<String>,
    /// The time the user signed up (ms since the epoch).
    pub signed_up_at_millis: i64,
    /// The time the user was last active (ms since the epoch; server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_active_at_millis: Option<i64>,
    /// Whether the user has a password set.
    pub has_password: bool,
    /// Deprecated: whether the user can authenticate with the primary email.
    pub auth_with_email: bool,
    /// The user's OAuth accounts.
    pub oauth_providers: Vec<OAuthProviderRead>,
    /// ID of the team currently selected by the user.
    pub selected_team_id: Option<String>,
    /// The team currently selected by the user.
    pub selected_team: Option<TeamRead>,
    /// Deprecated: whether the user must use TOTP to sign in.
    pub requires_totp_mfa: bool,
    /// Whether OTP / magic-link sign-in is enabled.
    pub otp_auth_enabled: bool,
    /// Whether the user has passkeys enabled.
    pub passkey_auth_enabled: bool,
    /// Client metadata: readable and writable by the user's client.
    pub client_metadata: Value,
    /// Client read-only metadata: readable by the client, writable only by servers.
    pub client_read_only_metadata: Value,
    /// Server metadata: never shown to clients (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_metadata: Option<Value>,
    /// Whether the user is anonymous.
    pub is_anonymous: bool,
    /// Whether the user is in restricted state (`restricted_reason` is set exactly then).
    pub is_restricted: bool,
    /// Why the user is restricted, or null.
    pub restricted_reason: Option<RestrictedReasonRead>,
    /// Whether the user is restricted by an administrator.
    pub restricted_by_admin: bool,
    /// Public reason of the restriction (null unless `restricted_by_admin`).
    pub restricted_by_admin_reason: Option<String>,
    /// Private details of the restriction (server view only; null unless `restricted_by_admin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub restricted_by_admin_private_details: Option<Option<String>>,
    /// ISO country code captured at sign-up (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub country_code: Option<Option<String>>,
    /// Risk scores (server view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_scores: Option<RiskScores>,
}

/// The update body after validation (spec §5.1). Every field is optional; `None` = not sent.
/// Client callers may send only `display_name`, `profile_image_url`, `client_metadata`,
/// `selected_team_id`, `totp_secret_base64`, `otp_auth_enabled`, `passkey_auth_enabled` and
/// `primary_email`; any other key is an unknown property (400 `SCHEMA_ERROR`).
#[derive(Debug, Clone, Default, PartialEq, ToSchema)]
pub struct UserUpdate {
    /// Display name, ≤ 256 characters; `""` is stored as null.
    #[schema(value_type = Option<String>, nullable, max_length = 256)]
    pub display_name: Option<Option<String>>,
    /// Profile image URL, ≤ 1,000,000 characters; client writes must be base64 image data.
    #[schema(value_type = Option<String>, nullable, max_length = 1000000)]
    pub profile_image_url: Option<Option<String>>,
    /// Client metadata (any JSON).
    pub client_metadata: Option<Value>,
    /// Client read-only metadata (any JSON; server only).
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata (any JSON; server only).
    pub server_metadata: Option<Value>,
    /// Primary email; not `""`.
    #[schema(value_type = Option<String>, nullable, format = Email)]
    pub primary_email: Option<Option<String>>,
    /// Whether the primary email is verified (server only; `true` needs an email).
    pub primary_email_verified: Option<bool>,
    /// Whether the primary email is used for sign-in (server only; `true` needs an email).
    pub primary_email_auth_enabled: Option<bool>,
    /// Only `false` (removes the passkey).
    pub passkey_auth_enabled: Option<bool>,
    /// New password, ≤ 70 characters, or null to remove it (server only). Revokes every refresh
    /// token of the user.
    #[schema(value_type = Option<String>, nullable, max_length = 70)]
    pub password: Option<Option<String>>,
    /// A password hash in Modular Crypt Format (server only; exclusive with `password`).
    pub password_hash: Option<String>,
    /// OTP / magic-link sign-in.
    pub otp_auth_enabled: Option<bool>,
    /// TOTP secret (base64), or null to disable TOTP.
    #[schema(value_type = Option<String>, nullable)]
    pub totp_secret_base64: Option<Option<String>>,
    /// Selected team (UUID of a team the user belongs to), or null.
    #[schema(value_type = Option<String>, nullable, format = Uuid)]
    pub selected_team_id: Option<Option<uuid::Uuid>>,
    /// Only `false` (server only).
    pub is_anonymous: Option<bool>,
    /// Restricted by an administrator (server only).
    pub restricted_by_admin: Option<bool>,
    /// Public restriction reason (server only; needs `restricted_by_admin`; `""` = null).
    #[schema(value_type = Option<String>, nullable)]
    pub restricted_by_admin_reason: Option<Option<String>>,
    /// Private restriction details (server only; needs `restricted_by_admin`; `""` = null).
    #[schema(value_type = Option<String>, nullable)]
    pub restricted_by_admin_private_details: Option<Option<String>>,
    /// 2-letter country code, normalised (server only).
    #[schema(value_type = Option<String>, nullable)]
    pub country_code: Option<Option<String>>,
    /// Risk scores, integers 0-100 (server only).
    pub risk_scores: Option<RiskScores>,
}

/// The `next_cursor` of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Pagination {
    /// Id of the first user of the next page; null on the last page or without `limit`.
    #[schema(format = Uuid, required = true)]
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/users` answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserPage {
    /// The users of the page (server read objects).
    pub items: Vec<UserRead>,
    /// Always `true`.
    pub is_paginated: bool,
    /// Where the next page starts.
    pub pagination: Pagination,
}

/// One OAuth account of a created user.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
pub struct OAuthProviderCreate {
    /// Provider id; no provider is configured in the gateway, so any entry is refused
    /// (400 `OAuth provider <id> not found`).
    pub id: String,
    /// Account id at the provider.
    pub account_id: String,
    /// Email at the provider.
    pub email: Option<String>,
}

/// `POST /api/v1/users` body (server and admin callers): the server update fields without
/// `selected_team_id`, plus `is_anonymous` (may be `true`) and `oauth_providers`. Only the
/// OpenAPI description: the handler validates the JSON itself.
#[derive(Debug, Clone, Default, PartialEq, ToSchema)]
pub struct UserCreate {
    /// Display name, ≤ 256 characters; `""` is stored as null.
    #[schema(value_type = Option<String>, nullable, max_length = 256)]
    pub display_name: Option<Option<String>>,
    /// Profile image URL, ≤ 1,000,000 characters.
    #[schema(value_type = Option<String>, nullable, max_length = 1000000)]
    pub profile_image_url: Option<Option<String>>,
    /// Client metadata (any JSON).
    pub client_metadata: Option<Value>,
    /// Client read-only metadata (any JSON).
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata (any JSON).
    pub server_metadata: Option<Value>,
    /// Primary email; not `""`; unique among all users (letter case aside).
    #[schema(value_type = Option<String>, nullable, format = Email)]
    pub primary_email: Option<Option<String>>,
    /// Whether the primary email is verified (`true` needs an email); default `false`.
    pub primary_email_verified: Option<bool>,
    /// Whether the primary email is used for sign-in (`true` needs an email); default `false`.
    pub primary_email_auth_enabled: Option<bool>,
    /// Only `false`.
    pub passkey_auth_enabled: Option<bool>,
    /// Password, ≤ 70 characters (no minimum here).
    #[schema(value_type = Option<String>, nullable, max_length = 70)]
    pub password: Option<Option<String>>,
    /// A password hash in Modular Crypt Format (exclusive with `password`).
    pub password_hash: Option<String>,
    /// OTP / magic-link sign-in.
    pub otp_auth_enabled: Option<bool>,
    /// TOTP secret (base64).
    #[schema(value_type = Option<String>, nullable)]
    pub totp_secret_base64: Option<Option<String>>,
    /// Anonymous user.
    pub is_anonymous: Option<bool>,
    /// Restricted by an administrator.
    pub restricted_by_admin: Option<bool>,
    /// Public restriction reason (must be null unless `restricted_by_admin` is `true`).
    #[schema(value_type = Option<String>, nullable)]
    pub restricted_by_admin_reason: Option<Option<String>>,
    /// Private restriction details (must be null unless `restricted_by_admin` is `true`).
    #[schema(value_type = Option<String>, nullable)]
    pub restricted_by_admin_private_details: Option<Option<String>>,
    /// 2-letter country code, normalised.
    #[schema(value_type = Option<String>, nullable)]
    pub country_code: Option<Option<String>>,
    /// Risk scores, integers 0-100 (default 0).
    pub risk_scores: Option<RiskScores>,
    /// OAuth accounts.
    pub oauth_providers: Option<Vec<OAuthProviderCreate>>,
}

/// `DELETE` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Success {
    /// Always `true`.
    pub success: bool,
}

/// The refresh-grant answer of `POST /api/v1/auth/oauth/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A new access token (ES256 JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// The refresh token, unchanged (no rotation).
    pub refresh_token: String,
    /// Always `legacy`.
    pub scope: &'static str,
    /// Always null for the refresh grant.
    #[serde(rename = "afterCallbackRedirectUrl")]
    pub after_callback_redirect_url_camel: Option<String>,
    /// Always null for the refresh grant.
    pub after_callback_redirect_url: Option<String>,
}

/// The answer of `POST /api/v1/auth/sessions/current/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefreshResponse {
    /// A new access token (ES256 JWT).
    pub access_token: String,
}

/// A session (a refresh token) as `sessionsCrudReadSchema` shows it; times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionRead {
    /// The session id (the access tokens' `refresh_token_id`).
    pub id: String,
    /// The user's id.
    pub user_id: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// When the refresh token was last used (its creation until then), ms since the epoch.
    pub last_used_at: i64,
    /// Opened by an administrator to act as the user.
    pub is_impersonation: bool,
    /// Whether the caller's access token belongs to this session.
    pub is_current_session: bool,
}

/// `GET /api/v1/auth/sessions`: every session of the user, newest first, not paginated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionList {
    /// The sessions.
    pub items: Vec<SessionRead>,
    /// Always `false`.
    pub is_paginated: bool,
}

/// `GET /api/v1/teams`: teams in creation order, not paginated.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TeamList {
    /// The teams (the caller's tier).
    pub items: Vec<TeamRead>,
    /// Always `false`.
    pub is_paginated: bool,
}

/// `POST /api/v1/team-memberships/{team_id}/{user_id}`: the new membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TeamMembershipRead {
    /// The team.
    pub team_id: String,
    /// The member.
    pub user_id: String,
}

/// One permission a member holds in a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TeamPermissionRead {
    /// The permission id (`team_admin`, `$read_members`, ...).
    pub id: String,
    /// The team.
    pub team_id: String,
    /// The member.
    pub user_id: String,
}

/// `GET /api/v1/team-permissions`: not paginated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TeamPermissionList {
    /// The permissions, by team, user and id.
    pub items: Vec<TeamPermissionRead>,
    /// Always `false`.
    pub is_paginated: bool,
}

/// `POST /api/v1/teams` body (client callers: no `client_read_only_metadata` or
/// `server_metadata`).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct TeamCreate {
    /// Team name (required; may be empty).
    pub display_name: String,
    /// Image URL (clients: a base64 image only).
    pub profile_image_url: Option<String>,
    /// The first member, an owner holding `team_admin` (a UUID or `me`; clients: themselves).
    pub creator_user_id: Option<String>,
    /// Client metadata.
    #[schema(value_type = Option<Object>)]
    pub client_metadata: Option<Value>,
    /// Client read-only metadata (server).
    #[schema(value_type = Option<Object>)]
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata (server).
    #[schema(value_type = Option<Object>)]
    pub server_metadata: Option<Value>,
}

/// `PATCH /api/v1/teams/{team_id}` body: the fields to change.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct TeamUpdate {
    /// Team name.
    pub display_name: Option<String>,
    /// Image URL (clients: a base64 image only).
    pub profile_image_url: Option<String>,
    /// Client metadata.
    #[schema(value_type = Option<Object>)]
    pub client_metadata: Option<Value>,
    /// Client read-only metadata (server).
    #[schema(value_type = Option<Object>)]
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata (server).
    #[schema(value_type = Option<Object>)]
    pub server_metadata: Option<Value>,
}

/// `value` of a user API key: the whole secret right after creation, else its last four
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserApiKeyValue {
    /// The secret, shown once.
    Whole(String),
    /// `{last_four}`.
    LastFour {
        /// The last four characters of the secret.
        last_four: String,
    },
}

/// A user API key as the vendor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserApiKeyRead {
    /// Key id.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Description.
    pub description: String,
    /// Expiry, ms since the epoch (absent: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_millis: Option<i64>,
    /// Revocation time, ms since the epoch (absent: not revoked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manually_revoked_at_millis: Option<i64>,
    /// Creation time, ms since the epoch.
    pub created_at_millis: i64,
    /// A public key (`pk_…`).
    pub is_public: bool,
    /// The secret (creation) or `{last_four}`.
    pub value: UserApiKeyValue,
    /// Always `user`.
    pub r#type: &'static str,
}

/// `GET /api/v1/user-api-keys`: not paginated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserApiKeyList {
    /// The keys, newest first.
    pub items: Vec<UserApiKeyRead>,
    /// Always `false`.
    pub is_paginated: bool,
}

/// `POST /api/v1/user-api-keys` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct UserApiKeyCreate {
    /// The owner (a UUID, or `me`); clients: themselves.
    pub user_id: String,
    /// Description (required).
    pub description: String,
    /// Expiry in ms since the epoch; `null` or `0`: never. Required.
    pub expires_at_millis: Option<i64>,
    /// A public key (`pk_…`), default false.
    pub is_public: Option<bool>,
}

/// `PATCH /api/v1/user-api-keys/{api_key_id}` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct UserApiKeyUpdate {
    /// New description.
    pub description: Option<String>,
    /// `true` revokes the key.
    pub revoked: Option<bool>,
}

/// `POST /api/v1/user-api-keys/check` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct UserApiKeyCheck {
    /// The key's secret.
    pub api_key: String,
}

/// `POST /api/v1/auth/sessions`: a new session's tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionTokens {
    /// The refresh token (shown once).
    pub refresh_token: String,
    /// An access token of the session (ES256 JWT).
    pub access_token: String,
}

/// `POST /api/v1/auth/sessions` body (server and admin callers).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct SessionCreate {
    /// The user, by id or `me`.
    pub user_id: String,
    /// Lifetime in milliseconds, at most 367 days; default 365 days.
    pub expires_in_millis: Option<i64>,
    /// Whether the session impersonates the user (default `false`).
    pub is_impersonation: Option<bool>,
}

/// `GET /api/v1/projects/current`: the project as the vendor's `projectsCrudClientReadSchema`
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProjectRead {
    /// The project id.
    pub id: String,
    /// The project's name.
    pub display_name: String,
    /// What the project allows, as the gateway serves it.
    pub config: ProjectConfigRead,
}

/// The sign-in methods and switches of a project (`config` of the client project object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProjectConfigRead {
    /// New accounts may sign up.
    pub sign_up_enabled: bool,
    /// Email and password sign-in.
    pub credential_enabled: bool,
    /// Magic link / OTP sign-in.
    pub magic_link_enabled: bool,
    /// Passkey sign-in.
    pub passkey_enabled: bool,
    /// Clients may create teams.
    pub client_team_creation_enabled: bool,
    /// Clients may delete their own user.
    pub client_user_deletion_enabled: bool,
    /// User API keys.
    pub allow_user_api_keys: bool,
    /// Team API keys.
    pub allow_team_api_keys: bool,
    /// OAuth providers that sign in (`{id, type, provider_config_id}` each).
    #[schema(value_type = Vec<Object>)]
    pub enabled_oauth_providers: Vec<serde_json::Value>,
    /// Trusted domains (`{domain, handler_path}` each).
    #[schema(value_type = Vec<Object>)]
    pub domains: Vec<serde_json::Value>,
}

/// The answer of a password sign-up or sign-in: a new session's tokens and the user's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SignedIn {
    /// An access token of the new session (ES256 JWT).
    pub access_token: String,
    /// The new session's refresh token.
    pub refresh_token: String,
    /// The user's id.
    pub user_id: String,
    /// OTP sign-in only: whether this sign-in created the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_new_user: Option<bool>,
}

/// `POST /api/v1/auth/password/sign-up` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct PasswordSignUp {
    /// The email to sign in with (at most 256 characters, with a dot in the domain).
    pub email: String,
    /// The password: 8 to 70 characters.
    pub password: String,
    /// Where the verification e-mail's link points (accepted; no e-mail is sent yet).
    pub verification_callback_url: Option<String>,
    /// Bot challenge (accepted, unused).
    pub bot_challenge_token: Option<String>,
    /// Bot challenge (accepted, unused).
    pub bot_challenge_phase: Option<String>,
    /// Bot challenge (accepted, unused).
    pub bot_challenge_unavailable: Option<String>,
}

/// `POST /api/v1/auth/password/update` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct PasswordUpdate {
    /// The current password.
    pub old_password: String,
    /// The new password: 8 to 70 characters.
    pub new_password: String,
}

/// `POST /api/v1/auth/password/send-reset-code` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct SendResetCode {
    /// The address of the account (the answer does not tell whether one exists).
    pub email: String,
    /// Where the mailed link points (`?code=` is set on it); a loopback URL.
    pub callback_url: String,
}

/// The answer of `send-reset-code`, sent or not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct MaybeSent {
    /// Always `"maybe, only if user with e-mail exists"`.
    pub success: String,
}

/// `POST /api/v1/auth/otp/send-sign-in-code` body (and the bot-challenge strings, accepted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct SendSignInCode {
    /// The address to sign in (or up) with.
    pub email: String,
    /// Where the magic link points (`?code=` is set on it); a loopback URL.
    pub callback_url: String,
}

/// The answer of `send-sign-in-code`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct Nonce {
    /// The code without its first 6 characters (the mailed OTP): `OTP + nonce` signs in.
    pub nonce: String,
}

/// A contact channel (the same for every access type).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct ContactChannelRead {
    /// Whose.
    pub user_id: String,
    /// The channel's id: derived from the user and the value (a new value, a new id).
    pub id: String,
    /// `email`, the only type.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// The address.
    pub value: String,
    /// The user's primary email.
    pub is_primary: bool,
    /// Proven to belong to the user.
    pub is_verified: bool,
    /// Signs the user in (password, one-time code).
    pub used_for_auth: bool,
}

/// A `POST /api/v1/contact-channels` body; unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct ContactChannelCreate {
    /// `me` or a user id; a client must name its own user.
    pub user_id: String,
    /// An email address.
    pub value: String,
    /// `email`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// Signs the user in; no other user may sign in with the address.
    pub used_for_auth: bool,
    /// Becomes the primary email (the primary before stays as an other channel).
    pub is_primary: Option<bool>,
    /// Servers and admins only.
    pub is_verified: Option<bool>,
}

/// A `PATCH /api/v1/contact-channels/{user_id}/{id}` body; absent keys are kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct ContactChannelUpdate {
    /// A new address: unverified unless `is_verified` says otherwise, and a new id.
    pub value: Option<String>,
    /// `email`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: Option<String>,
    /// Signs the user in.
    pub used_for_auth: Option<bool>,
    /// `true`: becomes the primary email; `false`: the user has no primary email after.
    pub is_primary: Option<bool>,
    /// Servers and admins only.
    pub is_verified: Option<bool>,
}

/// A `send-verification-code` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct CallbackUrl {
    /// Where the mailed link points (`?code=` is set on it); a loopback URL.
    pub callback_url: String,
}

/// `POST /api/v1/auth/password/reset` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct ResetPassword {
    /// The mailed code: 45 characters.
    pub code: String,
    /// The new password: 8 to 70 characters.
    pub password: String,
}

/// `POST /api/v1/auth/password/reset/check-code` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct CheckCode {
    /// The mailed code: 45 characters.
    pub code: String,
}

/// The answer of a check-code route.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct CodeValid {
    /// Always `true` (a code that would not act is an error).
    pub is_code_valid: bool,
}

/// `POST /api/v1/auth/password/set` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct PasswordSet {
    /// The password: 8 to 70 characters.
    pub password: String,
}

/// `POST /api/v1/auth/password/sign-in` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ToSchema)]
pub struct PasswordSignIn {
    /// The sign-in email (not empty).
    pub email: String,
    /// The password (at most 70 characters).
    pub password: String,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// `POST /admin/projects` body (gateway admin API, not a vendor route).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Human-readable name.
    pub display_name: String,
    /// Require the publishable client key on client requests (default false).
    #[serde(default)]
    pub require_publishable_client_key: bool,
    /// Let clients delete their own user (default false).
    #[serde(default)]
    pub allow_client_user_deletion: bool,
    /// Let clients create teams (default false).
    #[serde(default)]
    pub client_team_creation_enabled: bool,
    /// Give every new user a personal team, selected (default false).
    #[serde(default)]
    pub create_team_on_sign_up: bool,
    /// Users may have API keys (the vendor's `allow_user_api_keys`).
    #[serde(default)]
    pub allow_user_api_keys: bool,
    /// New users may sign up (the vendor's `sign_up_enabled`; default true).
    #[serde(default = "yes")]
    pub sign_up_enabled: bool,
    /// Password sign-up and sign-in (the vendor's `credential_enabled`; default true).
    #[serde(default = "yes")]
    pub credential_enabled: bool,
    /// One-time-code sign-in (the vendor's `magic_link_enabled`; default true).
    #[serde(default = "yes")]
    pub magic_link_enabled: bool,
}

fn yes() -> bool {
    true
}

/// `PATCH /admin/projects/{id}` body: settings to change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    /// New name.
    pub display_name: Option<String>,
    /// New `require_publishable_client_key`.
    pub require_publishable_client_key: Option<bool>,
    /// New `allow_client_user_deletion`.
    pub allow_client_user_deletion: Option<bool>,
    /// Clients may create teams (the vendor's `client_team_creation_enabled`).
    pub client_team_creation_enabled: Option<bool>,
    /// A new user gets a personal team, selected (the vendor's `create_team_on_sign_up`).
    pub create_team_on_sign_up: Option<bool>,
    /// Users may have API keys (the vendor's `allow_user_api_keys`).
    pub allow_user_api_keys: Option<bool>,
    /// New users may sign up (the vendor's `sign_up_enabled`).
    pub sign_up_enabled: Option<bool>,
    /// Password sign-up and sign-in (the vendor's `credential_enabled`).
    pub credential_enabled: Option<bool>,
    /// One-time-code sign-in (the vendor's `magic_link_enabled`).
    pub magic_link_enabled: Option<bool>,
}

/// A project as the admin API shows it (never the keys, except once at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectView {
    /// Project id.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Client requests must carry the publishable key.
    pub require_publishable_client_key: bool,
    /// Clients may delete their own user.
    pub allow_client_user_deletion: bool,
    /// Clients may create teams (the vendor's `client_team_creation_enabled`).
    pub client_team_creation_enabled: bool,
    /// A new user gets a personal team, selected (the vendor's `create_team_on_sign_up`).
    pub create_team_on_sign_up: bool,
    /// Users may have API keys (the vendor's `allow_user_api_keys`).
    pub allow_user_api_keys: bool,
    /// New users may sign up (the vendor's `sign_up_enabled`).
    pub sign_up_enabled: bool,
    /// Password sign-up and sign-in (the vendor's `credential_enabled`).
    pub credential_enabled: bool,
    /// One-time-code sign-in (the vendor's `magic_link_enabled`).
    pub magic_link_enabled: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// The publishable client key, only in the creation answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publishable_client_key: Option<String>,
    /// The secret server key, only in the creation answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_server_key: Option<String>,
}

/// `POST /admin/projects/{id}/users/{user_id}/sessions` body (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintSession {
    /// Lifetime of the access token in seconds (default 600). Test suites may pass a negative
    /// value to get an already expired token.
    pub access_token_ttl_secs: Option<i64>,
    /// Lifetime of the refresh token in seconds (default one year).
    pub refresh_token_ttl_secs: Option<i64>,
}

/// The minted credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MintedSession {
    /// The project.
    pub project_id: String,
    /// The user.
    pub user_id: String,
    /// The refresh session id (`refresh_token_id` claim).
    pub refresh_token_id: String,
    /// Access token (ES256 JWT).
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// Access token expiry (RFC 3339).
    pub access_token_expires_at: String,
}
