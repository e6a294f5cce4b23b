//! `PATCH /api/v1/teams/{team_id}` (`team.update`): clients need `$update_team` in the team
//! and may set a base64 image only; servers change any team.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    convert::team_read,
    error::TieredError,
    handlers::schema_error,
    known::KnownError,
    respond,
    teams::{check_image, team_body, team_id_and_query, team_of},
};

/// Updates a team.
#[utoipa::path(
    patch, path = "/api/v1/teams/{team_id}", tag = "Teams",
    summary = "Update team",
    params(("team_id" = String, Path, description = "The team id (a UUID)."), crate::openapi::ProjectHeaders),
    request_body = crate::wire::TeamUpdate,
    responses(
        (status = 200, description = "The team after the change, in the caller's tier.", body = crate::wire::TeamRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `USER_AUTHENTICATION_REQUIRED`, `TEAM_MEMBERSHIP_NOT_FOUND` (404), `TEAM_PERMISSION_REQUIRED` (401, `$update_team`), `TEAM_NOT_FOUND` (404); plain text 400 `Invalid profile image URL`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn patch_team(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let tier = caller.tier();
    let team_id = team_id_and_query(&req)?;
    let body = team_body(&smart.body, tier, false).map_err(|lines| schema_error(&req, &lines))?;
    check_image(
        body.patch.profile_image_url.clone().flatten().as_deref(),
        tier,
    )?;
    team_of(&gateway, caller, team_id, Some("$update_team")).await?;
    let team = gateway
        .update_team(team_id, body.patch)
        .await
        .map_err(|_| KnownError::team_not_found(&team_id.to_string()))?;
    Ok(respond::json(&req, StatusCode::OK, &team_read(&team, tier)))
}
