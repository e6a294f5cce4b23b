//! `POST /api/v1/auth/password/send-reset-code` (`sendForgotPasswordEmail`): mails a reset code
//! to the user who signs in with `email`. The answer is the same whether or not one exists; for
//! an unknown address it comes after the vendor's 2-3 s wait, so timing does not tell either.
//! The callback URL is checked only when a code is made (`REDIRECT_URL_NOT_WHITELISTED`), as the
//! vendor's `createCode` does.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{CodePurpose, Gateway};
use rand::Rng;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::schema_error,
    reset, respond,
};

/// Sends a password reset code by mail.
#[utoipa::path(
    post, path = "/api/v1/auth/password/send-reset-code", tag = "Password",
    summary = "Send reset password code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::SendResetCode,
    responses(
        (status = 200, description = "Sent if a user signs in with that email (the same answer either way).", body = crate::wire::MaybeSent),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `REDIRECT_URL_NOT_WHITELISTED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure, or no mail can be sent (503): plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn send_reset_code(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (email, callback) =
        reset::send_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::passwords_enabled(caller)?;
    let answer = || respond::json(&req, StatusCode::OK, &json!({"success": reset::MAYBE_SENT}));
    let Some(user) = gateway.sign_in_user_by_email(&email).await? else {
        let wait = rand::rng().random_range(2000..3000);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(wait)).await;
        return Ok(answer());
    };
    let link = reset::check_redirect(&callback)?;
    let project = &caller.project;
    let code = gateway
        .issue_code(
            CodePurpose::PasswordReset,
            Some(user.id),
            Some(project.id),
            &email,
            reset::CODE_TTL,
        )
        .await?;
    gateway
        .send_mail(reset::mail(
            &project.display_name,
            &user,
            &email,
            link,
            &code,
        ))
        .await?;
    Ok(answer())
}
