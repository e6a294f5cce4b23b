//! actix-web glue shared by every dialect (the dialect kit): the dialect contract and registry,
//! the resource helper that applies faults, 405s and error rendering once for every surface,
//! the body layer, the credential verifier, access tokens, request ids and the admin guard.
//!
//! Depends on `gateway-core` only; never on storage or on a dialect.

pub mod admin;
pub mod auth;
pub mod body;
pub mod deadline;
pub mod device;
pub mod dialect;
pub mod faults;
pub mod openapi;
pub mod request_id;
pub mod resource;
pub mod tokens;
pub mod verified;

pub use auth::{
    Auth, AuthError, AuthFailure, AuthPolicy, Authenticated, Credential, Presented, Refusal,
    TokenSubject,
};
pub use device::DeviceLogin;
pub use dialect::{Dialect, Registry, SurfaceError, SurfaceSpec, WebhookPayload};
pub use request_id::request_id;
pub use resource::resource;
pub use tokens::{AccessClaims, FixedToken, IssuedToken, TokenError, Tokens};
pub use verified::VerifiedCache;

#[cfg(test)]
mod tests {
    use super::PublicBaseUrl;

    #[test]
    fn public_base_urls_are_checked_and_normalised() {
        let url = PublicBaseUrl::new("HTTPS://Auth.Example.com:443/").expect("valid");
        assert_eq!(url.as_str(), "https://auth.example.com");
        let url = PublicBaseUrl::new("http://gw.internal:8080/stack/").expect("valid");
        assert_eq!(url.as_str(), "http://gw.internal:8080/stack");
        for bad in [
            "auth.example.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
            "https://x/#f",
        ] {
            assert!(PublicBaseUrl::new(bad).is_err(), "{bad}");
        }
    }
}

/// The gateway's public base URL (`scheme://host[:port][/path]`, no trailing slash), registered
/// by the server as `web::Data<PublicBaseUrl>`: `server.public_base_url`, else the configured
/// listener (`http://{server.host}:{server.port}`), the same on every instance sharing the
/// configuration and never taken from a request header. Dialects whose tokens name their issuer
/// by URL build it from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    /// Checks and normalises `raw`: an absolute http/https URL with a host, without credentials,
    /// query or fragment (lower-case host, no default port, no trailing slash).
    pub fn new(raw: &str) -> Result<Self, &'static str> {
        let url = url::Url::parse(raw.trim()).map_err(|_| "is not an absolute URL")?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL");
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("has no host");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not have a query or a fragment");
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
