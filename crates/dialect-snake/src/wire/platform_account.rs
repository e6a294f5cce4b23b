//! Wire types of the `platform` surface's account routes around the current user, as the
//! `dreadnode` 2.0.52 CLI and SDK read them (`dreadnode/app/api/models.py`): the device login,
//! user API keys, organizations with their workspace and project, and the platform's health,
//! config, preferences and limits.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Sent;

/// `POST /api/v1/auth/device/code` answer, and `GET /api/v1/auth/device/code/{device_code}` while
/// it stands (the fields of the platform's `DeviceCodeResponse`, with `user_id` once approved).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceCode {
    /// The device login's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether it was approved.
    pub completed: bool,
    /// The code the CLI polls with and exchanges (a secret of the CLI): in the answer that starts
    /// the login only, never echoed by a poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_code: Option<String>,
    /// The code the person checks on the approval page (`XXXX-XXXX`).
    pub user_code: String,
    /// The approval page with the user code filled in.
    pub verification_url: String,
    /// When the codes expire.
    pub expires_at: String,
    /// Seconds until they expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i32,
    /// The user who approved it; `null` while pending.
    #[schema(format = Uuid)]
    pub user_id: Option<String>,
}

/// `POST /api/v1/auth/device/token` body.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DeviceTokenRequest {
    /// The device code of `POST /api/v1/auth/device/code`.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    pub device_code: Sent<String>,
}

/// `POST /api/v1/auth/device/token` answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceToken {
    /// A platform access token (`Authorization: Bearer`).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
}

/// `POST /api/v1/user/api-keys` body (`create_api_key_with_jwt`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// A label (at most 100 characters).
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 100, example = "dreadnode-1a2b3c")]
    pub name: Sent<String>,
    /// Accepted; every key may revoke itself (`DELETE /api/v1/user/api-keys/self`).
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub allow_self_revoke: Sent<bool>,
}

/// A user API key (`UserAPIKey`); `key` only in the creation answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserApiKey {
    /// The key's public id.
    pub id: String,
    /// The whole key, shown once.
    pub key: Option<String>,
    /// The key with its secret masked.
    pub masked_key: String,
    /// Whether it is usable.
    pub active: bool,
    /// Its label.
    pub name: Option<String>,
    /// Scopes (the gateway has none: `null`).
    pub allowed_scopes: Option<Vec<String>>,
    /// Creation time.
    pub created_at: String,
    /// Last use (not tracked: `null`).
    pub last_used_at: Option<String>,
}

/// An organization (`Organization`): a core team the user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Organization {
    /// The team's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The team's name.
    pub name: String,
    /// The URL key (`[a-z0-9-]+`).
    pub key: String,
    /// Description (none).
    pub description: Option<String>,
    /// Always true.
    pub is_active: bool,
    /// Always false.
    pub allow_external_invites: bool,
    /// Sandbox limits the gateway does not enforce (the platform's defaults).
    pub effective_max_sandbox_runtime_seconds: i64,
    /// Where the limit comes from (`platform`).
    pub max_sandbox_runtime_source_level: &'static str,
    /// See `effective_max_sandbox_runtime_seconds`.
    pub effective_default_sandbox_runtime_seconds: i64,
    /// See `max_sandbox_runtime_source_level`.
    pub default_sandbox_runtime_source_level: &'static str,
    /// See `effective_max_sandbox_runtime_seconds`.
    pub platform_max_sandbox_runtime_seconds: i64,
    /// See `effective_max_sandbox_runtime_seconds`.
    pub platform_default_sandbox_runtime_seconds: i64,
    /// Whether the caller may manage members (owners).
    pub can_manage_members: bool,
    /// Creation time.
    pub created_at: String,
    /// Last change (the creation time: teams keep no change time).
    pub updated_at: String,
}

/// A workspace (`Workspace`): an organization's one default workspace.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Workspace {
    /// Stable id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL key (`main`).
    pub key: String,
    /// The organization's id.
    #[schema(format = Uuid)]
    pub org_id: String,
    /// The organization's name.
    pub org_name: String,
    /// Always true.
    pub is_active: bool,
    /// Always true.
    pub is_default: bool,
    /// Projects in it (1).
    pub project_count: i64,
    /// Creation time (the organization's).
    pub created_at: String,
    /// Last change (the organization's creation time).
    pub updated_at: String,
}

/// A project (`Project`): a workspace's one default project.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Project {
    /// Stable id.
    #[schema(format = Uuid)]
    pub id: String,
    /// URL key (`default`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// The workspace's id.
    #[schema(format = Uuid)]
    pub workspace_id: String,
    /// Always true.
    pub is_default: bool,
    /// Creation time (the organization's).
    pub created_at: String,
    /// Last change (the organization's creation time).
    pub updated_at: String,
}

/// `GET /api/v1/health` answer (`HealthCheck`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HealthCheck {
    /// `ok`.
    pub status: &'static str,
}

/// `GET /api/v1/config` answer (`PlatformConfig`): what the platform offers; the gateway serves
/// accounts only, so every optional feature is off.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlatformConfig {
    /// The gateway's version.
    pub app_version: &'static str,
    /// `v1`.
    pub api_version: &'static str,
    /// `self-hosted`.
    pub deployment_mode: &'static str,
    /// The gateway's public base URL.
    pub website_url: String,
    /// False.
    pub airgapped: bool,
    /// False (the gateway sends no platform mail).
    pub email_configured: bool,
    /// False.
    pub recaptcha_enabled: bool,
    /// False.
    pub credits_enabled: bool,
    /// False.
    pub integrations_enabled: bool,
}

/// `GET /api/v1/user/limits` answer (`UsageLimits`): the gateway enforces no usage limits.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UsageLimits {
    /// The caller's id.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// `null`: not limited.
    #[schema(value_type = Option<Object>)]
    pub storage: Option<Value>,
    /// `null`: not limited.
    #[schema(value_type = Option<Object>)]
    pub tracked_hours: Option<Value>,
    /// False.
    pub has_warnings: bool,
    /// False.
    pub has_exceeded: bool,
    /// When this was computed.
    pub checked_at: String,
}

/// `GET /api/v1/user/preferences` answer: no models, no restriction.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Preferences {
    /// Platform models the user enabled (none).
    #[schema(value_type = Vec<Object>)]
    pub models: Vec<Value>,
    /// False.
    pub access_restricted: bool,
    /// `null` (the client's default).
    pub inference_credits_per_dollar: Option<i64>,
}
