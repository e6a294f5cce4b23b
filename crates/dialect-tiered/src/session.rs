//! Opening a project session outside a request, for the server's `serve --demo`: a refresh
//! session of the user bound to the project (as `POST /admin/projects/{id}/users/{user_id}/sessions`
//! opens one) and an access token minted from it with the gateway-wide signing key, issued under
//! the given public base URL (the `iss` the surface checks).

use chrono::{DateTime, Utc};
use gateway_core::{CoreError, Gateway, Surface, UserId};
use uuid::Uuid;

use crate::tokens::{ACCESS_TOKEN_LIFETIME, KeyCell, SESSION_LIFETIME, SigningKey};

/// A session as opened: its tokens in clear (shown once).
pub struct OpenedSession {
    /// ES256 access token (10 minutes; the SDK refreshes it with the refresh token).
    pub access_token: String,
    /// Refresh token (one year).
    pub refresh_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("access_token_expires_at", &self.access_token_expires_at)
            .finish_non_exhaustive()
    }
}

/// Opens a session of `user_id` in `project_id` and mints its first access token; `base_url` is
/// the gateway's public base URL (`server.public_base_url`, else the listener's).
pub async fn open_session(
    gateway: &Gateway,
    base_url: &str,
    project_id: Uuid,
    user_id: UserId,
) -> Result<OpenedSession, CoreError> {
    let issued = gateway
        .open_project_session(project_id, user_id, Surface::Users, SESSION_LIFETIME, false)
        .await?;
    let user = gateway.user(user_id).await?;
    let key = KeyCell::default().get(gateway).await?;
    let now = gateway_core::service::now();
    let claims = SigningKey::claims(
        base_url.trim_end_matches('/'),
        &project_id.to_string(),
        &user,
        &issued.session.id.to_string(),
        now,
        ACCESS_TOKEN_LIFETIME,
    );
    Ok(OpenedSession {
        access_token: key.sign(&claims)?,
        refresh_token: issued.refresh_token,
        access_token_expires_at: now + ACCESS_TOKEN_LIFETIME,
    })
}
