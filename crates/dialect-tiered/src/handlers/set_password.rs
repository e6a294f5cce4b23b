//! `POST /api/v1/auth/password/set` (`user.setPassword`): gives a signed-in user without a
//! password one (an OTP or OAuth user); its sessions stay, as the vendor's.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, Revocation};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, write_password},
    password,
};

/// Sets a password for the current user.
#[utoipa::path(
    post, path = "/api/v1/auth/password/set", tag = "Password",
    summary = "Set password",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::PasswordSet,
    responses(
        (status = 200, description = "Set.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR` (`auth.user must be defined`, ...), `PASSWORD_TOO_SHORT`; plain text 400 `User already has a password set.`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn set_password(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let new = password::set(&smart.body, caller.user.is_some())
        .map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::passwords_enabled(caller)?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| schema_error(&req, &["auth.user must be defined".to_owned()]))?;
    password::check_rule(&new)?;
    if user.has_password() {
        return Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "User already has a password set.",
        ));
    }
    write_password(&req, &gateway, user.id, new, Revocation::None).await
}
