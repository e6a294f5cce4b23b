//! `GET /api/v1/teams/{team_id}` (`getTeam`): clients read the teams they belong to
//! (`TEAM_MEMBERSHIP_NOT_FOUND` otherwise, also for a team that does not exist); servers any
//! team (`TEAM_NOT_FOUND`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    convert::team_read,
    error::TieredError,
    respond,
    teams::{team_id_and_query, team_of},
};

/// Reads a team.
#[utoipa::path(
    get, path = "/api/v1/teams/{team_id}", tag = "Teams",
    summary = "Get team",
    params(("team_id" = String, Path, description = "The team id (a UUID)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The team, in the caller's tier.", body = crate::wire::TeamRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `SCHEMA_ERROR`, `USER_AUTHENTICATION_REQUIRED` (401), `TEAM_MEMBERSHIP_NOT_FOUND` (404, clients), `TEAM_NOT_FOUND` (404, servers).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn get_team(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let team_id = team_id_and_query(&req)?;
    let team = team_of(&gateway, caller, team_id, None).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &team_read(&team, caller.tier()),
    ))
}
