//! Issuing credentials for a user, shared by the admin API, the CLI and `make run`: per surface an
//! access token (with its session, so it counts as an active session) and an API key.

use chrono::Duration;
use gateway_core::{CoreError, Gateway, Surface, UserId};
use gateway_http::Tokens;
use serde::Serialize;

/// The credentials of one surface.
#[derive(Debug, Clone, Serialize)]
pub struct SurfaceCredentials {
    /// Surface name.
    pub surface: &'static str,
    /// Access token (JWT) for this surface.
    pub access_token: String,
    /// When the token expires (RFC 3339).
    pub expires_at: String,
    /// An API key for this surface; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

/// Issues a token (and, when `with_key`, an API key) for `surface`.
pub async fn issue(
    gateway: &Gateway,
    tokens: &Tokens,
    user: UserId,
    surface: Surface,
    lifetime: Option<Duration>,
    with_key: bool,
    label: Option<String>,
) -> Result<SurfaceCredentials, CoreError> {
    let lifetime = lifetime.unwrap_or(tokens.lifetime());
    let session = gateway.open_session(user, surface, lifetime).await?;
    let token = tokens.issue(user, surface, Some(session.session.id), Some(lifetime))?;
    let api_key = if with_key {
        Some(gateway.issue_api_key(user, surface, label).await?.1.text)
    } else {
        None
    };
    Ok(SurfaceCredentials {
        surface: surface.as_str(),
        access_token: token.token,
        expires_at: token
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        api_key,
    })
}

/// One credential set per surface.
pub async fn issue_all(
    gateway: &Gateway,
    tokens: &Tokens,
    user: UserId,
    lifetime: Option<Duration>,
    label: Option<String>,
) -> Result<Vec<SurfaceCredentials>, CoreError> {
    let mut out = Vec::with_capacity(Surface::ALL.len());
    for surface in Surface::ALL {
        out.push(
            issue(
                gateway,
                tokens,
                user,
                surface,
                lifetime,
                true,
                label.clone(),
            )
            .await?,
        );
    }
    Ok(out)
}
