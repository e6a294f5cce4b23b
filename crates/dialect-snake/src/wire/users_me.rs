//! Wire types of the `users-me` surface (ZenML Pro): the login form and token answer, the
//! `UserResponse` and `UserUpdate` models, and the `{"detail": [class, message]}` envelope.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Sent, chars};

/// `POST /auth/login` form (`application/x-www-form-urlencoded`). The API key may come in
/// `password`, in `Authorization: Bearer`, or in both (then they must be equal). The other
/// OAuth2 password-grant fields are accepted and ignored.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LoginForm {
    /// The ZenML Pro API key (`ZENPROKEY_...`).
    #[schema(example = "ZENPROKEY_0123456789abcdef_secret")]
    pub password: Option<String>,
    /// `urn:ietf:params:oauth:grant-type:device_code` to poll a device login; absent for an
    /// API-key login.
    pub grant_type: Option<String>,
    /// The device code of `POST /auth/device_authorization` (device grant).
    pub device_code: Option<String>,
    /// The client id sent to `POST /auth/device_authorization` (device grant).
    pub client_id: Option<String>,
}

/// `POST /auth/login` answer (`OAuthTokenResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token, sent back as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
}

/// Model for user updates. `null` or an absent field leaves the value unchanged; unknown fields
/// are ignored.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, garde::Validate)]
pub struct UserUpdate {
    /// New password, 1-70 characters; stored hashed, never returned.
    #[serde(default)]
    #[garde(custom(chars::<1, 70>))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 70)]
    pub password: Sent<String>,
    /// Whether the password must be changed (superusers only).
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<bool>)]
    pub password_expired: Sent<bool>,
    /// The name of the user.
    #[serde(default)]
    #[garde(custom(chars::<1, 50>))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50)]
    pub name: Sent<String>,
    /// The avatar URL of the user (at most 2048 characters).
    #[serde(default)]
    #[garde(custom(chars::<0, 2048>))]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub avatar_url: Sent<String>,
    /// The company of the user.
    #[serde(default)]
    #[garde(custom(chars::<1, 50>))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50)]
    pub company: Sent<String>,
    /// The job title of the user.
    #[serde(default)]
    #[garde(custom(chars::<1, 50>))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50)]
    pub job_title: Sent<String>,
    /// Additional metadata associated with the user (a JSON object).
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Sent<Map<String, Value>>,
    /// New username: 1-50 characters of `[a-zA-Z0-9_\-@.]`, or an email address. Not possible
    /// for OAuth2 user accounts.
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50, pattern = r"^[a-zA-Z0-9_\-@.]+$")]
    pub username: Sent<String>,
    /// New email address. Not possible for OAuth2 user accounts.
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Sent<String>,
    /// Whether the account is active (superusers only).
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<bool>)]
    pub is_active: Sent<bool>,
    /// Whether the user has completed onboarding.
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<bool>)]
    pub is_onboarded: Sent<bool>,
    /// Whether the account is a superuser (superusers only).
    #[serde(default)]
    #[garde(skip)]
    #[schema(value_type = Option<bool>)]
    pub is_superuser: Sent<bool>,
}

/// User model for displaying user account and service account information.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserResponse {
    /// Always `null`: a password is never returned.
    pub password: Option<String>,
    /// Whether the password must be changed, when known.
    pub password_expired: Option<bool>,
    /// The name of the user.
    pub name: Option<String>,
    /// The avatar URL of the user.
    pub avatar_url: Option<String>,
    /// The company of the user.
    pub company: Option<String>,
    /// The job title of the user.
    pub job_title: Option<String>,
    /// Additional metadata associated with the user.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// The user's id.
    pub id: Uuid,
    /// The unique username for the account. For OAuth2 user accounts, this is the same as the
    /// email address.
    pub username: String,
    /// The email address associated with the account.
    pub email: Option<String>,
    /// The external OAuth2 provider that the user is associated with.
    pub oauth_provider: Option<String>,
    /// The external OAuth2 ID of the user.
    pub oauth_id: Option<String>,
    /// Whether the account is active.
    pub is_active: bool,
    /// Whether the account is a superuser.
    pub is_superuser: bool,
    /// Whether the account is a service account.
    pub is_service_account: bool,
    /// The ID of the organization that the service account belongs to. Only set for service
    /// accounts.
    pub organization_id: Option<Uuid>,
    /// Whether the user has completed onboarding.
    pub is_onboarded: bool,
}

/// The error envelope: `{"detail": ["<ExceptionClass>", "<message>"]}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"detail": ["CredentialsNotValid", "authentication required"]}))]
pub struct ErrorDetail {
    /// The exception class name, then the message.
    #[schema(min_items = 2, max_items = 2)]
    pub detail: [String; 2],
}
