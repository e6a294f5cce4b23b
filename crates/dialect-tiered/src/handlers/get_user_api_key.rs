//! `GET /api/v1/user-api-keys/{api_key_id}`: one key (`value` is `{last_four}`); clients read
//! their own only.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    api_keys::read,
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{keys_enabled, owned_key, schema_error, user_api_key_params},
    respond,
};

/// Reads a user API key.
#[utoipa::path(
    get, path = "/api/v1/user-api-keys/{api_key_id}", tag = "API keys",
    summary = "Get user API key",
    params(("api_key_id" = String, Path, description = "The key id (a UUID)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The key.", body = crate::wire::UserApiKeyRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `API_KEY_NOT_FOUND` (404); plain text 400 `User API keys are not enabled for this project.`, 403 `Client can only manage their own api keys`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn get_user_api_key(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let id = user_api_key_params(&req).map_err(|lines| schema_error(&req, &lines))?;
    keys_enabled(caller)?;
    let key = owned_key(&gateway, caller, &id).await?;
    Ok(respond::json(&req, StatusCode::OK, &read(&key, None)))
}
