//! `POST /api/v1/team-memberships/{team_id}/{user_id}` (`team.addUser`, servers only): adds a
//! member holding `team_member`; does not change the user's selected team.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, TeamRole};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{params_and_empty_body, team_member_params},
    known::KnownError,
    respond,
    teams::existing_team,
    wire::TeamMembershipRead,
};

/// Adds a user to a team.
#[utoipa::path(
    post, path = "/api/v1/team-memberships/{team_id}/{user_id}", tag = "Teams",
    summary = "Add team member",
    params(("team_id" = String, Path, description = "The team id (a UUID)."),
        ("user_id" = String, Path, description = "The user (a UUID, or `me`)."),
        crate::openapi::ProjectHeaders),
    request_body(content = Object, description = "`{}`"),
    responses(
        (status = 201, description = "The membership.", body = crate::wire::TeamMembershipRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE` (401, clients), `SCHEMA_ERROR`, `USER_NOT_FOUND` (404), `TEAM_NOT_FOUND` (404), `TEAM_MEMBERSHIP_ALREADY_EXISTS` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn add_team_member(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let (team_id, user) = params_and_empty_body(&req, team_member_params(&req), &smart.body)?;
    let user_id = user.resolve(caller.user.as_ref())?;
    gateway.user(user_id).await?;
    existing_team(&gateway, team_id).await?;
    if gateway.membership(team_id, user_id).await.is_ok() {
        return Err(KnownError::team_membership_already_exists().into());
    }
    gateway
        .add_member(team_id, user_id, TeamRole::Member)
        .await?;
    Ok(respond::json(
        &req,
        StatusCode::CREATED,
        &TeamMembershipRead {
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
        },
    ))
}
