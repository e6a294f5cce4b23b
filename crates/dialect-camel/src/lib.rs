//! The camelCase dialect: the current user of the Bird (formerly MessageBird) Accounts API,
//! `GET`, `PATCH` and `DELETE /me` on surface [`Surface::Me`](gateway_core::Surface::Me).
//! Spec: `shared/specs/camel.md`; routes, auth, field mapping, errors and choices:
//! `docs/dialects/camel.md`.
//!
//! Decisions where the vendor is silent (also in the docs):
//! - Credentials: `Authorization: Bearer <token or bird_ key>` (what the Bird SDK sends) and
//!   `Authorization: AccessKey <bird_ key>` (the rest of Bird's legacy API). Any other scheme,
//!   a missing header, or a bad, expired, foreign or deleted user's credential is 401.
//! - A `banned` account gets 403 on every route; service accounts and the built-in admin cannot
//!   be changed or deleted through self-service (403).
//! - Errors are a bare `{type, code, message, request_id, details?}` object that the Bird SDK
//!   reads fully, with `X-Request-Id` equal to `request_id`.
//! - `name` falls back to the username when the core user has no display name (it is required
//!   on the wire); `emails`, `phoneNumbers`, `identities` and `badges` are always arrays.
//! - `PATCH` decodes the body field by field so that every unknown, read-only, wrongly typed or
//!   forbidden-null field gets its own `details` item; dialect limits are checked with garde,
//!   locale and time zone by the core.
//! - `Idempotency-Key` on `PATCH` is persisted through the core (24 h, per user, method and
//!   path): a repeat with the same body replays the stored response (with
//!   `Idempotent-Replayed: true`), another body is 409 `IdempotencyKeyReused`, a repeat while the
//!   first is still running is 409 `IdempotencyKeyInUse`. Only successful responses are kept;
//!   a rejected request writes nothing and may be retried under the same key. `DELETE` ignores
//!   the key: once the account is gone every credential of it is refused.

pub mod auth;
pub mod convert;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod openapi;
pub mod routes;
pub mod wire;

use actix_web::web::ServiceConfig;
use gateway_http::{
    Dialect, SurfaceSpec,
    dialect::{Preview, PreviewCredential},
};

/// The path this dialect serves.
pub const ME_PATH: &str = "/me";

/// This dialect in the server's registry: `me` owns `/me` and below.
pub static DIALECT: Camel = Camel;

/// The camelCase dialect (see [`DIALECT`]).
#[derive(Debug)]
pub struct Camel;

/// `me`, rendered by [`error::CamelError`].
const SURFACE: SurfaceSpec = SurfaceSpec::new::<error::CamelError>("me", &[ME_PATH])
    .with_key_prefix("bird_")
    .with_preview(Preview {
        path: ME_PATH,
        credential: PreviewCredential::BearerToken,
    });

static SURFACES: [SurfaceSpec; 1] = [SURFACE];

impl Dialect for Camel {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        &SURFACES
    }

    fn configure(&self, cfg: &mut ServiceConfig) {
        routes::configure(cfg);
    }

    fn openapi(&self) -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
        vec![("me", openapi::document())]
    }
}

#[cfg(test)]
mod tests;
