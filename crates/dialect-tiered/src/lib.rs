//! The metadata-tiered dialect: the users API of Stack Auth (being rebranded Hexclave), so the
//! published `@stackframe/js` SDK works unmodified against the gateway. See
//! `docs/dialects/tiered.md` and `shared/specs/tiered.md`.
//!
//! Routes: `GET/PATCH/DELETE /api/v1/users/me`, `GET/PATCH/DELETE /api/v1/users/{user_id}`,
//! `POST /api/v1/auth/oauth/token` (refresh grant), `POST /api/v1/auth/sessions/current/refresh`,
//! `GET /api/v1/projects/{id}/.well-known/jwks.json`, `GET /health`; admin routes under
//! `/admin/projects`.
//!
//! Decisions where the vendor is silent (also in the docs):
//! - Projects are a façade over the one user base: any project's server key reaches any user.
//! - Both header prefixes are accepted; `x-hexclave-` wins when both are present; error texts
//!   name the `x-stack-` headers; answers carry both prefixes.
//! - Access tokens: ES256, one gateway-wide P-256 key (kept in the shared secrets), `kid` = JWK
//!   thumbprint, 10 minutes; `iss` is built from the request's scheme and host and verified by
//!   its `/api/v1/projects{suffix}/{project}` tail, because one gateway answers under several
//!   host names. Refresh tokens are core sessions bound to a project and never rotated.
//! - Strict JSON types; media types are matched case-insensitively; query parameters are
//!   ignored; bodies over the gateway's limit are a plain-text 413.
//! - `BODY_PARSING_ERROR` carries `details.message` (the SDK reads it without a guard).
//! - Admin access (`x-stack-access-type: admin`) is always refused: the gateway issues no super
//!   secret admin keys or admin tokens.
//! - Webhooks are not sent; deletions are logged.

mod auth;
mod body;
mod convert;
mod error;
mod handlers;
mod headers;
mod known;
mod openapi;
mod respond;
mod routes;
mod tokens;
mod validate;
mod wire;

use actix_web::web::ServiceConfig;
use gateway_http::Fallback;

/// Mounts this dialect's routes at the root of the listener.
pub fn configure(cfg: &mut ServiceConfig) {
    routes::configure(cfg);
}

/// Mounts this dialect's admin routes (`/projects...`) inside the server's `/admin` scope.
pub fn configure_admin(cfg: &mut ServiceConfig) {
    routes::configure_admin(cfg);
}

/// This dialect's claims on unmatched paths (its own 404s): every `/api/v1/...` path except
/// `/api/v1/user` and below.
pub fn fallbacks() -> Vec<Fallback> {
    vec![Fallback {
        claims: routes::claims,
        render: routes::render_unmatched,
    }]
}

/// This dialect's OpenAPI documents, by surface name: one, `users`.
pub fn openapi_documents() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    vec![("users", openapi::document())]
}

#[cfg(test)]
mod tests;
