//! `POST /admin/projects/{id}/users/{user_id}/sessions`: opens a refresh session of the user in
//! the project and mints an access token from it, for test suites and local use. The optional
//! `access_token_ttl_secs` may be negative to get an already expired token; both lifetimes are
//! bounded to ten years (`gateway_core::validate::ttl_secs`).

use actix_web::{
    HttpRequest, HttpResponse,
    web::{Bytes, Data},
};
use chrono::Duration;
use gateway_core::{CoreError, Field, FieldIssue, Gateway, IssueCode, Surface, UserId, validate};

use crate::{
    handlers::{
        admin::{AdminError, path_uuid},
        mint,
    },
    tokens::ACCESS_TOKEN_LIFETIME,
    wire::{MintSession, MintedSession},
};

/// Refresh sessions minted here live as long as the vendor's (one year) unless told otherwise.
pub(crate) const REFRESH_LIFETIME: Duration = Duration::days(365);

/// Mints a session for a user in a project.
pub async fn mint_session(
    req: HttpRequest,
    gateway: Data<Gateway>,
    body: Bytes,
) -> Result<HttpResponse, AdminError> {
    let project_id = path_uuid(&req, "id", "project")?;
    let user_id = UserId(path_uuid(&req, "user_id", "user")?);
    let MintSession {
        access_token_ttl_secs,
        refresh_token_ttl_secs,
    } = if body.iter().all(u8::is_ascii_whitespace) {
        // No body: every default.
        MintSession::default()
    } else {
        // A wrongly typed number (`1.5`, `1e300`, 40 digits) is refused, never ignored.
        serde_json::from_slice(&body).map_err(|e| {
            CoreError::validation(vec![FieldIssue::new(
                Field::Other("body"),
                IssueCode::InvalidFormat,
                format!("invalid request body: {e}"),
            )])
        })?
    };
    // Client numbers are bounded before they meet a date (`now + ttl` panics on overflow):
    // refresh 1 s..10 years; access -10..10 years (negative: an already expired token).
    let refresh_ttl = refresh_token_ttl_secs.map_or(Ok(REFRESH_LIFETIME), |s| {
        validate::ttl_secs("refresh_token_ttl_secs", s, false)
    });
    let access_ttl = access_token_ttl_secs.map_or(Ok(ACCESS_TOKEN_LIFETIME), |s| {
        validate::ttl_secs("access_token_ttl_secs", s, true)
    });
    let issues: Vec<FieldIssue> = [refresh_ttl.as_ref().err(), access_ttl.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (Ok(refresh_ttl), Ok(access_ttl)) = (refresh_ttl, access_ttl) else {
        return Err(CoreError::validation(issues).into());
    };
    let issued = gateway
        .open_project_session(project_id, user_id, Surface::Users, refresh_ttl)
        .await?;
    let user = gateway.user(user_id).await?;
    let session_id = issued.session.id.to_string();
    let (access_token, expires_at) = mint(
        &req,
        &gateway,
        &project_id.to_string(),
        &user,
        &session_id,
        access_ttl,
    )
    .await
    .map_err(|e| match e {
        crate::error::TieredError::Internal(core) => AdminError(core),
        other => AdminError(CoreError::internal(other.to_string())),
    })?;
    Ok(HttpResponse::Created().json(MintedSession {
        project_id: project_id.to_string(),
        user_id: user_id.to_string(),
        refresh_token_id: session_id,
        access_token,
        refresh_token: issued.refresh_token,
        access_token_expires_at: expires_at.to_rfc3339(),
    }))
}
