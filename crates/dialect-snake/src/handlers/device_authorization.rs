//! `POST /auth/device_authorization` (users-me): starts an OAuth 2.0 device authorization
//! (RFC 8628 §3.1) for `zenml login --pro`. No credential; the form's `client_id` is kept and must
//! come back with every poll, and the `User-Agent` (ZenML's device description) is shown on the
//! approval page.

use actix_web::{HttpRequest, HttpResponse, http::header, web::Data};
use gateway_core::{Gateway, Surface};
use gateway_http::DeviceLogin;

use crate::{
    error::UsersMeError,
    extract::FormBody,
    wire::{
        users_me::ErrorDetail,
        users_me_account::{DeviceAuthorizationForm, DeviceAuthorizationResponse},
    },
};

/// Start a device authorization.
#[utoipa::path(
    post,
    path = "/auth/device_authorization",
    tag = "auth",
    operation_id = "device_authorization",
    request_body(content = DeviceAuthorizationForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Successful Response", body = DeviceAuthorizationResponse),
        (status = 422, description = "ValueError (unparsable form)", body = ErrorDetail),
        (status = 429, description = "RuntimeError (too many device logins are waiting)", body = ErrorDetail),
        (status = 503, description = "RuntimeError (storage unavailable)", body = ErrorDetail),
    )
)]
pub async fn device_authorization(
    req: HttpRequest,
    gateway: Data<Gateway>,
    form: FormBody<DeviceAuthorizationForm>,
) -> Result<HttpResponse, UsersMeError> {
    let client_id = form.into_inner()?.and_then(|f| f.client_id);
    let (device, code) =
        DeviceLogin::start(&req, &gateway, Surface::UsersMe, client_id.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(DeviceAuthorizationResponse {
            device_code: code,
            verification_uri: DeviceLogin::verification_uri(&req),
            verification_uri_complete: DeviceLogin::verification_url(&req, &device.user_code),
            user_code: device.user_code,
            expires_in: (device.expires_at - device.created_at).num_seconds(),
            interval: device.interval_secs,
        }))
}
