//! The device grant of `POST /auth/login` (users-me, RFC 8628 §3.4):
//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` with `client_id` and `device_code`,
//! polled by `zenml login --pro`. Every refusal is a 400 whose body holds only OAuth keys
//! (`error`, `error_description`): ZenML's client builds its `OAuthError` from the body and fails
//! on any other key.

use actix_web::{HttpResponse, http::header};
use gateway_core::{DevicePoll, DeviceRefusal, Gateway, Surface};
use gateway_http::Tokens;

use crate::{
    error::UsersMeError,
    policy,
    wire::{users_me::TokenResponse, users_me_account::OAuthError},
};

/// The grant type of a device code poll.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn oauth(error: &'static str, description: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OAuthError {
            error,
            error_description: description.into(),
        })
}

fn refused(refusal: DeviceRefusal) -> HttpResponse {
    match refusal {
        DeviceRefusal::Unknown => oauth("invalid_grant", "unknown device code"),
        DeviceRefusal::Expired => oauth("expired_token", "the device code has expired"),
        DeviceRefusal::Denied => oauth("access_denied", "the device login was denied"),
        DeviceRefusal::AlreadyUsed => oauth("expired_token", "the device code was already used"),
        DeviceRefusal::Pending => oauth("authorization_pending", "the device login is pending"),
        DeviceRefusal::OtherClient => oauth(
            "invalid_grant",
            "the device code was issued to another client",
        ),
    }
}

/// Answers one poll: pending (or `slow_down` when it came sooner than the interval), a refusal,
/// or, once approved, the access token (with a session), exchanged once.
pub async fn poll(
    gateway: &Gateway,
    tokens: &Tokens,
    client_id: Option<&str>,
    device_code: Option<&str>,
) -> Result<HttpResponse, UsersMeError> {
    let Some(code) = device_code.filter(|c| !c.is_empty()) else {
        return Ok(oauth("invalid_request", "device_code is required"));
    };
    match gateway.poll_device(Surface::UsersMe, code).await? {
        DevicePoll::Refused(refusal) => return Ok(refused(refusal)),
        DevicePoll::Pending { too_fast: true, .. } => {
            return Ok(oauth("slow_down", "polling faster than the interval"));
        }
        DevicePoll::Pending { .. } => return Ok(refused(DeviceRefusal::Pending)),
        DevicePoll::Approved(_) => {}
    }
    let user = match gateway
        .exchange_device_code(Surface::UsersMe, code, client_id)
        .await?
    {
        Ok((_, user)) => user,
        Err(refusal) => return Ok(refused(refusal)),
    };
    if policy::users_me_access(&user).is_err() {
        return Ok(oauth("access_denied", "the user account is not active"));
    }
    gateway.ensure_organization(&user).await?;
    let issued = crate::auth::session_token(gateway, tokens, &user, Surface::UsersMe).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: issued.token,
            token_type: "bearer",
            expires_in: issued.expires_in,
        }))
}
