//! Which surface a path belongs to, for the journal and the metrics. The table follows the
//! dialects' own claims (`/api/v1/user` and below: platform; every other `/api/v1/...`: users;
//! `/users`, `/auth`: users-me; `/api/workspace`: account-profile; `/me`: me). Paths of the
//! gateway itself (admin, console, metrics, docs, health) belong to none.

use gateway_core::Surface;

/// `path` is `prefix` or below it (segment boundary).
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The surface that answers `path`, if any.
pub fn surface_of(path: &str) -> Option<Surface> {
    if under(path, "/api/v1/user") {
        Some(Surface::Platform)
    } else if under(path, "/api/v1") {
        Some(Surface::Users)
    } else if under(path, "/users") || under(path, "/auth") {
        Some(Surface::UsersMe)
    } else if under(path, "/api/workspace") {
        Some(Surface::AccountProfile)
    } else if under(path, "/me") {
        Some(Surface::Me)
    } else {
        None
    }
}

/// How the console shows a user through one surface: the surface's own "current user" read.
#[derive(Debug, Clone, Copy)]
pub struct Preview {
    /// The surface.
    pub surface: Surface,
    /// Path of the read (`{id}` is replaced by the user id).
    pub path: &'static str,
    /// How the credential is sent.
    pub credential: PreviewCredential,
}

/// The credential a preview sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewCredential {
    /// `Authorization: Bearer <gateway access token of the surface>`.
    BearerToken,
    /// Server access of the tiered surface: `x-stack-access-type: server`, the project id and
    /// its secret server key (known only for projects loaded from fixtures).
    ProjectServerKey,
}

/// One preview per surface, in `Surface::ALL` order.
pub const PREVIEWS: [Preview; 5] = [
    Preview {
        surface: Surface::Platform,
        path: "/api/v1/user",
        credential: PreviewCredential::BearerToken,
    },
    Preview {
        surface: Surface::UsersMe,
        path: "/users/me",
        credential: PreviewCredential::BearerToken,
    },
    Preview {
        surface: Surface::AccountProfile,
        path: "/api/workspace/account/profile",
        credential: PreviewCredential::BearerToken,
    },
    Preview {
        surface: Surface::Me,
        path: "/me",
        credential: PreviewCredential::BearerToken,
    },
    Preview {
        surface: Surface::Users,
        path: "/api/v1/users/{id}",
        credential: PreviewCredential::ProjectServerKey,
    },
];

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
}
