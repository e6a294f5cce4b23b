//! `POST /api/v1/auth/password/sign-in` (`signInWithCredential`): signs in the user whose
//! sign-in email and password match; 200 with an access token, a refresh token and the user's
//! id, else 400 `EMAIL_PASSWORD_MISMATCH` (the same work and answer whether or not the email is
//! known). A user with TOTP gets `MULTI_FACTOR_AUTHENTICATION_REQUIRED`: the second factor's
//! route is not served, so a password alone never signs such a user in.

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::{Gateway, Standing, credentials::random_token};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, sign_up::signed_in},
    known::KnownError,
    password,
};

/// Signs in with an email and a password.
#[utoipa::path(
    post, path = "/api/v1/auth/password/sign-in", tag = "Password",
    summary = "Sign in with email and password",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::PasswordSignIn,
    responses(
        (status = 200, description = "Signed in.", body = crate::wire::SignedIn),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `EMAIL_PASSWORD_MISMATCH` (400), `MULTI_FACTOR_AUTHENTICATION_REQUIRED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn sign_in(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let body = password::sign_in(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::passwords_enabled(caller)?;
    let user = gateway
        .password_sign_in(&body.email, &body.password)
        .await?
        // A user not in good standing cannot sign in (the core rule; the vendor has no bans).
        .filter(|u| u.standing() == Standing::Good)
        .ok_or_else(KnownError::email_password_mismatch)?;
    if user.security.totp_secret.is_some() {
        return Err(KnownError::multi_factor_authentication_required(&random_token(24)).into());
    }
    signed_in(&req, &gateway, caller, &user, None).await
}
