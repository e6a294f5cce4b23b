//! `POST /api/v1/auth/password/update` (`user.updatePassword`): changes the signed-in user's
//! password after checking the old one, and ends every other session of the user: all of them
//! but the one whose refresh token the request carries (`x-stack-refresh-token`), as the vendor.

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::{Gateway, Revocation, Surface};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{schema_error, write_password},
    headers,
    known::KnownError,
    password,
};

/// Updates the current user's password.
#[utoipa::path(
    post, path = "/api/v1/auth/password/update", tag = "Password",
    summary = "Update password",
    params(crate::openapi::ProjectHeaders,
        ("x-stack-refresh-token" = Option<String>, Header, description = "The caller's refresh token: its session is kept, every other session of the user ends.")),
    request_body = crate::wire::PasswordUpdate,
    responses(
        (status = 200, description = "Changed.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR` (`auth.user must be defined`, ...), `PASSWORD_TOO_SHORT`, `USER_DOES_NOT_HAVE_PASSWORD`, `PASSWORD_CONFIRMATION_MISMATCH` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn update_password(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (old, new) = password::update(&smart.body, caller.user.is_some())
        .map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::passwords_enabled(caller)?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| schema_error(&req, &["auth.user must be defined".to_owned()]))?;
    password::check_rule(&new)?;
    if !user.has_password() {
        return Err(KnownError::user_does_not_have_password().into());
    }
    if !gateway.verify_password(user, &old).await {
        return Err(KnownError::password_confirmation_mismatch().into());
    }
    // The session of the refresh token the request carries, if it is one of this user's.
    let kept = match headers::get(&req, "refresh-token") {
        None => None,
        Some(token) => gateway
            .live_project_session(caller.project.id, Surface::Users, &token)
            .await
            .ok()
            .filter(|(session, _)| session.user_id == user.id)
            .map(|(session, _)| session.id),
    };
    write_password(
        &req,
        &gateway,
        user.id,
        new,
        kept.map_or(Revocation::All, Revocation::AllBut),
    )
    .await
}
