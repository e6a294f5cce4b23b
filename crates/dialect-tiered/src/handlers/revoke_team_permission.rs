//! `DELETE /api/v1/team-permissions/{team_id}/{user_id}/{permission_id}` (`revokePermission`,
//! servers only): only a permission held directly can be revoked (`TEAM_PERMISSION_NOT_FOUND`
//! for one held through `team_admin`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, team_permission_params},
    known::KnownError,
    respond,
    teams::ensure_membership,
    wire::Success,
};

/// Revokes a team permission.
#[utoipa::path(
    delete, path = "/api/v1/team-permissions/{team_id}/{user_id}/{permission_id}", tag = "Teams",
    summary = "Revoke team permission",
    params(("team_id" = String, Path, description = "The team id (a UUID)."),
        ("user_id" = String, Path, description = "The member (a UUID, or `me`)."),
        ("permission_id" = String, Path, description = "A permission the member holds directly."),
        crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Revoked.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE` (401, clients), `SCHEMA_ERROR`, `USER_NOT_FOUND` (404), `TEAM_MEMBERSHIP_NOT_FOUND` (404), `TEAM_PERMISSION_NOT_FOUND` (401).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn revoke_team_permission(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let (team_id, user, permission) =
        team_permission_params(&req).map_err(|lines| schema_error(&req, &lines))?;
    let user_id = user.resolve(caller.user.as_ref())?;
    let membership = ensure_membership(&gateway, team_id, user_id).await?;
    if !membership.permissions.contains(&permission) {
        return Err(KnownError::team_permission_not_found(
            &team_id.to_string(),
            &user_id.to_string(),
            &permission,
        )
        .into());
    }
    gateway
        .change_team_permission(team_id, user_id, &permission, false)
        .await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
