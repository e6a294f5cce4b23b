//! `GET /api/v1/users/me`: the caller's own user, in the caller's tier (client callers get the
//! client read object, server and admin callers the server one).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::read,
    known::KnownError,
    respond,
};

/// Reads the current user.
#[utoipa::path(
    get, path = "/api/v1/users/me", tag = "Users",
    summary = "Get current user",
    params(crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The current user (client or server read object).", body = crate::wire::UserRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `CANNOT_GET_OWN_USER_WITHOUT_USER`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn get_me(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
    let view = read(&gateway, user, caller.tier()).await?;
    Ok(respond::json(&req, StatusCode::OK, &view))
}
