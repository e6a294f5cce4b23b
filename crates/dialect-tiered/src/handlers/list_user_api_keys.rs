//! `GET /api/v1/user-api-keys?user_id=` (`user.listApiKeys`): a user's keys, revoked and expired
//! ones included, newest first. Clients list their own only.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, Surface};

use crate::{
    api_keys::read,
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{keys_enabled, own_user_only, schema_error},
    known::KnownError,
    respond, sessions,
    wire::UserApiKeyList,
};

/// Lists a user's API keys.
#[utoipa::path(
    get, path = "/api/v1/user-api-keys", tag = "API keys",
    summary = "List user API keys",
    params(("user_id" = String, Query, description = "The user (a UUID, or `me`); required."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The keys, newest first (`is_paginated: false`); `value` is `{last_four}`.", body = crate::wire::UserApiKeyList),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR` (also `user_id is required for user API keys`), `CANNOT_GET_OWN_USER_WITHOUT_USER`; plain text 400 `User API keys are not enabled for this project.`, 403 `Client can only manage their own api keys`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_user_api_keys(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let user = sessions::user_query(req.query_string(), false)
        .map_err(|lines| schema_error(&req, &lines))?;
    let user_id = user.map(|r| r.resolve(caller.user.as_ref())).transpose()?;
    keys_enabled(caller)?;
    let Some(user_id) = user_id else {
        return Err(
            KnownError::schema_error("user_id is required for user API keys".to_owned()).into(),
        );
    };
    own_user_only(
        caller,
        Some(user_id),
        "Client can only manage their own api keys",
    )?;
    let mut keys: Vec<_> = gateway
        .api_keys_of(user_id)
        .await?
        .into_iter()
        .filter(|k| k.surface == Surface::Users)
        .collect();
    keys.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    let items = keys.iter().map(|k| read(k, None)).collect();
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &UserApiKeyList {
            items,
            is_paginated: false,
        },
    ))
}
