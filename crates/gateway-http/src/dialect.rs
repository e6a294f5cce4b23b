//! The dialect contract: what a dialect crate tells the server, and the [`Registry`] the server
//! builds from one line per dialect. Everything that lists dialects (routes, admin routes,
//! unmatched-path 404s, OpenAPI documents and Swagger, which surface a path belongs to, console
//! previews, the test suites' list of surfaces) derives from the registry; nothing else lists
//! them.

use actix_web::{HttpRequest, HttpResponse, web::ServiceConfig};
use utoipa::openapi::OpenApi;

use crate::FallbackRender;

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

/// One surface of a dialect: its name, the path prefixes it owns, its 404 and its preview.
#[derive(Debug, Clone, Copy)]
pub struct SurfaceSpec {
    /// The surface name (`gateway_core::Surface::as_str` for the gateway's surfaces); also the
    /// name of its OpenAPI document, `/openapi/<name>.json`.
    pub name: &'static str,
    /// Path prefixes the surface owns, on segment boundaries. When prefixes of two surfaces
    /// nest (`/api/v1` and `/api/v1/user`), the longest one that matches wins.
    pub prefixes: &'static [&'static str],
    /// The 404 for an unmatched path under one of the prefixes, in the surface's envelope.
    pub not_found: FallbackRender,
    /// The console's read of a user through this surface, if it has one.
    pub preview: Option<Preview>,
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
}

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

    /// Every OpenAPI document, by surface name, in registration order.
    pub fn documents(&self) -> Vec<(&'static str, OpenApi)> {
        self.0.iter().flat_map(|d| d.openapi()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &HttpRequest) -> HttpResponse {
        HttpResponse::NotFound().finish()
    }

    struct Two;
    static SPECS: [SurfaceSpec; 2] = [
        SurfaceSpec {
            name: "narrow",
            prefixes: &["/api/v1/user"],
            not_found: nothing,
            preview: None,
        },
        SurfaceSpec {
            name: "wide",
            prefixes: &["/api/v1", "/other"],
            not_found: nothing,
            preview: None,
        },
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
