//! `PATCH /api/v1/user-api-keys/{api_key_id}` (`apiKey.update`, `apiKey.revoke`): a new
//! description, or `revoked: true` (the first revocation's time is kept). Clients change their
//! own keys only.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    api_keys::{read, update_body},
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{keys_enabled, owned_key, schema_error, user_api_key_params},
    respond,
};

/// Updates or revokes a user API key.
#[utoipa::path(
    patch, path = "/api/v1/user-api-keys/{api_key_id}", tag = "API keys",
    summary = "Update user API key",
    params(("api_key_id" = String, Path, description = "The key id (a UUID)."), crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserApiKeyUpdate,
    responses(
        (status = 200, description = "The key after the change.", body = crate::wire::UserApiKeyRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `API_KEY_NOT_FOUND` (404); plain text 400 `User API keys are not enabled for this project.`, 403 `Client can only manage their own api keys`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn patch_user_api_key(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (id, update) = match (user_api_key_params(&req), update_body(&smart.body)) {
        (Ok(id), Ok(update)) => (id, update),
        (id, update) => {
            let mut lines = id.err().unwrap_or_default();
            lines.extend(update.err().unwrap_or_default());
            return Err(schema_error(&req, &lines));
        }
    };
    keys_enabled(caller)?;
    let key = owned_key(&gateway, caller, &id).await?;
    let key = gateway
        .update_api_key(&key.id, update.description, update.revoke)
        .await?;
    Ok(respond::json(&req, StatusCode::OK, &read(&key, None)))
}
