//! `POST /api/v1/teams` (`createTeam`): a new team, its creator (if any) an owner holding
//! `team_admin`. Clients may create teams when the project allows it, always as their own
//! creator, with a base64 image only. The vendor's checks in its order.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    convert::team_read,
    error::TieredError,
    handlers::schema_error,
    known::KnownError,
    respond,
    teams::{check_image, team_body, team_query},
};

/// Creates a team.
#[utoipa::path(
    post, path = "/api/v1/teams", tag = "Teams",
    summary = "Create team",
    params(("add_current_user" = Option<String>, Query, description = "Deprecated: `true` makes the signed-in user the creator."), crate::openapi::ProjectHeaders),
    request_body = crate::wire::TeamCreate,
    responses(
        (status = 201, description = "The new team, in the caller's tier.", body = crate::wire::TeamRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400), `USER_AUTHENTICATION_REQUIRED` (401), `USER_NOT_FOUND` (404, a creator that does not exist: no team is created); plain text 403 `Client team creation is disabled for this project`, 403 for another creator, 400 `Invalid profile image URL`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn create_team(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let tier = caller.tier();
    let (query, body) = match (
        team_query(req.query_string()),
        team_body(&smart.body, tier, true),
    ) {
        (Ok(q), Ok(b)) => (q, b),
        (q, b) => {
            let mut lines = b.err().unwrap_or_default();
            lines.extend(q.err().unwrap_or_default());
            return Err(schema_error(&req, &lines));
        }
    };
    let mut creator = body
        .creator
        .map(|r| r.resolve(caller.user.as_ref()))
        .transpose()?;
    if creator.is_some() && query.add_current_user.is_some() {
        return Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "Cannot use both creator_user_id and add_current_user. add_current_user is deprecated, please only use creator_user_id in the body.",
        ));
    }
    let image = body.patch.profile_image_url.clone().flatten();
    if caller.access_type == AccessType::Client {
        let own = caller
            .user
            .as_ref()
            .ok_or_else(KnownError::user_authentication_required)?;
        if !caller.project.client_team_creation_enabled {
            return Err(TieredError::text(
                StatusCode::FORBIDDEN,
                "Client team creation is disabled for this project",
            ));
        }
        check_image(image.as_deref(), tier)?;
        match creator {
            None => creator = Some(own.id),
            Some(id) if id != own.id => {
                return Err(TieredError::text(
                    StatusCode::FORBIDDEN,
                    "You cannot create a team as a user that is not yourself. Make sure you set the creator_user_id to 'me'.",
                ));
            }
            Some(_) => {}
        }
    }
    if query.add_current_user == Some(true) {
        let own = caller.user.as_ref().ok_or_else(|| {
            TieredError::text(
                StatusCode::UNAUTHORIZED,
                "You must be logged in to create a team with the current user as a member.",
            )
        })?;
        creator = Some(own.id);
    }
    check_image(image.as_deref(), tier)?;
    let team = gateway.create_team(body.new_team(), creator).await?;
    Ok(respond::json(
        &req,
        StatusCode::CREATED,
        &team_read(&team, tier),
    ))
}
