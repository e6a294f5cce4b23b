//! `POST /api/v1/auth/anonymous/sign-up` (`getUser({or: "anonymous"})`): creates an anonymous
//! user (no email, no password) and signs it in; 200 with an access token, a refresh token and
//! the user's id. Its access tokens carry the anonymous marks: other routes refuse them with
//! `ANONYMOUS_AUTHENTICATION_NOT_ALLOWED` unless the request allows anonymous users.

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::{Gateway, UserPatch};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{new_account, sign_up::signed_in},
    teams,
};

/// Signs up anonymously.
#[utoipa::path(
    post, path = "/api/v1/auth/anonymous/sign-up", tag = "Anonymous",
    summary = "Sign up anonymously",
    params(crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "A new anonymous user, signed in.", body = crate::wire::SignedIn),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn anonymous_sign_up(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    // The vendor's `adminCreate` with `is_anonymous: true` and its defaults: no email sign-in,
    // no OTP (`new_account`).
    let new = new_account(UserPatch {
        is_anonymous: Some(true),
        email_auth_enabled: Some(false),
        ..UserPatch::default()
    });
    let user = gateway.create_user(new).await?.value;
    let user = teams::personal_team(&gateway, &caller.project, user).await?;
    tracing::info!(user_id = %user.id, project_id = %caller.project.id, "anonymous user signed up");
    signed_in(&req, &gateway, caller, &user, None).await
}
