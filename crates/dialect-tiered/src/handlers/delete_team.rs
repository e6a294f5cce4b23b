//! `DELETE /api/v1/teams/{team_id}` (`team.delete`): clients need `$delete_team`; the team's
//! memberships go with it, and members who had selected it have no selected team after.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    respond,
    teams::{team_id_and_query, team_of},
    wire::Success,
};

/// Deletes a team.
#[utoipa::path(
    delete, path = "/api/v1/teams/{team_id}", tag = "Teams",
    summary = "Delete team",
    params(("team_id" = String, Path, description = "The team id (a UUID)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Deleted.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `SCHEMA_ERROR`, `USER_AUTHENTICATION_REQUIRED`, `TEAM_MEMBERSHIP_NOT_FOUND` (404), `TEAM_PERMISSION_REQUIRED` (401, `$delete_team`), `TEAM_NOT_FOUND` (404).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn delete_team(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let team_id = team_id_and_query(&req)?;
    team_of(&gateway, caller, team_id, Some("$delete_team")).await?;
    gateway.delete_team(team_id).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
