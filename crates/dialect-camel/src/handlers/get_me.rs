//! `GET /me`: the profile of the caller.

use actix_web::{HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use gateway_http::Auth;

use crate::{
    auth::CamelAuth,
    convert::Profile,
    error::CamelError,
    idempotency::JsonReply,
    wire::{ErrorBody, User},
};

/// Get profile
///
/// Retrieve the profile of the currently logged in user.
#[utoipa::path(
    get,
    path = "/me",
    tag = "Current user",
    operation_id = "getMe",
    security(("bearer" = []), ("accessKey" = [])),
    responses(
        (status = 200, description = "OK", body = User, content_type = "application/json"),
        (status = 401, description = "unauthorized request", body = ErrorBody, content_type = "application/json"),
        (status = 403, description = "The account is banned", body = ErrorBody, content_type = "application/json"),
        (status = 503, description = "Service unavailable (with `Retry-After`)", body = ErrorBody, content_type = "application/json"),
    )
)]
pub async fn get_me(
    auth: Auth<CamelAuth>,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, CamelError> {
    let user = auth.caller.user;
    let active_sessions = gateway.active_sessions(user.id).await?;
    let body = User::from(Profile {
        user: &user,
        active_sessions,
    });
    Ok(JsonReply::new(StatusCode::OK, &body)?.into_response(false))
}
