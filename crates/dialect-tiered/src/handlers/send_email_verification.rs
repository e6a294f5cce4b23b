//! `POST /api/v1/contact-channels/send-verification-code` (legacy, `user.sendVerificationEmail`):
//! mails the signed-in user's primary email a verification code. The vendor's checks in its order:
//! a user (`SCHEMA_ERROR` `auth.user must be defined`, with the body's failures), the address equal
//! to the primary email (`EMAIL_IS_NOT_PRIMARY_EMAIL`), not verified yet
//! (`EMAIL_ALREADY_VERIFIED`), the callback rule.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::schema_error,
    known::KnownError,
    respond,
};

/// Sends the current user's primary email a verification code.
#[utoipa::path(
    post, path = "/api/v1/contact-channels/send-verification-code", tag = "Contact Channels",
    summary = "Send email verification code (legacy)",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::SendResetCode,
    responses(
        (status = 200, description = "Sent.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `EMAIL_IS_NOT_PRIMARY_EMAIL` (400), `EMAIL_ALREADY_VERIFIED` (409), `REDIRECT_URL_NOT_WHITELISTED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure, or no mail can be sent (503): plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn send_email_verification(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (email, callback) = contact::legacy_body(&smart.body, caller.user.is_some())
        .map_err(|lines| schema_error(&req, &lines))?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| schema_error(&req, &["auth.user must be defined".to_owned()]))?;
    let primary = user.identity.email.as_deref();
    if primary != Some(email.as_str()) {
        return Err(KnownError::email_is_not_primary_email(&email, primary).into());
    }
    if user.identity.email_verified {
        return Err(KnownError::email_already_verified().into());
    }
    contact::send_verification(&gateway, &caller.project, user, &email, &callback).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"success": true}),
    ))
}
