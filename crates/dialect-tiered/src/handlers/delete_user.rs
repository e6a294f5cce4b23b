//! `DELETE /api/v1/users/{user_id}`: deletes any user everywhere, for server and admin callers.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, user_id_param},
    respond,
    wire::Success,
};

/// Deletes a user by id.
#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}", tag = "Users",
    summary = "Delete user",
    params(("user_id" = String, Path, description = "The ID of the user (a UUID)."), crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Deleted.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE`, `SCHEMA_ERROR`, `USER_NOT_FOUND`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn delete_user(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    smart.require(&[AccessType::Server, AccessType::Admin])?;
    let id = user_id_param(&req).map_err(|line| schema_error(&req, &[line]))?;
    gateway.delete_user(id).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
