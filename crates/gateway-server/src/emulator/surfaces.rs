//! Which surface a path belongs to, for the journal and the metrics, and how the console reads a
//! user through each surface: both derived from the dialect registry (each surface's path
//! prefixes, the longest match winning, and its preview). Paths of the gateway itself (admin,
//! console, metrics, docs, health) belong to none.

use gateway_core::Surface;
pub use gateway_http::dialect::{Preview, PreviewCredential};

use crate::dialects::REGISTRY;

/// The surface that answers `path`, if any.
pub fn surface_of(path: &str) -> Option<Surface> {
    REGISTRY.surface_of(path).and_then(|s| s.name.parse().ok())
}

/// The console's read of a user through each surface that has one, in registry order.
pub fn previews() -> impl Iterator<Item = (Surface, Preview)> {
    REGISTRY
        .surfaces()
        .filter_map(|s| Some((s.name.parse().ok()?, s.preview?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_path_has_its_surface() {
        assert_eq!(surface_of("/api/v1/user"), Some(Surface::Platform));
        assert_eq!(surface_of("/api/v1/user/username"), Some(Surface::Platform));
        assert_eq!(surface_of("/api/v1/users/me"), Some(Surface::Users));
        assert_eq!(surface_of("/api/v1/auth/oauth/token"), Some(Surface::Users));
        assert_eq!(surface_of("/api/v1/userx"), Some(Surface::Users));
        assert_eq!(surface_of("/users/me"), Some(Surface::UsersMe));
        assert_eq!(surface_of("/auth/login"), Some(Surface::UsersMe));
        assert_eq!(
            surface_of("/api/workspace/account/profile"),
            Some(Surface::AccountProfile)
        );
        assert_eq!(surface_of("/me"), Some(Surface::Me));
        assert_eq!(surface_of("/metrics"), None);
        assert_eq!(surface_of("/admin/users"), None);
        assert_eq!(surface_of("/console"), None);
        assert_eq!(surface_of("/mex"), None);
    }

    #[test]
    fn every_surface_has_a_preview() {
        let surfaces: Vec<Surface> = previews().map(|(s, _)| s).collect();
        assert_eq!(surfaces, Surface::ALL);
    }
}
