//! `POST /api/v1/auth/password/sign-up` (`signUpWithCredential`): creates a user with an email
//! and a password (or upgrades the caller's anonymous user, keeping its id) and signs it in; 200
//! with an access token, a refresh token and the user's id. The vendor's checks in its order:
//! access type, body schema, the password rule (`PASSWORD_TOO_SHORT`), the email taken
//! (`USER_EMAIL_ALREADY_EXISTS`). With a `verification_callback_url` the address is mailed a
//! verification code, as the vendor's (a refused callback or an unsent mail is logged and does not
//! fail the sign-up). The project's `credential_enabled` (`PASSWORD_AUTHENTICATION_NOT_ENABLED`)
//! and `sign_up_enabled` (`SIGN_UP_NOT_ENABLED`) are checked after the schema.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, PasswordChange, Surface, User, UserPatch};

use crate::{
    auth::{AccessType, Caller, Smart},
    error::{Context, TieredError},
    handlers::{mint, new_account, route, schema_error},
    password, respond, teams,
    tokens::{ACCESS_TOKEN_LIFETIME, SESSION_LIFETIME},
    wire::SignedIn,
};

/// Signs up with an email and a password.
#[utoipa::path(
    post, path = "/api/v1/auth/password/sign-up", tag = "Password",
    summary = "Sign up with email and password",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::PasswordSignUp,
    responses(
        (status = 200, description = "Signed up and signed in.", body = crate::wire::SignedIn),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `PASSWORD_TOO_SHORT` (400), `USER_EMAIL_ALREADY_EXISTS` (409).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn sign_up(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let body = password::sign_up(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    crate::handlers::passwords_enabled(caller)?;
    // Also for an anonymous user's upgrade, as the vendor's.
    crate::handlers::sign_up_enabled(caller)?;
    password::check_rule(&body.password)?;
    let ctx = Context {
        route: route(&req),
        user_id: None,
        email: Some(gateway_core::validate::normalize_email(&body.email)),
        team_id: None,
    };
    let fields = UserPatch {
        email: Some(Some(body.email.clone())),
        email_verified: Some(false),
        email_auth_enabled: Some(true),
        password: Some(Some(PasswordChange::Plain(body.password.clone()))),
        ..UserPatch::default()
    };
    let user = match caller.user.as_ref().filter(|u| u.account.is_anonymous) {
        // The vendor upgrades the caller's anonymous user in place, and renames its teams
        // still called `Personal Team` after the new email.
        Some(anonymous) => {
            let upgrade = UserPatch {
                is_anonymous: Some(false),
                ..fields
            };
            let user = gateway
                .update_user(anonymous.id, upgrade)
                .await
                .map_err(|e| TieredError::from_core(e, &ctx))?
                .value;
            teams::rename_personal_teams(&gateway, &user).await?;
            user
        }
        None => {
            let new = new_account(fields);
            let user = gateway
                .create_user(new)
                .await
                .map_err(|e| TieredError::from_core(e, &ctx))?
                .value;
            teams::personal_team(&gateway, &caller.project, user).await?
        }
    };
    tracing::info!(user_id = %user.id, project_id = %caller.project.id, "user signed up with a password");
    // The vendor mails a verification code when a callback is given, without making the sign-up
    // wait for or fail with it.
    if let Some(callback) = &body.verification_callback_url
        && let Some(email) = user.identity.email.as_deref()
        && let Err(e) =
            crate::contact::send_verification(&gateway, &caller.project, &user, email, callback)
                .await
    {
        tracing::warn!(user_id = %user.id, error = ?e, "the verification mail of a sign-up was not sent");
    }
    signed_in(&req, &gateway, caller, &user, None).await
}

/// Opens a session of `user` in the caller's project: the sign-in answer (with `is_new_user`
/// when given: the OTP sign-in's).
pub async fn signed_in(
    req: &HttpRequest,
    gateway: &Gateway,
    caller: &Caller,
    user: &User,
    is_new_user: Option<bool>,
) -> Result<HttpResponse, TieredError> {
    let issued = gateway
        .open_project_session(
            caller.project.id,
            user.id,
            Surface::Users,
            SESSION_LIFETIME,
            false,
        )
        .await?;
    let (access_token, _) = mint(
        req,
        gateway,
        &caller.project.id.to_string(),
        user,
        &issued.session.id.to_string(),
        ACCESS_TOKEN_LIFETIME,
    )
    .await?;
    Ok(respond::json(
        req,
        StatusCode::OK,
        &SignedIn {
            access_token,
            refresh_token: issued.refresh_token,
            user_id: user.id.to_string(),
            is_new_user,
        },
    ))
}
