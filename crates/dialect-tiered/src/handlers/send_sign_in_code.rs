//! `POST /api/v1/auth/otp/send-sign-in-code` (`sendMagicLinkEmail`): mails a sign-in code (an OTP
//! and a magic link) to `email` and answers the code's `nonce`. The vendor's checks in its order:
//! an address whose user has not verified it → 409 `USER_EMAIL_ALREADY_EXISTS`
//! (`would_work_if_email_was_verified: true`); the callback URL (`REDIRECT_URL_NOT_WHITELISTED`).
//! An unknown address gets a code too: signing in with it creates the user.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{CodePurpose, Gateway, validate::normalize_email};
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::schema_error,
    known::KnownError,
    otp, reset, respond,
};

/// Sends a sign-in code by mail.
#[utoipa::path(
    post, path = "/api/v1/auth/otp/send-sign-in-code", tag = "OTP",
    summary = "Send sign-in code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::SendSignInCode,
    responses(
        (status = 200, description = "Sent; the code's nonce (the code without its 6-character OTP).", body = crate::wire::Nonce),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `USER_EMAIL_ALREADY_EXISTS` (409), `REDIRECT_URL_NOT_WHITELISTED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure, or no mail can be sent (503): plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn send_sign_in_code(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (email, callback) =
        otp::send_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::one_time_codes_enabled(caller)?;
    let user = match gateway.sign_in_channel(&email).await? {
        Some((_, channel)) if !channel.is_verified => {
            return Err(KnownError::user_email_already_exists_as(&email, true).into());
        }
        Some((user, _)) => Some(user),
        // A code to an unknown address would make a new user.
        None => {
            crate::handlers::sign_up_enabled(caller)?;
            None
        }
    };
    let link = reset::check_redirect(&callback)?;
    let project = &caller.project;
    let code = gateway
        .issue_code(
            CodePurpose::SignIn,
            user.as_ref().map(|u| u.id),
            Some(project.id),
            &normalize_email(&email),
            reset::CODE_TTL,
        )
        .await?;
    let name = user
        .as_ref()
        .and_then(|u| u.profile.display_name.as_deref());
    gateway
        .send_mail(otp::mail(&project.display_name, name, &email, link, &code))
        .await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"nonce": otp::nonce(&code)}),
    ))
}
