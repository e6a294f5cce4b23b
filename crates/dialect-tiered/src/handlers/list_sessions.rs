//! `GET /api/v1/auth/sessions?user_id=` (`getActiveSessions`): a user's sessions in the project,
//! newest first. Clients see only their own; impersonation sessions are listed for admin callers
//! only, as the vendor's.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{own_user_only, schema_error},
    respond, sessions,
    wire::SessionList,
};

/// Lists a user's sessions.
#[utoipa::path(
    get, path = "/api/v1/auth/sessions", tag = "Sessions",
    summary = "List sessions",
    params(("user_id" = String, Query, description = "The user (a UUID, or `me`)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The user's sessions, newest first (`is_paginated: false`).", body = crate::wire::SessionList),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR` (`query.user_id must be defined`), `CANNOT_GET_OWN_USER_WITHOUT_USER`; plain text 403 `Client can only list sessions for their own user.`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_sessions(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let user = sessions::user_query(req.query_string(), true)
        .map_err(|lines| schema_error(&req, &lines))?
        .ok_or_else(|| schema_error(&req, &["query.user_id must be defined".to_owned()]))?;
    let user_id = user.resolve(caller.user.as_ref())?;
    own_user_only(
        caller,
        Some(user_id),
        "Client can only list sessions for their own user.",
    )?;
    let admin = caller.access_type == AccessType::Admin;
    let items = gateway
        .project_sessions_of(caller.project.id, user_id)
        .await?
        .iter()
        .filter(|s| admin || !s.is_impersonation)
        .map(|s| sessions::read(s, caller.session_id))
        .collect();
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &SessionList {
            items,
            is_paginated: false,
        },
    ))
}
