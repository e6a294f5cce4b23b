//! `DELETE /api/v1/auth/sessions/current` (`signOut`): revokes the session of the caller's
//! access token. Its access tokens stay valid until they expire, as the vendor's (it deletes only
//! the refresh token); its refresh token is refused at once.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use chrono::Utc;
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    known::KnownError,
    respond,
    wire::Success,
};

/// Signs out of the current session.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions/current", tag = "Sessions",
    summary = "Sign out of the current session",
    params(crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Signed out: the refresh token of the session no longer works.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `ACCESS_TOKEN_EXPIRED` (401, a caller without an access token: the vendor's answer), `REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED` (401, the session is gone or revoked).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn sign_out(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let Some(session_id) = caller.session_id else {
        // The vendor's answer to a caller without an access token.
        return Err(KnownError::access_token_expired(Some(Utc::now()), None, None, None).into());
    };
    let live = gateway
        .project_session(caller.project.id, session_id)
        .await?
        .is_some_and(|s| s.revoked_at.is_none());
    if !live || !gateway.revoke_session(session_id).await? {
        return Err(KnownError::refresh_token_not_found_or_expired().into());
    }
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
