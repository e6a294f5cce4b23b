//! `POST /api/v1/auth/password/reset` (`resetPassword`): sets a new password with a mailed code,
//! once; the user's sessions end. The vendor's password rule is checked before the code is used.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::schema_error,
    password, reset, respond,
};

/// Resets a password with a code.
#[utoipa::path(
    post, path = "/api/v1/auth/password/reset", tag = "Password",
    summary = "Reset password with a code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::ResetPassword,
    responses(
        (status = 200, description = "The password is set.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `PASSWORD_TOO_SHORT` (400), `VERIFICATION_CODE_NOT_FOUND` (404), `VERIFICATION_CODE_EXPIRED` (400), `VERIFICATION_CODE_ALREADY_USED` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn reset_password(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (code, new) = reset::reset_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    password::check_rule(&new)?;
    gateway
        .reset_password(Some(caller.project.id), &code, &new)
        .await?
        .map_err(reset::refused)?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"success": true}),
    ))
}
