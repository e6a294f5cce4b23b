//! Wire types of the `users-me` surface's account routes, as `zenml` 0.98.0 reads them: the
//! OAuth 2.0 device authorization (`zenml/models/v2/misc/auth_models.py`, `zenml/exceptions.py`
//! `OAuthError`), and the ZenML Pro organizations and workspaces
//! (`zenml/login/pro/{organization,workspace}/models.py`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /auth/device_authorization` form (`OAuthDeviceAuthorizationRequest`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DeviceAuthorizationForm {
    /// The CLI's client id (ZenML sends its installation's UUID).
    pub client_id: Option<String>,
}

/// `POST /auth/device_authorization` answer (`OAuthDeviceAuthorizationResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceAuthorizationResponse {
    /// The code the CLI polls `POST /auth/login` with.
    pub device_code: String,
    /// The code the person checks on the approval page (`XXXX-XXXX`).
    pub user_code: String,
    /// The gateway's approval page.
    pub verification_uri: String,
    /// The approval page with the user code filled in.
    pub verification_uri_complete: String,
    /// Seconds until the codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i32,
}

/// An OAuth 2.0 error (RFC 6749 §5.2, RFC 8628 §3.5): the only body ZenML's client accepts on a
/// device-grant 400, so it holds nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OAuthError {
    /// `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, `invalid_grant`,
    /// `invalid_request` or `unsupported_grant_type`.
    pub error: &'static str,
    /// A sentence for people.
    pub error_description: String,
}

/// An organization (`OrganizationRead`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrganizationRead {
    /// The team's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The team's name.
    pub name: String,
    /// The team's name.
    pub display_name: String,
    /// Description (none).
    pub description: Option<String>,
    /// Creation time.
    pub created: String,
    /// Last change (the creation time: teams keep no change time).
    pub updated: String,
}

/// A workspace (`WorkspaceRead`): an organization's one default workspace.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkspaceRead {
    /// Stable id.
    #[schema(format = Uuid)]
    pub id: String,
    /// `<organization key>-main`.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Description (none).
    pub description: Option<String>,
    /// The organization, nested.
    pub organization: OrganizationRead,
    /// The organization's id.
    #[schema(format = Uuid)]
    pub organization_id: String,
    /// `not_initialized`: no ZenML server runs behind the gateway.
    pub desired_state: &'static str,
    /// Why.
    pub state_reason: &'static str,
    /// `not_initialized`.
    pub status: &'static str,
    /// The workspace's ZenML server (none).
    pub zenml_service: ZenmlService,
}

/// A workspace's ZenML server (`ZenMLServiceRead`): none runs, so both parts are `null`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ZenmlService {
    /// The server's configuration (`null`).
    #[schema(value_type = Option<Object>)]
    pub configuration: Option<serde_json::Value>,
    /// The server's status and URL (`null`).
    #[schema(value_type = Option<Object>)]
    pub status: Option<serde_json::Value>,
}
