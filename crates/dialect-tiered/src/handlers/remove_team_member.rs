//! `DELETE /api/v1/team-memberships/{team_id}/{user_id}` (`team.leave`, `team.removeUser`):
//! anyone may leave a team; removing someone else takes `$remove_members` for clients. The
//! member's permissions in the team go with the membership, and the team is no longer selected.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, team_member_params},
    known::KnownError,
    respond,
    teams::{ensure_membership, ensure_permission},
    wire::Success,
};

/// Removes a user from a team.
#[utoipa::path(
    delete, path = "/api/v1/team-memberships/{team_id}/{user_id}", tag = "Teams",
    summary = "Remove team member",
    params(("team_id" = String, Path, description = "The team id (a UUID)."),
        ("user_id" = String, Path, description = "The user (a UUID, or `me` to leave)."),
        crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Removed.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400), `USER_NOT_FOUND` (404), `TEAM_MEMBERSHIP_NOT_FOUND` (404), `TEAM_PERMISSION_REQUIRED` (401, `$remove_members`).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn remove_team_member(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (team_id, user) = team_member_params(&req).map_err(|lines| schema_error(&req, &lines))?;
    let user_id = user.resolve(caller.user.as_ref())?;
    if caller.access_type == AccessType::Client {
        let own = caller
            .user
            .as_ref()
            .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
        if own.id != user_id {
            ensure_permission(&gateway, team_id, own, "$remove_members").await?;
        }
    }
    ensure_membership(&gateway, team_id, user_id).await?;
    gateway.remove_member(team_id, user_id).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
