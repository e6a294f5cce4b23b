//! actix-web glue shared by every dialect: access tokens, the credential extractor, request ids,
//! and the helpers each dialect uses to answer framework rejections in its own envelope.
//!
//! Depends on `gateway-core` only; never on storage or on a dialect.

pub mod admin;
pub mod auth;
pub mod body;
pub mod deadline;
pub mod dialect;
pub mod fallback;
pub mod faults;
pub mod openapi;
pub mod request_id;
pub mod tokens;
pub mod verified;

pub use auth::{Auth, AuthError, AuthFailure, AuthPolicy, Authenticated, Credential, Presented};
pub use dialect::{Dialect, Registry, SurfaceSpec};
pub use fallback::{Fallback, FallbackRender};
pub use request_id::request_id;
pub use tokens::{AccessClaims, FixedToken, IssuedToken, TokenError, Tokens};
pub use verified::VerifiedCache;

/// HTTP limits shared by the dialects, registered as `web::Data<HttpLimits>`.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest accepted request body, in bytes (64 KiB by default).
    pub body_limit: usize,
}

impl HttpLimits {
    /// The body limit configured for the server handling `req` (the default when none is
    /// registered). Dialects read it per request: a `JsonConfig` built in `configure` cannot see
    /// the server's settings.
    pub fn body_limit_of(req: &actix_web::HttpRequest) -> usize {
        req.app_data::<actix_web::web::Data<HttpLimits>>()
            .map_or_else(|| Self::default().body_limit, |l| l.body_limit)
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
        }
    }
}
