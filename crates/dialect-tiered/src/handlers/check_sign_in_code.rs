//! `POST /api/v1/auth/otp/sign-in/check-code`: whether a sign-in code would act, without using it.

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::{CodePurpose, Gateway};

use crate::{auth::Smart, error::TieredError};

/// Checks a sign-in code.
#[utoipa::path(
    post, path = "/api/v1/auth/otp/sign-in/check-code", tag = "OTP",
    summary = "Check sign-in code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::CheckCode,
    responses(
        (status = 200, description = "The code would act.", body = crate::wire::CodeValid),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `VERIFICATION_CODE_NOT_FOUND` (404), `VERIFICATION_CODE_EXPIRED` (400), `VERIFICATION_CODE_ALREADY_USED` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn check_sign_in_code(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    super::check_code(&req, &smart, &gateway, CodePurpose::SignIn).await
}
