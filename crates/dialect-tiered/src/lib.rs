//! The metadata-tiered dialect: the users API of Stack Auth (being rebranded Hexclave), so the
//! published `@stackframe/js` SDK works unmodified against the gateway. See
//! `docs/dialects/tiered.md` and `shared/specs/tiered.md`.
//!
//! Routes: `GET/POST /api/v1/users`, `GET/PATCH/DELETE /api/v1/users/me`, `GET/PATCH/DELETE /api/v1/users/{user_id}`,
//! `POST /api/v1/auth/oauth/token` (refresh grant), `POST /api/v1/auth/sessions/current/refresh`,
//! `GET /api/v1/projects/{id}/.well-known/jwks.json`, `GET /health`; admin routes under
//! `/admin/projects`.
//!
//! Decisions where the vendor is silent (also in the docs):
//! - Projects are a façade over the one user base: any project's server key reaches any user.
//! - Both header prefixes are accepted; `x-hexclave-` wins when both are present; error texts
//!   name the `x-stack-` headers; answers carry both prefixes.
//! - Access tokens: ES256, one gateway-wide P-256 key (kept in the shared secrets), `kid` = JWK
//!   thumbprint, 10 minutes; `iss` is built from the configured public base URL
//!   ([`gateway_http::PublicBaseUrl`], registered by the server; else the listener's own address, never a
//!   request header) and compared exactly. An access token is not checked against its refresh
//!   session (as in the vendor); its user must exist and be in good standing, or the request
//!   has no user. Refresh tokens are core sessions bound to a project and never rotated.
//! - Strict JSON types; media types are matched case-insensitively; query parameters are
//!   ignored except by `GET /api/v1/users`; bodies are read and parsed by the shared body layer: over the gateway's limit a
//!   plain-text 413, over its key or depth caps a `BODY_PARSING_ERROR`, before authentication.
//! - `BODY_PARSING_ERROR` carries `details.message` (the SDK reads it without a guard).
//! - Admin access (`x-stack-access-type: admin`) is always refused: the gateway issues no super
//!   secret admin keys or admin tokens.
//! - Webhooks are not sent; deletions are logged.

mod api_keys;
mod auth;
mod body;
mod config;
mod contact;
mod convert;
mod error;
mod handlers;
mod headers;
mod known;
mod listing;
mod openapi;
mod otp;
mod password;
mod reset;
mod respond;
mod routes;
pub mod session;
mod sessions;
mod teams;
mod tokens;
mod validate;
mod webhooks;
mod wire;

use actix_web::web::ServiceConfig;
use gateway_http::{
    Dialect, SurfaceSpec,
    dialect::{Preview, PreviewCredential},
};

/// This dialect in the server's registry: `users` owns `/api/v1` and below (where another
/// surface owns a longer prefix, such as `/api/v1/user`, that one wins).
pub static DIALECT: Tiered = Tiered;

/// The metadata-tiered dialect (see [`DIALECT`]).
#[derive(Debug)]
pub struct Tiered;

/// `users`, rendered by [`error::TieredError`].
const SURFACE: SurfaceSpec = SurfaceSpec::new::<error::TieredError>("users", &["/api/v1"])
    .with_key_prefix("sk_")
    .with_preview(Preview {
        path: "/api/v1/users/{id}",
        credential: PreviewCredential::ProjectServerKey,
    });

static SURFACES: [SurfaceSpec; 1] = [SURFACE];

impl Dialect for Tiered {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        &SURFACES
    }

    fn configure(&self, cfg: &mut ServiceConfig) {
        routes::configure(cfg);
    }

    /// Projects (create, list, show, settings) and minting a session, inside `/admin`.
    fn configure_admin(&self, cfg: &mut ServiceConfig) {
        routes::configure_admin(cfg);
    }

    fn openapi(&self) -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
        vec![("users", openapi::document())]
    }

    /// The vendor's Svix payloads ([`webhooks`]).
    fn webhook<'a>(
        &'a self,
        gateway: &'a gateway_core::Gateway,
        event: &'a gateway_core::Event,
    ) -> Option<gateway_http::WebhookPayload<'a>> {
        Some(webhooks::payload(gateway, event))
    }
}

#[cfg(test)]
mod tests;
