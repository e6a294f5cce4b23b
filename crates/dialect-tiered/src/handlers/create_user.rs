//! `POST /api/v1/users`: creates a user for server and admin callers; 201 with the server read
//! object. The vendor's checks in its order: access type, body schema, password fields, email
//! flags without an email, the email taken (the gateway's rule: any user's email or username,
//! letter case aside), OAuth providers (none is configured: any entry is refused), then the
//! write rules shared with `PATCH` ([`convert::to_patch`]). The core checks every field and
//! inserts the user with all of them in one write, so a refused field leaves nothing behind.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use chrono::Utc;
use gateway_core::{Gateway, User, UserId};

use crate::{
    auth::{AccessType, Smart},
    convert,
    error::{Context, TieredError},
    handlers::{new_account, read, route, schema_error},
    respond,
    validate::{self, Tier},
};

fn bad_request(message: impl Into<String>) -> TieredError {
    TieredError::text(StatusCode::BAD_REQUEST, message)
}

/// Creates a user.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "Users",
    summary = "Create user",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserCreate,
    responses(
        (status = 201, description = "The new user (server read object).", body = crate::wire::UserRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `INSUFFICIENT_ACCESS_TYPE` (401, client callers), `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `USER_EMAIL_ALREADY_EXISTS` (409); plain-text 400s for the password fields, email flags without an email and unknown OAuth providers.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn create_user(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let (mut update, providers) =
        validate::user_create(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    convert::check_password_fields(&update)?;
    let email = update
        .primary_email
        .clone()
        .flatten()
        .map(|e| gateway_core::validate::normalize_email(&e));
    if email.is_none() {
        if update.primary_email_auth_enabled == Some(true) {
            return Err(bad_request(
                "primary_email_auth_enabled cannot be true without primary_email",
            ));
        }
        if update.primary_email_verified == Some(true) {
            return Err(bad_request(
                "primary_email_verified cannot be true without primary_email",
            ));
        }
    }
    let ctx = Context {
        route: route(&req),
        user_id: None,
        email: email.clone(),
        team_id: None,
    };
    if let Some(p) = providers.first() {
        return Err(bad_request(format!("OAuth provider {} not found", p.id)));
    }
    // The project's sign-in switches bind the server too, for the methods it would turn on.
    let with_password = matches!(update.password, Some(Some(_))) || update.password_hash.is_some();
    if with_password && !caller.project.credential_enabled {
        return Err(bad_request("Password auth not enabled in the project"));
    }
    if update.otp_auth_enabled == Some(true) && !caller.project.magic_link_enabled {
        return Err(bad_request("OTP auth not enabled in the project"));
    }
    // The vendor's defaults, unlike the core's: no email sign-in unless asked (no OTP either:
    // `new_account`).
    update.primary_email_auth_enabled.get_or_insert(false);
    // The write rules shared with `PATCH`, applied to the defaults of a new account.
    let blank = User::new(UserId::new(), String::new(), Utc::now());
    let new = new_account(convert::to_patch(update, &blank)?);
    let user = gateway
        .create_user(new)
        .await
        .map_err(|e| TieredError::from_core(e, &ctx))?
        .value;
    // The vendor builds its answer before it makes the personal team: the 201 shows no
    // selected team, later reads do.
    let view = read(&gateway, &user, Tier::Server).await?;
    crate::teams::personal_team(&gateway, &caller.project, user).await?;
    Ok(respond::json(&req, StatusCode::CREATED, &view))
}
