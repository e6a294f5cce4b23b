//! `GET /api/v1/auth/device/code/{device_code}` (platform): where a device login stands, polled by
//! `dreadnode login` until `user_id` is set. Denied, expired, exchanged and unknown codes are
//! errors in the canonical envelope (the CLI keeps polling on any 4xx until its own deadline).

use actix_web::{
    HttpRequest, HttpResponse,
    http::header,
    web::{Data, Path},
};
use gateway_core::{DevicePoll, DeviceRefusal, Gateway, Surface};
use gateway_http::DeviceLogin;

use crate::{
    convert_account::platform_device,
    error::{PlatformError, PlatformErrorType},
    wire::{platform::ErrorEnvelope, platform_account::DeviceCode},
};

/// The platform's answer to a device code that does not lead to a token.
pub fn refused(refusal: DeviceRefusal) -> PlatformError {
    use PlatformErrorType as T;
    let (kind, detail) = match refusal {
        DeviceRefusal::Unknown => (T::NotFound, "Device code not found"),
        DeviceRefusal::Expired => (T::InvalidRequest, "Device code expired"),
        DeviceRefusal::Denied => (T::Permission, "Device authorization denied"),
        DeviceRefusal::AlreadyUsed => (T::InvalidRequest, "Device code already used"),
        DeviceRefusal::Pending => (T::InvalidRequest, "Device code not verified"),
        DeviceRefusal::OtherClient => (T::InvalidRequest, "Device code issued to another client"),
    };
    PlatformError::new(kind, detail)
}

/// Poll a device login.
#[utoipa::path(
    get,
    path = "/api/v1/auth/device/code/{device_code}",
    tag = "auth",
    operation_id = "get_device_code",
    params(("device_code" = String, Path, description = "The device code")),
    responses(
        (status = 200, description = "Pending (`user_id` null) or approved", body = DeviceCode),
        (status = 400, description = "Expired or already exchanged", body = ErrorEnvelope),
        (status = 403, description = "Denied", body = ErrorEnvelope),
        (status = 404, description = "Unknown device code", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn get_device_code(
    req: HttpRequest,
    gateway: Data<Gateway>,
    path: Path<String>,
) -> Result<HttpResponse, PlatformError> {
    let code = path.into_inner();
    let device = match gateway.poll_device(Surface::Platform, &code).await? {
        DevicePoll::Pending { device, .. } | DevicePoll::Approved(device) => device,
        DevicePoll::Refused(refusal) => return Err(refused(refusal)),
    };
    let url = DeviceLogin::verification_url(&req, &device.user_code);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(platform_device(&device, None, url)))
}
