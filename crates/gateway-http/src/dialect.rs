//! The dialect contract: what a dialect crate tells the server, and the [`Registry`] the server
//! builds from one line per dialect. Everything that lists dialects (routes, admin routes,
//! unmatched-path 404s, OpenAPI documents and Swagger, which surface a path belongs to, console
//! previews, the test suites' list of surfaces) derives from the registry; nothing else lists
//! them.
//!
//! A surface's answers that are not its handlers' (injected faults, 405s, 404s, framework
//! rejections) are rendered by its error type through [`SurfaceError`]; [`SurfaceSpec::new`]
//! takes them from there, and [`crate::resource`] applies them to every resource.

use actix_web::{HttpRequest, HttpResponse, ResponseError, http::Method, web::ServiceConfig};
use utoipa::openapi::OpenApi;

use crate::faults::{Fault, FaultRender};

/// Renders a surface's 404 for a path no route matched.
pub type NotFoundRender = fn(&HttpRequest) -> HttpResponse;

/// Renders a surface's 405; the methods are those the resource answers, in registration order
/// (the resource helper adds them as `Allow`).
pub type MethodNotAllowedRender = fn(&HttpRequest, &[Method]) -> HttpResponse;

/// Re-renders an error that left a resource of the surface (`None`: the response stands).
pub type ErrorRender = fn(&HttpRequest, &actix_web::Error) -> Option<HttpResponse>;

/// How the console reads a user through a surface (its "current user" read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preview {
    /// Path of the read (`{id}` is replaced by the user id).
    pub path: &'static str,
    /// How the credential is sent.
    pub credential: PreviewCredential,
}

/// The credential a console preview sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewCredential {
    /// `Authorization: Bearer <gateway access token of the surface>`.
    BearerToken,
    /// Server access of a project-bound surface: access type `server`, the project id and its
    /// secret server key (known only for projects loaded from fixtures).
    ProjectServerKey,
}

/// One surface of a dialect: its name, the path prefixes it owns, its renderers and its preview.
/// Built with [`SurfaceSpec::new`] from the surface's error type.
#[derive(Debug, Clone, Copy)]
pub struct SurfaceSpec {
    /// The surface name (`gateway_core::Surface::as_str` for the gateway's surfaces); also the
    /// name of its OpenAPI document, `/openapi/<name>.json`, and of its fault rules.
    pub name: &'static str,
    /// Path prefixes the surface owns, on segment boundaries. When prefixes of two surfaces
    /// nest (`/api/v1` and `/api/v1/user`), the longest one that matches wins.
    pub prefixes: &'static [&'static str],
    /// The 404 for an unmatched path under one of the prefixes, in the surface's envelope.
    pub not_found: NotFoundRender,
    /// The 405 for a method a resource does not answer.
    pub method_not_allowed: MethodNotAllowedRender,
    /// An injected fault's status, in the surface's envelope.
    pub fault: FaultRender,
    /// Errors that leave a resource, re-rendered for the request.
    pub rerender: ErrorRender,
    /// The console's read of a user through this surface, if it has one.
    pub preview: Option<Preview>,
    /// The text the surface's API keys start with, the vendor's own (some clients check it);
    /// the server registers it on the core's `Gateway`. `None`: `<name>_`.
    pub key_prefix: Option<&'static str>,
}

impl SurfaceSpec {
    /// The surface `name`, owning `prefixes`, rendered by its error type `E`; no preview.
    pub const fn new<E: SurfaceError>(
        name: &'static str,
        prefixes: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            prefixes,
            not_found: E::not_found,
            method_not_allowed: E::method_not_allowed,
            fault: E::fault,
            rerender: rerender::<E>,
            preview: None,
            key_prefix: None,
        }
    }

    /// With the vendor's API key prefix.
    pub const fn with_key_prefix(self, prefix: &'static str) -> Self {
        Self {
            key_prefix: Some(prefix),
            ..self
        }
    }

    /// With the console's read of a user through this surface.
    pub const fn with_preview(self, preview: Preview) -> Self {
        Self {
            preview: Some(preview),
            ..self
        }
    }
}

/// The error type of a surface, rendering what the kit answers for the surface, in its envelope.
/// A dialect supplies these renderers and nothing else; [`crate::resource`] applies them.
pub trait SurfaceError: ResponseError + Sized + 'static {
    /// An injected fault: its status (`fault.status`, else the surface's choice), message and
    /// `Retry-After` (`fault.retry_after`, else the surface's default).
    fn fault(req: &HttpRequest, fault: &Fault) -> HttpResponse;

    /// The 405 for a method the resource does not answer; `allowed` are the methods it does (the
    /// resource helper sets `Allow` from them).
    fn method_not_allowed(req: &HttpRequest, allowed: &[Method]) -> HttpResponse;

    /// The 404 for a path under the surface's prefixes that no route matches.
    fn not_found(req: &HttpRequest) -> HttpResponse;

    /// This error, answered to `req`, when its `error_response` lacks something only the
    /// request has (a request id, a path); `None` (the default): the response stands.
    fn render(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let _ = req;
        None
    }

    /// An error of another type that left a resource (a framework rejection): by default its
    /// status rendered like an injected fault, with the status's reason as message (the cause of
    /// a 5xx is logged, never sent).
    fn rejection(req: &HttpRequest, error: &actix_web::Error) -> HttpResponse {
        rejection_as_fault::<Self>(req, error)
    }
}

/// The default [`SurfaceError::rejection`]: the error's status rendered like an injected fault,
/// with the status's reason as message; the cause of a 5xx is logged, never sent.
pub fn rejection_as_fault<E: SurfaceError>(
    req: &HttpRequest,
    error: &actix_web::Error,
) -> HttpResponse {
    let status = error.as_response_error().status_code();
    if status.is_server_error() {
        tracing::error!(%error, "framework error");
    }
    let fault = Fault {
        status: Some(status),
        retry_after: None,
        message: status.canonical_reason().unwrap_or("Error").to_owned(),
        latency: std::time::Duration::ZERO,
    };
    E::fault(req, &fault)
}

/// [`SurfaceError::render`] for the surface's own errors, [`SurfaceError::rejection`] for others.
fn rerender<E: SurfaceError>(req: &HttpRequest, error: &actix_web::Error) -> Option<HttpResponse> {
    match error.as_error::<E>() {
        Some(own) => own.render(req),
        None => Some(E::rejection(req, error)),
    }
}

/// A wire dialect: one crate, one value implementing this, one line in the server's registry.
pub trait Dialect: Sync + 'static {
    /// The surfaces this dialect serves.
    fn surfaces(&self) -> &'static [SurfaceSpec];
    /// Mounts the dialect's routes at the root of the listener.
    fn configure(&self, cfg: &mut ServiceConfig);
    /// Mounts the dialect's admin routes inside the guarded `/admin` scope (default: none).
    fn configure_admin(&self, cfg: &mut ServiceConfig) {
        let _ = cfg;
    }
    /// The OpenAPI documents of the dialect's surfaces, by surface name.
    fn openapi(&self) -> Vec<(&'static str, OpenApi)>;
    /// The payload of the webhook message announcing `event` as this dialect's vendor sends it
    /// (`Ok(None)`: that vendor sends none for it); `None`, the default, for a dialect whose
    /// vendor has no webhooks. Called by the server's webhook sender, off the request.
    fn webhook<'a>(
        &'a self,
        gateway: &'a gateway_core::Gateway,
        event: &'a gateway_core::Event,
    ) -> Option<WebhookPayload<'a>> {
        let _ = (gateway, event);
        None
    }
}

/// A future rendering one webhook payload ([`Dialect::webhook`]).
pub type WebhookPayload<'a> =
    futures_util::future::BoxFuture<'a, Result<Option<serde_json::Value>, gateway_core::CoreError>>;

/// `path` is `prefix` or below it (segment boundary).
pub fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The dialects mounted on one listener, in registration order.
#[derive(Clone, Copy)]
pub struct Registry(pub &'static [&'static dyn Dialect]);

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.surfaces().map(|s| s.name))
            .finish()
    }
}

impl Registry {
    /// The API key prefixes the surfaces declare ([`SurfaceSpec::key_prefix`]), for the core's
    /// `Gateway::with_key_prefix`; surfaces that are not the core's are left out.
    pub fn key_prefixes(&self) -> impl Iterator<Item = (gateway_core::Surface, &'static str)> + '_ {
        self.surfaces().filter_map(|spec| {
            let surface = spec.name.parse::<gateway_core::Surface>().ok()?;
            Some((surface, spec.key_prefix?))
        })
    }

    /// Every surface of every dialect, in registration order.
    pub fn surfaces(&self) -> impl Iterator<Item = &'static SurfaceSpec> + '_ {
        self.0.iter().flat_map(|d| d.surfaces().iter())
    }

    /// The surface that owns `path`: the longest matching prefix wins.
    pub fn surface_of(&self, path: &str) -> Option<&'static SurfaceSpec> {
        self.surfaces()
            .filter_map(|s| {
                s.prefixes
                    .iter()
                    .filter(|p| under(path, p))
                    .map(|p| p.len())
                    .max()
                    .map(|len| (len, s))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, s)| s)
    }

    /// The 404 of the surface that owns the request's path, if a surface does.
    pub fn not_found(&self, req: &HttpRequest) -> Option<HttpResponse> {
        self.surface_of(req.path()).map(|s| (s.not_found)(req))
    }

    /// Mounts every dialect's routes.
    pub fn configure(&self, cfg: &mut ServiceConfig) {
        for dialect in self.0 {
            dialect.configure(cfg);
        }
    }

    /// Mounts every dialect's admin routes (inside the guarded `/admin` scope).
    pub fn configure_admin(&self, cfg: &mut ServiceConfig) {
        for dialect in self.0 {
            dialect.configure_admin(cfg);
        }
    }

    /// The first dialect that renders webhooks, if any ([`Dialect::webhook`]): the payload of
    /// `event` (`Ok(None)`: not announced).
    pub async fn webhook(
        &self,
        gateway: &gateway_core::Gateway,
        event: &gateway_core::Event,
    ) -> Option<Result<Option<serde_json::Value>, gateway_core::CoreError>> {
        for dialect in self.0 {
            if let Some(payload) = dialect.webhook(gateway, event) {
                return Some(payload.await);
            }
        }
        None
    }

    /// Every OpenAPI document, by surface name, in registration order.
    pub fn documents(&self) -> Vec<(&'static str, OpenApi)> {
        self.0.iter().flat_map(|d| d.openapi()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Bare;
    impl std::fmt::Display for Bare {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bare")
        }
    }
    impl ResponseError for Bare {}
    impl SurfaceError for Bare {
        fn fault(_: &HttpRequest, _: &Fault) -> HttpResponse {
            HttpResponse::ServiceUnavailable().finish()
        }
        fn method_not_allowed(_: &HttpRequest, _: &[Method]) -> HttpResponse {
            HttpResponse::MethodNotAllowed().finish()
        }
        fn not_found(_: &HttpRequest) -> HttpResponse {
            HttpResponse::NotFound().finish()
        }
    }

    struct Two;
    static SPECS: [SurfaceSpec; 2] = [
        SurfaceSpec::new::<Bare>("narrow", &["/api/v1/user"]),
        SurfaceSpec::new::<Bare>("wide", &["/api/v1", "/other"]),
    ];
    impl Dialect for Two {
        fn surfaces(&self) -> &'static [SurfaceSpec] {
            &SPECS
        }
        fn configure(&self, _: &mut ServiceConfig) {}
        fn openapi(&self) -> Vec<(&'static str, OpenApi)> {
            Vec::new()
        }
    }

    #[test]
    fn the_longest_prefix_owns_a_path() {
        let registry = Registry(&[&Two]);
        let name = |p: &str| registry.surface_of(p).map(|s| s.name);
        assert_eq!(name("/api/v1/user"), Some("narrow"));
        assert_eq!(name("/api/v1/user/x"), Some("narrow"));
        assert_eq!(name("/api/v1/userx"), Some("wide"));
        assert_eq!(name("/api/v1"), Some("wide"));
        assert_eq!(name("/other/a"), Some("wide"));
        assert_eq!(name("/api/v2"), None);
        assert_eq!(name("/api/v1x"), None);
    }
}
