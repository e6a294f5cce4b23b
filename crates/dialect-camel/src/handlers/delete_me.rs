//! `DELETE /me`: deletes the caller's account everywhere; 202 with no content.

use actix_web::{HttpResponse, web::Data};
use gateway_core::Gateway;
use gateway_http::Auth;

use crate::{
    auth::{CamelAuth, ensure_self_service},
    error::CamelError,
    wire::ErrorBody,
};

/// Delete profile
///
/// Delete the profile of the currently logged in user. Essentially deleting your account with
/// the platform: every credential of the user is refused afterwards, on every surface.
#[utoipa::path(
    delete,
    path = "/me",
    tag = "Current user",
    operation_id = "deleteMe",
    security(("bearer" = []), ("accessKey" = [])),
    responses(
        (status = 202, description = "OK (no content)"),
        (status = 401, description = "unauthorized request", body = ErrorBody, content_type = "application/json"),
        (status = 403, description = "The account may not be deleted here", body = ErrorBody, content_type = "application/json"),
        (status = 503, description = "Service unavailable (with `Retry-After`)", body = ErrorBody, content_type = "application/json"),
    )
)]
pub async fn delete_me(
    auth: Auth<CamelAuth>,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, CamelError> {
    let user = auth.caller.user;
    ensure_self_service(&user)?;
    gateway.delete_user(user.id).await?;
    Ok(HttpResponse::Accepted().finish())
}
