//! `POST /api/v1/auth/device/code` (platform): starts a device login (`dreadnode login`). No
//! credential; the answer carries the device code (the CLI's secret), the user code and the
//! gateway's approval page.

use actix_web::{HttpRequest, HttpResponse, http::header, web::Data};
use gateway_core::{Gateway, Surface};
use gateway_http::DeviceLogin;

use crate::{
    convert_account::platform_device,
    error::PlatformError,
    wire::{platform::ErrorEnvelope, platform_account::DeviceCode},
};

/// Start a device login.
#[utoipa::path(
    post,
    path = "/api/v1/auth/device/code",
    tag = "auth",
    operation_id = "create_device_code",
    responses(
        (status = 200, description = "Successful Response", body = DeviceCode),
        (status = 429, description = "Too many device logins are waiting", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn create_device_code(
    req: HttpRequest,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, PlatformError> {
    let (device, code) = DeviceLogin::start(&req, &gateway, Surface::Platform, None).await?;
    let url = DeviceLogin::verification_url(&req, &device.user_code);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(platform_device(&device, Some(&code), url)))
}
