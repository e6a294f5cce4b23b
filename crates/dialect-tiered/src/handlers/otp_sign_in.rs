//! `POST /api/v1/auth/otp/sign-in` (`signInWithMagicLink`): signs in the owner of the code's
//! address with a code (`OTP + nonce`, or the magic link's), once; an address no user has yet
//! becomes a new user (email verified and used for sign-in, OTP on, the project's personal team),
//! `is_new_user: true`. A user with TOTP gets `MULTI_FACTOR_AUTHENTICATION_REQUIRED`.

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::{CodePurpose, Gateway, Standing, UserPatch, credentials::random_token};

use crate::{
    auth::{AccessType, Smart},
    error::{Context, TieredError},
    handlers::{new_account, route, schema_error, sign_up::signed_in},
    known::KnownError,
    otp, reset, teams,
};

/// Signs in (or up) with a mailed code.
#[utoipa::path(
    post, path = "/api/v1/auth/otp/sign-in", tag = "OTP",
    summary = "Sign in with a code",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::CheckCode,
    responses(
        (status = 200, description = "Signed in.", body = crate::wire::SignedIn),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `VERIFICATION_CODE_NOT_FOUND` (404), `VERIFICATION_CODE_EXPIRED` (400), `VERIFICATION_CODE_ALREADY_USED` (409), `USER_EMAIL_ALREADY_EXISTS` (409), `MULTI_FACTOR_AUTHENTICATION_REQUIRED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn otp_sign_in(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let text = otp::code_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    let code = gateway
        .use_code(CodePurpose::SignIn, Some(caller.project.id), &text)
        .await?
        .map_err(reset::refused)?;
    let (user, is_new) = match gateway.sign_in_channel(&code.email).await? {
        Some((_, channel)) if !channel.is_verified => {
            return Err(KnownError::user_email_already_exists_as(&code.email, true).into());
        }
        Some((u, _)) => (u, false),
        None => {
            crate::handlers::sign_up_enabled(caller)?;
            let ctx = Context {
                route: route(&req),
                user_id: None,
                email: Some(code.email.clone()),
                team_id: None,
            };
            let new = new_account(UserPatch {
                email: Some(Some(code.email.clone())),
                email_verified: Some(true),
                email_auth_enabled: Some(true),
                otp_auth_enabled: Some(true),
                ..UserPatch::default()
            });
            let user = gateway
                .create_user(new)
                .await
                .map_err(|e| TieredError::from_core(e, &ctx))?
                .value;
            let user = teams::personal_team(&gateway, &caller.project, user).await?;
            tracing::info!(user_id = %user.id, project_id = %caller.project.id, "user signed up with a one-time code");
            (user, true)
        }
    };
    if user.standing() != Standing::Good {
        return Err(reset::refused(gateway_core::CodeRefusal::NotFound).into());
    }
    if user.security.totp_secret.is_some() {
        return Err(KnownError::multi_factor_authentication_required(&random_token(24)).into());
    }
    signed_in(&req, &gateway, caller, &user, Some(is_new)).await
}
