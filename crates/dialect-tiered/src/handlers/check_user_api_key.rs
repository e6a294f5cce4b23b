//! `POST /api/v1/user-api-keys/check` (servers only): the key a secret names, if it is one of
//! this surface's, not revoked and not expired.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, Surface};

use crate::{
    api_keys::{check_body, key_id, read},
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{keys_enabled, schema_error},
    known::KnownError,
    respond,
};

/// Checks a user API key.
#[utoipa::path(
    post, path = "/api/v1/user-api-keys/check", tag = "API keys",
    summary = "Check user API key",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserApiKeyCheck,
    responses(
        (status = 200, description = "The key the secret names.", body = crate::wire::UserApiKeyRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE` (401, clients), `SCHEMA_ERROR`, `API_KEY_NOT_FOUND` (404), `API_KEY_REVOKED` (401), `API_KEY_EXPIRED` (401); plain text 400 `User API keys are not enabled for this project.`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn check_user_api_key(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let text = check_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    keys_enabled(caller)?;
    let key = match key_id(&text) {
        Some(id) => gateway.api_key_by_text(&id.to_string(), &text).await?,
        None => None,
    }
    .filter(|k| k.surface == Surface::Users)
    .ok_or_else(KnownError::api_key_not_found)?;
    if key.revoked_at.is_some() {
        return Err(KnownError::api_key_revoked().into());
    }
    if key
        .expires_at
        .is_some_and(|t| t < gateway_core::service::now())
    {
        return Err(KnownError::api_key_expired().into());
    }
    Ok(respond::json(&req, StatusCode::OK, &read(&key, None)))
}
