//! This surface's settings, registered by the server as `web::Data<TieredConfig>`: the public
//! base URL of the gateway, the base of every access token's `iss` (the vendor's
//! `NEXT_PUBLIC_STACK_API_URL`). Without one, the base is the listener's own address (the
//! server's `server_hostname`, else its bound `ip:port`), never anything a client sends:
//! `Host`, `Forwarded` and `X-Forwarded-*` do not reach a token.

use actix_web::{HttpRequest, web};

/// Settings of the tiered surface; absent from the app data = the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TieredConfig {
    /// `scheme://host[:port][/path]` without a trailing slash, if configured.
    public_base_url: Option<String>,
}

/// Why a configured public base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server.public_base_url {0}")]
pub struct ConfigError(&'static str);

impl TieredConfig {
    /// The settings for `public_base_url` (`None` or empty: derived from the listener). The URL
    /// must be absolute `http`/`https` with a host and no credentials, query or fragment; it is
    /// kept in its normalised form (lower-case host, no default port, no trailing slash).
    pub fn new(public_base_url: Option<&str>) -> Result<Self, ConfigError> {
        let Some(raw) = public_base_url.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Self::default());
        };
        let url = url::Url::parse(raw).map_err(|_| ConfigError("is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError("must be an http or https URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ConfigError("must not carry credentials"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError("must not have a query or a fragment"));
        }
        Ok(Self {
            public_base_url: Some(url.as_str().trim_end_matches('/').to_owned()),
        })
    }

    /// The configured public base URL, if any.
    pub fn public_base_url(&self) -> Option<&str> {
        self.public_base_url.as_deref()
    }

    /// The base of `iss` for a request served under these settings.
    pub fn base_url(&self, req: &HttpRequest) -> String {
        match &self.public_base_url {
            Some(base) => base.clone(),
            None => listener_base(req),
        }
    }
}

/// `http(s)://` + the server's own host name (its `server_hostname`, else the bound address).
fn listener_base(req: &HttpRequest) -> String {
    let config = req.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    format!("{scheme}://{}", config.host())
}

/// The base of `iss` for `req`: the registered [`TieredConfig`], else the gateway's
/// [`gateway_http::PublicBaseUrl`] (the same on every instance), else the listener's address.
pub fn base_url(req: &HttpRequest) -> String {
    if let Some(config) = req.app_data::<web::Data<TieredConfig>>() {
        return config.base_url(req);
    }
    match req.app_data::<web::Data<gateway_http::PublicBaseUrl>>() {
        Some(public) => public.as_str().to_owned(),
        None => listener_base(req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn configured_urls_are_checked_and_normalised() {
        let c = TieredConfig::new(Some("HTTPS://Auth.Example.com:443/")).unwrap();
        assert_eq!(c.public_base_url(), Some("https://auth.example.com"));
        let c = TieredConfig::new(Some("http://gw.internal:8080/stack/")).unwrap();
        assert_eq!(c.public_base_url(), Some("http://gw.internal:8080/stack"));
        assert_eq!(
            TieredConfig::new(Some("  ")).unwrap(),
            TieredConfig::default()
        );
        assert_eq!(TieredConfig::new(None).unwrap(), TieredConfig::default());
        for bad in [
            "auth.example.com",
            "ftp://auth.example.com",
            "https://user:pw@auth.example.com",
            "https://auth.example.com/?x=1",
            "https://auth.example.com/#top",
            "file:///etc/passwd",
        ] {
            assert!(TieredConfig::new(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_headers_never_make_the_base() {
        let req = TestRequest::get()
            .insert_header(("host", "evil.example"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("forwarded", "host=evil.example;proto=https"))
            .to_http_request();
        let derived = base_url(&req);
        assert!(!derived.contains("evil"), "{derived}");
        assert!(derived.starts_with("http://"), "{derived}");
        let configured = TieredConfig::new(Some("https://auth.example.com")).unwrap();
        assert_eq!(configured.base_url(&req), "https://auth.example.com");
    }

    #[test]
    fn the_registered_settings_are_used() {
        let config = TieredConfig::new(Some("https://auth.example.com/")).unwrap();
        let req = TestRequest::get()
            .app_data(web::Data::new(config))
            .insert_header(("x-forwarded-host", "evil.example"))
            .to_http_request();
        assert_eq!(base_url(&req), "https://auth.example.com");
        let unset = TestRequest::get()
            .app_data(web::Data::new(TieredConfig::default()))
            .to_http_request();
        assert_eq!(base_url(&unset), "http://localhost:8080");
    }
}
