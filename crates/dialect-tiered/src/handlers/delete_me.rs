//! `DELETE /api/v1/users/me`: deletes the caller's own user everywhere (every credential of the
//! user is refused afterwards). Client callers only when the project allows it.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    known::KnownError,
    respond,
    wire::Success,
};

/// Deletes the current user.
#[utoipa::path(
    delete, path = "/api/v1/users/me", tag = "Users",
    summary = "Delete current user",
    params(crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "Deleted.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `CANNOT_GET_OWN_USER_WITHOUT_USER`; plain text `Client user deletion is not enabled for this project`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn delete_me(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    if caller.access_type == AccessType::Client && !caller.project.allow_client_user_deletion {
        return Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "Client user deletion is not enabled for this project",
        ));
    }
    let user = caller
        .user
        .as_ref()
        .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
    gateway.delete_user(user.id).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &Success { success: true },
    ))
}
