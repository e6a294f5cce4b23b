//! One thin file per endpoint, plus the few helpers they share: the route heading of
//! `SCHEMA_ERROR`s, the `{user_id}` parameter, a new account as the vendor makes one, loading the
//! read object of a user, resuming a refresh session and minting an access token.

pub mod add_team_member;
pub mod admin;
pub mod anonymous_sign_up;
pub mod check_reset_code;
pub mod check_sign_in_code;
pub mod check_user_api_key;
pub mod create_contact_channel;
pub mod create_session;
pub mod create_team;
pub mod create_user;
pub mod create_user_api_key;
pub mod current_project;
pub mod delete_contact_channel;
pub mod delete_me;
pub mod delete_session;
pub mod delete_team;
pub mod delete_user;
pub mod get_contact_channel;
pub mod get_me;
pub mod get_team;
pub mod get_user;
pub mod get_user_api_key;
pub mod grant_team_permission;
pub mod health;
pub mod jwks;
pub mod list_contact_channels;
pub mod list_sessions;
pub mod list_team_permissions;
pub mod list_teams;
pub mod list_user_api_keys;
pub mod list_users;
pub mod oauth_token;
pub mod otp_sign_in;
pub mod patch_contact_channel;
pub mod patch_me;
pub mod patch_team;
pub mod patch_user;
pub mod patch_user_api_key;
pub mod refresh_session;
pub mod remove_team_member;
pub mod reset_password;
pub mod revoke_team_permission;
pub mod send_channel_verification;
pub mod send_email_verification;
pub mod send_reset_code;
pub mod send_sign_in_code;
pub mod set_password;
pub mod sign_in;
pub mod sign_out;
pub mod sign_up;
pub mod update_password;
pub mod verify_email;

use actix_web::HttpRequest;
use gateway_core::{Gateway, NewUser, User, UserId, UserKind, UserPatch, UserStatus};

use crate::{
    convert,
    error::{TieredError, schema_message},
    known::KnownError,
    validate::{self, Tier},
    wire::UserRead,
};

/// A new account as the vendor makes one (`POST /users`, password and anonymous sign-up) from the
/// fields the request decided: the vendor has no username, so the core's unique one is generated
/// (`anon_<hex>` for anonymous users, `user_<hex>` otherwise); the account is usable at once; OTP
/// sign-in is off unless the fields turn it on.
pub fn new_account(mut fields: UserPatch) -> NewUser {
    let prefix = if fields.is_anonymous == Some(true) {
        "anon"
    } else {
        "user"
    };
    fields.username = Some(format!("{prefix}_{}", uuid::Uuid::new_v4().simple()));
    fields.status = Some(UserStatus::Active);
    fields.otp_auth_enabled.get_or_insert(false);
    NewUser {
        kind: UserKind::Regular,
        organization_id: None,
        oauth: None,
        fields,
    }
}

/// `METHOD /path`, as the vendor names a request in validation errors.
pub fn route(req: &HttpRequest) -> String {
    format!("{} {}", req.method(), req.path())
}

/// A `SCHEMA_ERROR` for this request with the given failure lines.
pub fn schema_error(req: &HttpRequest, lines: &[String]) -> TieredError {
    KnownError::schema_error(schema_message(&route(req), lines)).into()
}

/// The `{user_id}` path parameter: a UUID (the vendor's `userIdSchema`), or the failure line.
pub fn user_id_param(req: &HttpRequest) -> Result<UserId, String> {
    uuid_param(req, "user_id").map(UserId)
}

/// The path parameter `name`: a UUID as the vendor's schemas accept one, or the failure line.
pub fn uuid_param(req: &HttpRequest, name: &str) -> Result<uuid::Uuid, String> {
    let raw = req.match_info().get(name).unwrap_or_default();
    if validate::is_uuid(raw)
        && let Ok(id) = uuid::Uuid::parse_str(raw)
    {
        return Ok(id);
    }
    Err(format!("params.{name} must be a valid UUID"))
}

/// `{team_id}` (a UUID) and `{user_id}` (a UUID or `me`) of the membership routes, or the
/// failure lines.
pub fn team_member_params(
    req: &HttpRequest,
) -> Result<(uuid::Uuid, crate::sessions::UserRef), Vec<String>> {
    let mut lines = Vec::new();
    let team = uuid_param(req, "team_id").map_err(|l| lines.push(l)).ok();
    let raw = req.match_info().get("user_id").unwrap_or_default();
    let user = crate::sessions::UserRef::parse(raw);
    if user.is_none() {
        lines.push("params.user_id must be a valid UUID".to_owned());
    }
    match (team, user) {
        (Some(team), Some(user)) if lines.is_empty() => Ok((team, user)),
        _ => Err(lines),
    }
}

/// `{team_id}`, `{user_id}` and `{permission_id}` of the permission routes, or the failure
/// lines.
pub fn team_permission_params(
    req: &HttpRequest,
) -> Result<(uuid::Uuid, crate::sessions::UserRef, String), Vec<String>> {
    let member = team_member_params(req);
    let raw = req.match_info().get("permission_id").unwrap_or_default();
    let permission = crate::teams::permission_id_param(raw);
    match (member, permission) {
        (Ok((team, user)), Ok(permission)) => Ok((team, user, permission)),
        (member, permission) => {
            let mut lines = member.err().unwrap_or_default();
            lines.extend(permission.err());
            Err(lines)
        }
    }
}

/// A client caller may name only its own user (`me` or its id): `CANNOT_GET_OWN_USER_WITHOUT_USER`
/// without a user, else plain text 403 `refusal`. Other callers may name anyone.
pub fn own_user_only(
    caller: &crate::auth::Caller,
    named: Option<UserId>,
    refusal: &str,
) -> Result<(), TieredError> {
    if caller.access_type != crate::auth::AccessType::Client {
        return Ok(());
    }
    let own = caller
        .user
        .as_ref()
        .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
    if named == Some(own.id) {
        Ok(())
    } else {
        Err(TieredError::text(
            actix_web::http::StatusCode::FORBIDDEN,
            refusal,
        ))
    }
}

/// A refused channel change as the vendor answers it (`value`: the address a create named).
pub fn channel_refused(refusal: gateway_core::ChannelRefusal, value: Option<&str>) -> TieredError {
    use actix_web::http::StatusCode;
    use gateway_core::ChannelRefusal;
    match refusal {
        ChannelRefusal::NotFound => {
            TieredError::text(StatusCode::BAD_REQUEST, "Contact channel not found")
        }
        ChannelRefusal::Exists => {
            TieredError::text(StatusCode::BAD_REQUEST, "Contact channel already exists")
        }
        ChannelRefusal::UsedForAuthElsewhere => {
            KnownError::contact_channel_already_used_for_auth_by_someone_else(value).into()
        }
        ChannelRefusal::TooMany => TieredError::text(
            StatusCode::BAD_REQUEST,
            format!(
                "A user can have at most {} contact channels besides the primary email.",
                gateway_core::MAX_OTHER_CHANNELS
            ),
        ),
    }
}

/// The outcome of a change of an existing channel: a refusal in the vendor's words, and a user
/// that is gone as the channel being gone (`Contact channel not found`, as the vendor answers).
pub fn channel_changed<T>(
    outcome: Result<Result<T, gateway_core::ChannelRefusal>, gateway_core::CoreError>,
) -> Result<T, TieredError> {
    match outcome {
        Ok(done) => done.map_err(|r| channel_refused(r, None)),
        Err(e) if e.kind() == gateway_core::ErrorKind::NotFound => Err(channel_refused(
            gateway_core::ChannelRefusal::NotFound,
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The path parameters and an empty-object body of a create, checked together (their failure
/// lines in one `SCHEMA_ERROR`, the parameters' first).
pub fn params_and_empty_body<T>(
    req: &HttpRequest,
    params: Result<T, Vec<String>>,
    body: &crate::body::Body,
) -> Result<T, TieredError> {
    match (params, crate::teams::empty_body(body)) {
        (Ok(params), Ok(())) => Ok(params),
        (params, body) => {
            let mut lines = params.err().unwrap_or_default();
            lines.extend(body.err().unwrap_or_default());
            Err(schema_error(req, &lines))
        }
    }
}

/// The project's `credential_enabled`: password sign-up, sign-in, set, update and reset codes
/// (checked after the request's schema, as the vendor's).
pub fn passwords_enabled(caller: &crate::auth::Caller) -> Result<(), TieredError> {
    if caller.project.credential_enabled {
        Ok(())
    } else {
        Err(crate::known::KnownError::password_authentication_not_enabled().into())
    }
}

/// The project's `sign_up_enabled`, for a request that would make a new user (password sign-up,
/// a one-time code to an unknown address; not the server's `POST /users`, as the vendor's).
pub fn sign_up_enabled(caller: &crate::auth::Caller) -> Result<(), TieredError> {
    if caller.project.sign_up_enabled {
        Ok(())
    } else {
        Err(crate::known::KnownError::sign_up_not_enabled().into())
    }
}

/// The project's `magic_link_enabled`: one-time-code sign-in (403 text, as the vendor's).
pub fn one_time_codes_enabled(caller: &crate::auth::Caller) -> Result<(), TieredError> {
    if caller.project.magic_link_enabled {
        Ok(())
    } else {
        Err(TieredError::text(
            actix_web::http::StatusCode::FORBIDDEN,
            "OTP sign-in is not enabled for this project",
        ))
    }
}

/// The project's switch for user API keys (checked after the request's schema, as the vendor's).
pub fn keys_enabled(caller: &crate::auth::Caller) -> Result<(), TieredError> {
    if caller.project.allow_user_api_keys {
        Ok(())
    } else {
        Err(TieredError::text(
            actix_web::http::StatusCode::BAD_REQUEST,
            "User API keys are not enabled for this project.",
        ))
    }
}

/// `{api_key_id}` (a UUID) and the query of the key routes (`user_id` allowed and ignored), or
/// the failure lines.
pub fn user_api_key_params(req: &HttpRequest) -> Result<String, Vec<String>> {
    let mut lines = Vec::new();
    let id = uuid_param(req, "api_key_id")
        .map_err(|l| lines.push(l))
        .ok();
    if let Err(more) = crate::sessions::user_query(req.query_string(), false) {
        lines.extend(more);
    }
    match id {
        Some(id) if lines.is_empty() => Ok(id.to_string()),
        _ => Err(lines),
    }
}

/// A user API key of this surface (`API_KEY_NOT_FOUND`) that a client caller owns (plain text 403
/// `Client can only manage their own api keys`).
pub async fn owned_key(
    gateway: &Gateway,
    caller: &crate::auth::Caller,
    id: &str,
) -> Result<gateway_core::ApiKey, TieredError> {
    let key = gateway
        .api_key(id)
        .await
        .ok()
        .filter(|k| k.surface == gateway_core::Surface::Users)
        .ok_or_else(KnownError::api_key_not_found)?;
    if caller.access_type == crate::auth::AccessType::Client
        && caller.user.as_ref().map(|u| u.id) != Some(key.user_id)
    {
        return Err(TieredError::text(
            actix_web::http::StatusCode::FORBIDDEN,
            "Client can only manage their own api keys",
        ));
    }
    Ok(key)
}

/// The read object of `user` for `tier`, with its selected team.
pub async fn read(gateway: &Gateway, user: &User, tier: Tier) -> Result<UserRead, TieredError> {
    let team = selected_team(gateway, user).await?;
    Ok(convert::user_read(user, team.as_ref(), tier))
}

/// The team `user` selected, if it still is a member (the read objects' `selected_team`).
pub async fn selected_team(
    gateway: &Gateway,
    user: &User,
) -> Result<Option<gateway_core::Team>, gateway_core::CoreError> {
    let Some(team_id) = user.account.selected_team_id else {
        return Ok(None);
    };
    Ok(gateway
        .memberships(user.id)
        .await?
        .into_iter()
        .map(|m| m.team)
        .find(|t| t.id == team_id))
}

/// Applies a validated update to `current` (the vendor's write rules, then the core's), mapping
/// core errors with what the request was about.
pub async fn write(
    req: &HttpRequest,
    gateway: &Gateway,
    current: &User,
    update: crate::wire::UserUpdate,
) -> Result<User, TieredError> {
    let ctx = crate::error::Context {
        route: route(req),
        user_id: Some(current.id.to_string()),
        email: update
            .primary_email
            .clone()
            .flatten()
            .map(|e| gateway_core::validate::normalize_email(&e)),
        team_id: update.selected_team_id.flatten().map(|t| t.to_string()),
    };
    let patch = convert::to_patch(update, current)?;
    gateway
        .update_user(current.id, patch)
        .await
        .map(|outcome| outcome.value)
        .map_err(|e| TieredError::from_core(e, &ctx))
}

/// Resumes a refresh session of `project_id` for the refresh grants: the vendor's
/// `generateAccessTokenFromRefreshTokenIfValid` mints nothing for a user it cannot load, and a
/// user who is not in good standing is treated the same (`REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`).
pub async fn resume(
    gateway: &Gateway,
    project_id: uuid::Uuid,
    refresh_token: &str,
) -> Result<(gateway_core::Session, User), TieredError> {
    let (session, user) = gateway
        .resume_project_session(project_id, gateway_core::Surface::Users, refresh_token)
        .await?;
    if user.standing() != gateway_core::Standing::Good {
        return Err(KnownError::refresh_token_not_found_or_expired().into());
    }
    Ok((session, user))
}

/// Mints an access token for `user` in `project_id` from refresh session `session_id`.
pub async fn mint(
    req: &HttpRequest,
    gateway: &Gateway,
    project_id: &str,
    user: &User,
    session_id: &str,
    lifetime: chrono::Duration,
) -> Result<(String, chrono::DateTime<chrono::Utc>), TieredError> {
    let keys = req
        .app_data::<actix_web::web::Data<crate::tokens::KeyCell>>()
        .ok_or_else(|| gateway_core::CoreError::internal("tiered key cell is not registered"))?;
    let key = keys.get(gateway).await?;
    let now = gateway_core::service::now();
    let claims = crate::tokens::SigningKey::claims(
        &crate::config::base_url(req),
        project_id,
        user,
        session_id,
        now,
        lifetime,
    );
    Ok((key.sign(&claims)?, now + lifetime))
}

/// Writes `plain` as `user_id`'s new password, ending the sessions `ending` names, and answers
/// `{"success": true}` (`/auth/password/update` and `/set`).
pub async fn write_password(
    req: &HttpRequest,
    gateway: &Gateway,
    user_id: UserId,
    plain: String,
    ending: gateway_core::Revocation,
) -> Result<actix_web::HttpResponse, TieredError> {
    let ctx = crate::error::Context {
        route: route(req),
        user_id: Some(user_id.to_string()),
        email: None,
        team_id: None,
    };
    gateway
        .update_user_ending(
            user_id,
            gateway_core::UserPatch {
                password: Some(Some(gateway_core::PasswordChange::Plain(plain))),
                ..gateway_core::UserPatch::default()
            },
            ending,
        )
        .await
        .map_err(|e| TieredError::from_core(e, &ctx))?;
    Ok(crate::respond::json(
        req,
        actix_web::http::StatusCode::OK,
        &crate::wire::Success { success: true },
    ))
}

/// The check-code routes of every mailed code (`.../check-code`): the code of `purpose` in the
/// caller's project would act → 200 `{"is_code_valid": true}`, without using it; else its
/// `VERIFICATION_CODE_*` error.
pub async fn check_code(
    req: &HttpRequest,
    smart: &crate::auth::Smart,
    gateway: &gateway_core::Gateway,
    purpose: gateway_core::CodePurpose,
) -> Result<actix_web::HttpResponse, TieredError> {
    use crate::auth::AccessType;
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let code = crate::reset::check_body(&smart.body).map_err(|lines| schema_error(req, &lines))?;
    gateway
        .check_code(purpose, Some(caller.project.id), &code)
        .await?
        .map_err(crate::reset::refused)?;
    Ok(crate::respond::json(
        req,
        actix_web::http::StatusCode::OK,
        &serde_json::json!({"is_code_valid": true}),
    ))
}

/// User `id`, or `None` when there is none; any other failure (an unreachable store) stays an
/// error, so it is never answered as an absent user.
pub async fn existing_user(
    gateway: &gateway_core::Gateway,
    id: UserId,
) -> Result<Option<gateway_core::User>, TieredError> {
    match gateway.user(id).await {
        Ok(user) => Ok(Some(user)),
        Err(e) if e.kind() == gateway_core::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
