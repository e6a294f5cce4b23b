//! `DELETE /api/v1/auth/sessions/{id}` (`revokeSession`): revokes one session of the project;
//! clients only their own, and nobody the session of the access token in use.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, uuid_param},
    known::KnownError,
    respond, sessions,
    wire::Success,
};

/// Revokes a session.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions/{id}", tag = "Sessions",
    summary = "Delete session",
    params(("id" = String, Path, description = "The session id (a UUID)."),
        ("user_id" = Option<String>, Query, description = "The user (a UUID, or `me`). The vendor requires it; SDK 2.8.108's server `revokeSession` sends none, so it is optional here."),
        crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Revoked: its refresh token no longer works.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER`, `CANNOT_DELETE_CURRENT_SESSION` (400); plain text 404 `Session not found.`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn delete_session(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let mut lines = Vec::new();
    let id = uuid_param(&req, "id").map_err(|line| lines.push(line)).ok();
    let user = sessions::user_query(req.query_string(), false).unwrap_or_else(|more| {
        lines.extend(more);
        None
    });
    let Some(id) = id.filter(|_| lines.is_empty()) else {
        return Err(schema_error(&req, &lines));
    };
    if let Some(user) = user {
        user.resolve(caller.user.as_ref())?;
    }
    let not_found = || TieredError::text(StatusCode::NOT_FOUND, "Session not found.");
    let session = gateway
        .project_session(caller.project.id, id)
        .await?
        .filter(|s| s.revoked_at.is_none())
        .ok_or_else(not_found)?;
    if caller.access_type == AccessType::Client
        && caller.user.as_ref().map(|u| u.id) != Some(session.user_id)
    {
        return Err(not_found());
    }
    if caller.session_id == Some(session.id) {
        return Err(KnownError::cannot_delete_current_session().into());
    }
    gateway.revoke_session(session.id).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
