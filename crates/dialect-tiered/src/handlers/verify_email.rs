//! `POST /api/v1/contact-channels/verify` (`verifyEmail`) and `/verify/check-code`: a mailed
//! verification code marks its address verified, once; the code alone authorizes it (no user is
//! needed). A code whose address is no longer one of its user's channels is 400 text, as the
//! vendor's deleted channel.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{CodePurpose, Gateway};
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::schema_error,
    reset, respond,
};

const ALL: [AccessType; 3] = [AccessType::Client, AccessType::Server, AccessType::Admin];

/// Verifies an email with a code.
#[utoipa::path(
    post, path = "/api/v1/contact-channels/verify", tag = "Contact Channels",
    summary = "Verify an email",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::CheckCode,
    responses(
        (status = 200, description = "Verified.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `VERIFICATION_CODE_NOT_FOUND` (404), `VERIFICATION_CODE_EXPIRED` (400), `VERIFICATION_CODE_ALREADY_USED` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn verify_email(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&ALL)?;
    let text = reset::check_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    let code = gateway
        .use_code(
            CodePurpose::EmailVerification,
            Some(caller.project.id),
            &text,
        )
        .await?
        .map_err(reset::refused)?;
    let gone = || {
        TieredError::text(
            StatusCode::BAD_REQUEST,
            "Contact channel not found. Was your contact channel deleted?",
        )
    };
    let user_id = code.user_id.ok_or_else(gone)?;
    if !gateway.verify_contact_channel(user_id, &code.email).await? {
        return Err(gone());
    }
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"success": true}),
    ))
}

/// Checks an email verification code.
#[utoipa::path(
    post, path = "/api/v1/contact-channels/verify/check-code", tag = "Contact Channels",
    summary = "Check an email verification code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::CheckCode,
    responses(
        (status = 200, description = "The code would act.", body = crate::wire::CodeValid),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `VERIFICATION_CODE_NOT_FOUND` (404), `VERIFICATION_CODE_EXPIRED` (400), `VERIFICATION_CODE_ALREADY_USED` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn check_email_code(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    super::check_code(&req, &smart, &gateway, CodePurpose::EmailVerification).await
}
