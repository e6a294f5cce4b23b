//! `GET /api/v1/teams` (`listTeams`): a user's teams, or (server) every team, oldest first.
//! Clients list only their own (`user_id=me` or their id).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, Team};

use crate::{
    auth::{AccessType, Smart},
    convert::team_read,
    error::TieredError,
    handlers::{own_user_only, schema_error},
    respond,
    teams::team_query,
    wire::TeamList,
};

/// Lists teams.
#[utoipa::path(
    get, path = "/api/v1/teams", tag = "Teams",
    summary = "List teams",
    params(("user_id" = Option<String>, Query, description = "Only this user's teams (a UUID, or `me`); clients must send their own."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The teams in creation order (`is_paginated: false`), in the caller's tier.", body = crate::wire::TeamList),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER`; plain text 403 `Client can only list teams for their own user. ...`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_teams(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let query = team_query(req.query_string()).map_err(|lines| schema_error(&req, &lines))?;
    let user = query
        .user
        .map(|r| r.resolve(caller.user.as_ref()))
        .transpose()?;
    own_user_only(
        caller,
        user,
        "Client can only list teams for their own user. user_id must be either \"me\" or the ID of the current user",
    )?;
    let mut teams: Vec<Team> = match user {
        Some(id) => gateway
            .memberships(id)
            .await?
            .into_iter()
            .map(|m| m.team)
            .collect(),
        None => gateway.list_teams().await?,
    };
    teams.sort_by_key(|t| (t.created_at, t.id));
    let tier = caller.tier();
    let items = teams.iter().map(|t| team_read(t, tier)).collect();
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &TeamList {
            items,
            is_paginated: false,
        },
    ))
}
