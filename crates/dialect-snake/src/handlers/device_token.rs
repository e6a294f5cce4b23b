//! `POST /api/v1/auth/device/token` (platform): exchanges an approved device code, once, for a
//! platform access token (with a session, so revoking it ends the token). A user without an
//! organization gets a personal one first: the CLI's next step needs one.

use actix_web::{HttpResponse, http::header, web::Data};
use gateway_core::{Gateway, Surface};
use gateway_http::Tokens;

use crate::{
    error::{PlatformError, WireIssue},
    extract::JsonBody,
    handlers::device_status::refused,
    policy,
    wire::{
        Sent,
        platform::ErrorEnvelope,
        platform_account::{DeviceToken, DeviceTokenRequest},
    },
};

/// Exchange a device code for an access token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/device/token",
    tag = "auth",
    operation_id = "exchange_device_code",
    request_body = DeviceTokenRequest,
    responses(
        (status = 200, description = "Successful Response", body = DeviceToken),
        (status = 400, description = "Not approved yet, expired, already exchanged, or a malformed body", body = ErrorEnvelope),
        (status = 403, description = "Denied, or the account is disabled", body = ErrorEnvelope),
        (status = 404, description = "Unknown device code", body = ErrorEnvelope),
        (status = 422, description = "No device_code", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn exchange_device_code(
    gateway: Data<Gateway>,
    tokens: Data<Tokens>,
    body: JsonBody<DeviceTokenRequest>,
) -> Result<HttpResponse, PlatformError> {
    let code = match body.into_inner()?.device_code {
        Sent::Value(code) if !code.is_empty() => code,
        Sent::Invalid(sent) => {
            return Err(PlatformError::validation(vec![WireIssue::wrong_type(
                "device_code",
                crate::error::Expected::String,
                sent,
            )]));
        }
        _ => {
            return Err(PlatformError::validation(vec![WireIssue::missing(
                "device_code",
            )]));
        }
    };
    let (_, user) = gateway
        .exchange_device_code(Surface::Platform, &code, None)
        .await?
        .map_err(refused)?;
    policy::platform_access(&user)?;
    gateway.ensure_organization(&user).await?;
    let issued = crate::auth::session_token(&gateway, &tokens, &user, Surface::Platform).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(DeviceToken {
            access_token: issued.token,
            token_type: "bearer",
            expires_in: issued.expires_in,
        }))
}
