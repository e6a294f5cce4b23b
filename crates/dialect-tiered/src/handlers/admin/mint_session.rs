//! `POST /admin/projects/{id}/users/{user_id}/sessions`: opens a refresh session of the user in
//! the project and mints an access token from it, for test suites and local use. The optional
//! `access_token_ttl_secs` may be negative to get an already expired token.

use actix_web::{
    HttpRequest, HttpResponse,
    web::{Data, Json},
};
use chrono::Duration;
use gateway_core::{CoreError, FieldIssue, Gateway, IssueCode, Surface, UserId};

use crate::{
    handlers::{
        admin::{AdminError, check, path_uuid},
        mint,
    },
    tokens::ACCESS_TOKEN_LIFETIME,
    wire::{MintSession, MintedSession},
};

/// Refresh sessions minted here live as long as the vendor's (one year) unless told otherwise.
const REFRESH_LIFETIME: Duration = Duration::days(365);

/// Mints a session for a user in a project.
pub async fn mint_session(
    req: HttpRequest,
    gateway: Data<Gateway>,
    body: Option<Json<MintSession>>,
) -> Result<HttpResponse, AdminError> {
    check(&req)?;
    let project_id = path_uuid(&req, "id", "project")?;
    let user_id = UserId(path_uuid(&req, "user_id", "user")?);
    let MintSession {
        access_token_ttl_secs,
        refresh_token_ttl_secs,
    } = body.map(Json::into_inner).unwrap_or_default();
    let refresh_ttl = match refresh_token_ttl_secs {
        None => REFRESH_LIFETIME,
        Some(s) if s > 0 => Duration::seconds(s),
        Some(_) => {
            return Err(CoreError::validation(vec![FieldIssue::new(
                "refresh_token_ttl_secs",
                IssueCode::InvalidFormat,
                "must be a positive number of seconds",
            )])
            .into());
        }
    };
    let access_ttl = access_token_ttl_secs.map_or(ACCESS_TOKEN_LIFETIME, Duration::seconds);
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
