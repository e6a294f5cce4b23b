//! `POST /api/v1/user-api-keys` (`user.createApiKey`): a new key in the vendor's format, shown
//! once in the answer (200, as the vendor's). Clients make keys for themselves only; the project
//! must allow user API keys.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, KeySpec, Surface};
use uuid::Uuid;

use crate::{
    api_keys::{create_body, key_text, read},
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{keys_enabled, schema_error},
    known::KnownError,
    respond,
};

/// Creates a user API key.
#[utoipa::path(
    post, path = "/api/v1/user-api-keys", tag = "API keys",
    summary = "Create user API key",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserApiKeyCreate,
    responses(
        (status = 200, description = "The key; `value` is the whole secret, shown this once.", body = crate::wire::UserApiKeyRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER`, `USER_AUTHENTICATION_REQUIRED` (401), `USER_NOT_FOUND` (404); plain text 400 `User API keys are not enabled for this project.`, 403 `Client can only manage their own api keys`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn create_user_api_key(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let body = create_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    let user_id = body.user.resolve(caller.user.as_ref())?;
    keys_enabled(caller)?;
    if caller.access_type == AccessType::Client {
        let own = caller
            .user
            .as_ref()
            .ok_or_else(KnownError::user_authentication_required)?;
        if own.id != user_id {
            return Err(TieredError::text(
                StatusCode::FORBIDDEN,
                "Client can only manage their own api keys",
            ));
        }
    }
    gateway.user(user_id).await?;
    let id = Uuid::new_v4();
    let text = key_text(id, body.is_public);
    let key = gateway
        .store_api_key(KeySpec {
            id: id.to_string(),
            user_id,
            surface: Surface::Users,
            text: text.clone(),
            label: Some(body.description),
            expires_at: body.expires_at,
            is_public: body.is_public,
        })
        .await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &read(&key, Some(&text)),
    ))
}
