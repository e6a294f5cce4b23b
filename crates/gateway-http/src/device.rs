//! Device logins (RFC 8628) as every dialect serves them: the timing and bound configured for the
//! server ([`DeviceLogin`], registered as `web::Data<DeviceLogin>`) and the address of the
//! gateway's approval page that a CLI opens ([`DeviceLogin::verification_url`]).

use actix_web::{HttpRequest, http::header, web::Data};
use gateway_core::{
    CoreError, DeviceAuthorization, Gateway, Surface,
    device::{DEFAULT_MAX_PENDING, DeviceTiming},
};

use crate::PublicBaseUrl;

/// The path of the gateway's sign-in and approval page for device logins.
pub const APPROVAL_PATH: &str = "/login/device";

/// How device logins are served (`[auth] device_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceLogin {
    /// Lifetime and polling interval.
    pub timing: DeviceTiming,
    /// How many may wait at once, over the whole store.
    pub max_pending: u64,
}

impl Default for DeviceLogin {
    fn default() -> Self {
        Self {
            timing: DeviceTiming::default(),
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

impl DeviceLogin {
    /// The settings registered for the server handling `req` (the defaults when none are).
    pub fn of(req: &HttpRequest) -> Self {
        req.app_data::<Data<Self>>()
            .map_or_else(Self::default, |d| *d.get_ref())
    }

    /// Starts a device login of `surface` for the CLI sending `req` (its `User-Agent` is what the
    /// approval page shows of it), with the server's timing and bound: the row and the device
    /// code's text.
    pub async fn start(
        req: &HttpRequest,
        gateway: &Gateway,
        surface: Surface,
        client_id: Option<&str>,
    ) -> Result<(DeviceAuthorization, String), CoreError> {
        let settings = Self::of(req);
        let agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        gateway
            .start_device_authorization(
                surface,
                client_id,
                agent,
                settings.timing,
                settings.max_pending,
            )
            .await
    }

    /// The approval page on the public base URL (never on a request's `Host`); only the path
    /// when the server registered none.
    pub fn verification_uri(req: &HttpRequest) -> String {
        let base = req
            .app_data::<Data<PublicBaseUrl>>()
            .map_or("", |url| url.as_str());
        format!("{base}{APPROVAL_PATH}")
    }

    /// The approval page with the user code filled in.
    pub fn verification_url(req: &HttpRequest, user_code: &str) -> String {
        format!("{}?code={user_code}", Self::verification_uri(req))
    }
}
