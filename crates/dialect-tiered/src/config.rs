//! The base of every access token's `iss` (the vendor's `NEXT_PUBLIC_STACK_API_URL`): the
//! gateway's [`PublicBaseUrl`] (`server.public_base_url`, else the configured listener), registered
//! by the server; without one, the listener's own address (the server's `server_hostname`, else
//! its bound `ip:port`). Never anything a client sends: `Host`, `Forwarded` and `X-Forwarded-*`
//! do not reach a token.

use actix_web::{HttpRequest, web};
use gateway_http::PublicBaseUrl;

/// `http(s)://` + the server's own host name (its `server_hostname`, else the bound address).
fn listener_base(req: &HttpRequest) -> String {
    let config = req.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    format!("{scheme}://{}", config.host())
}

/// The base of `iss` for `req`.
pub fn base_url(req: &HttpRequest) -> String {
    match req.app_data::<web::Data<PublicBaseUrl>>() {
        Some(public) => public.as_str().to_owned(),
        None => listener_base(req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

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
    }

    #[test]
    fn the_registered_settings_are_used() {
        let public = PublicBaseUrl::new("https://auth.example.com/").unwrap();
        let req = TestRequest::get()
            .app_data(web::Data::new(public))
            .insert_header(("x-forwarded-host", "evil.example"))
            .to_http_request();
        assert_eq!(base_url(&req), "https://auth.example.com");
        let unset = TestRequest::get().to_http_request();
        assert_eq!(base_url(&unset), "http://localhost:8080");
    }
}
