//! `POST /api/v1/team-permissions/{team_id}/{user_id}/{permission_id}` (`grantPermission`,
//! servers only): a member holds the permission directly (granting it again changes nothing).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{params_and_empty_body, team_permission_params},
    known::KnownError,
    respond,
    teams::{ensure_membership, is_defined},
    wire::TeamPermissionRead,
};

/// Grants a team permission.
#[utoipa::path(
    post, path = "/api/v1/team-permissions/{team_id}/{user_id}/{permission_id}", tag = "Teams",
    summary = "Grant team permission",
    params(("team_id" = String, Path, description = "The team id (a UUID)."),
        ("user_id" = String, Path, description = "The member (a UUID, or `me`)."),
        ("permission_id" = String, Path, description = "`team_admin`, `team_member` or a system permission (`$update_team`, ...)."),
        crate::openapi::ProjectHeaders),
    request_body(content = Object, description = "`{}`"),
    responses(
        (status = 201, description = "The permission held.", body = crate::wire::TeamPermissionRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE` (401, clients), `SCHEMA_ERROR`, `USER_NOT_FOUND` (404), `TEAM_MEMBERSHIP_NOT_FOUND` (404), `PERMISSION_NOT_FOUND` (404).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn grant_team_permission(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let (team_id, user, permission) =
        params_and_empty_body(&req, team_permission_params(&req), &smart.body)?;
    let user_id = user.resolve(caller.user.as_ref())?;
    ensure_membership(&gateway, team_id, user_id).await?;
    if !is_defined(&permission) {
        return Err(KnownError::permission_not_found(&permission).into());
    }
    gateway
        .change_team_permission(team_id, user_id, &permission, true)
        .await?;
    Ok(respond::json(
        &req,
        StatusCode::CREATED,
        &TeamPermissionRead {
            id: permission,
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
        },
    ))
}
