//! Wire types of the `platform` surface (Dreadnode): the `User` model of the `dreadnode` SDK, the
//! username change request, and the canonical error envelope `{code, detail, type, errors?}`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Sent;

/// `POST /api/v1/user/username` body ("Update your username").
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ChangeUsername {
    /// The new username: 1-50 characters of `[a-zA-Z0-9_\-@.]`, or an email address; unique
    /// across users.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50, example = "jane_doe")]
    pub username: Sent<String>,
}

/// The current user, as `dreadnode.app.api.models.User` reads it. Every field is emitted, with
/// explicit nulls.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// The user's id (a UUID).
    #[schema(format = Uuid)]
    pub id: String,
    /// The user's primary email address (empty when the account has none).
    pub email_address: String,
    /// The unique username.
    pub username: String,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// User's full display name.
    pub full_name: Option<String>,
    /// Whether the user has completed onboarding.
    pub onboarding_complete: bool,
    /// Whether the user has opted in to product/marketing email.
    pub email_opt_in: bool,
    /// Whether user has platform admin privileges.
    pub is_platform_admin: bool,
    /// Feature flags enabled for the user (none are defined by the gateway).
    pub features: Vec<String>,
    /// Groups the user belongs to (none are defined by the gateway).
    pub groups: Vec<UserGroup>,
    /// The teams the user belongs to, with its role in each.
    pub teams: Vec<UserTeam>,
    /// Per-user usage limits payload; the gateway enforces none and sends `null`.
    #[schema(value_type = Option<Object>)]
    pub limits: Option<serde_json::Value>,
}

/// A group the user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserGroup {
    /// Group id.
    pub id: String,
    /// Group name.
    pub name: String,
}

/// User team response: one team of the user and its role there.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserTeam {
    /// Team ID.
    #[schema(format = Uuid)]
    pub team_id: String,
    /// Team name.
    pub team_name: String,
    /// Organization id of the team: the team's own id (a team is its own organization in the
    /// gateway, the one `GET /api/v1/user/organizations` lists).
    pub org_id: Option<String>,
    /// Organization name of the team (the team's name, see `org_id`).
    pub org_name: Option<String>,
    /// User role in team.
    pub role: TeamRole,
    /// Id of the membership (`null`: memberships have no id of their own in the gateway).
    pub member_id: Option<String>,
    /// Whether the user administers the team (true for owners).
    pub is_admin: Option<bool>,
    /// Whether the user owns the team.
    pub is_owner: Option<bool>,
}

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Owns the team.
    Owner,
    /// A member.
    Member,
}

/// Canonical API error envelope returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"code": 401, "detail": "Authentication failed", "type": "authentication_error"}))]
pub struct ErrorEnvelope {
    /// HTTP status code.
    pub code: u16,
    /// Human-readable error message.
    pub detail: String,
    /// Stable machine-readable error type.
    #[serde(rename = "type")]
    pub r#type: String,
    /// Validation errors, one per field (present on 422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<ErrorItem>>,
}

/// One validation error.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorItem {
    /// Where the validation error occurred, e.g. `["body", "username"]`.
    pub loc: Vec<String>,
    /// Human-readable validation message.
    pub msg: String,
    /// Machine-readable validation error type (`missing`, `string_type`, `string_too_long`, ...).
    #[serde(rename = "type")]
    pub r#type: String,
}
