//! `GET /api/v1/users/{user_id}`: any user, for server and admin callers (server read object).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{read, schema_error, user_id_param},
    respond,
    validate::Tier,
};

/// Reads a user by id.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}", tag = "Users",
    summary = "Get user",
    params(("user_id" = String, Path, description = "The ID of the user (a UUID)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The user (server read object).", body = crate::wire::UserRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE` (401, client callers), `SCHEMA_ERROR`, `USER_NOT_FOUND` (404).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn get_user(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    smart.require(&[AccessType::Server, AccessType::Admin])?;
    let id = user_id_param(&req).map_err(|line| schema_error(&req, &[line]))?;
    let user = gateway.user(id).await?;
    let view = read(&gateway, &user, Tier::Server).await?;
    Ok(respond::json(&req, StatusCode::OK, &view))
}
