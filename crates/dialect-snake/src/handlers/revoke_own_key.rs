//! `DELETE /api/v1/user/api-keys/self` (platform): the API key this request presents revokes
//! itself (the dreadnode TUI's `/logout`). A request with an access token has no key to revoke.

use actix_web::{HttpResponse, web::Data};
use gateway_core::Gateway;
use gateway_http::{Auth, Credential};

use crate::{
    auth::PlatformAuth,
    error::{PlatformError, PlatformErrorType},
    wire::platform::ErrorEnvelope,
};

/// Revoke the presented API key.
#[utoipa::path(
    delete,
    path = "/api/v1/user/api-keys/self",
    tag = "user",
    operation_id = "revoke_own_api_key",
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The request presents an access token, not an API key", body = ErrorEnvelope),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 403, description = "Access forbidden (disabled account)", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn revoke_own_api_key(
    auth: Auth<PlatformAuth>,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, PlatformError> {
    match &auth.caller.credential {
        Credential::ApiKey { key_id } => {
            gateway.revoke_api_key(key_id).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        Credential::Token { .. } => Err(PlatformError::new(
            PlatformErrorType::InvalidRequest,
            "Only an API key can revoke itself: send it in X-API-Key",
        )),
    }
}
