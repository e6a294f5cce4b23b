//! `GET /api/v1/team-permissions` (`listPermissions`, `hasPermission`): the permissions members
//! hold, filtered by team, user and permission, with what they contain when `recursive=true`.
//! Clients list only their own.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{ErrorKind, Gateway, UserId};
use uuid::Uuid;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{own_user_only, schema_error},
    respond,
    teams::{expand, permission_query, string_compare},
    wire::{TeamPermissionList, TeamPermissionRead},
};

/// Lists team permissions.
#[utoipa::path(
    get, path = "/api/v1/team-permissions", tag = "Teams",
    summary = "List team permissions",
    params(("team_id" = Option<String>, Query, description = "Only this team (a UUID)."),
        ("user_id" = Option<String>, Query, description = "Only this user (a UUID, or `me`); clients must send their own."),
        ("permission_id" = Option<String>, Query, description = "Only this permission (after expansion)."),
        ("recursive" = Option<String>, Query, description = "`true`: also the permissions the held ones contain."),
        crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The permissions, by team, user and id (`is_paginated: false`).", body = crate::wire::TeamPermissionList),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400); plain text 403 `Client can only list permissions for their own user. ...`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_team_permissions(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let query = permission_query(req.query_string()).map_err(|lines| schema_error(&req, &lines))?;
    let user = query
        .user
        .map(|r| r.resolve(caller.user.as_ref()))
        .transpose()?;
    own_user_only(
        caller,
        user,
        "Client can only list permissions for their own user. user_id must be either \"me\" or the ID of the current user",
    )?;
    // (team, user, direct permissions) of every membership the filters select.
    let mut held: Vec<(Uuid, UserId, Vec<String>)> = Vec::new();
    match (user, query.team_id) {
        (Some(user_id), team) => {
            for m in gateway.memberships(user_id).await? {
                if team.is_none_or(|t| t == m.team.id) {
                    held.push((m.team.id, user_id, m.permissions));
                }
            }
        }
        (None, team) => {
            let teams = match team {
                Some(t) => vec![t],
                None => gateway.list_teams().await?.iter().map(|t| t.id).collect(),
            };
            for team_id in teams {
                let members = match gateway.members(team_id).await {
                    Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
                    other => other?,
                };
                held.extend(
                    members
                        .into_iter()
                        .map(|m| (team_id, m.user_id, m.permissions)),
                );
            }
        }
    }
    let mut items: Vec<TeamPermissionRead> = Vec::new();
    for (team_id, user_id, direct) in held {
        for id in expand(&direct, query.recursive) {
            if query.permission_id.as_ref().is_none_or(|p| *p == id) {
                items.push(TeamPermissionRead {
                    id,
                    team_id: team_id.to_string(),
                    user_id: user_id.to_string(),
                });
            }
        }
    }
    items.sort_by(|a, b| {
        string_compare(&a.team_id, &b.team_id)
            .then_with(|| string_compare(&a.user_id, &b.user_id))
            .then_with(|| string_compare(&a.id, &b.id))
    });
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &TeamPermissionList {
            items,
            is_paginated: false,
        },
    ))
}
