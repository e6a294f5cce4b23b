//! The snake_case dialect: two vendor surfaces on the shared core, mounted at the root of the
//! listener. See `docs/dialects/snake.md` and `shared/specs/snake.md`.
//!
//! - `platform` (Dreadnode platform API): `GET /api/v1/user`, `POST /api/v1/user/username`.
//!   Credential `X-API-Key: dn_...` (checked first; when present it decides), else
//!   `Authorization: Bearer <platform JWT>`. Errors: `{code, detail, type, errors?}`.
//! - `users-me` (ZenML Pro API): `POST /auth/login` (API key `ZENPROKEY_...` for a users-me JWT,
//!   opening a session), `GET`/`PATCH /users/me`. Errors:
//!   `{"detail": ["<ExceptionClass>", "<message>"]}`, `WWW-Authenticate: Bearer` on every 401.
//!
//! Choices made where the spec is silent (also in `docs/dialects/snake.md`):
//! - Both surfaces refuse a disabled account (`is_active = false` or banned): `platform` with 403
//!   `permission_error`, `users-me` with 401 `CredentialsNotValid` (ZenML's answer for an inactive
//!   user).
//! - `users-me` `is_superuser` is the core's `is_superuser` (workspace superuser), not
//!   `is_platform_admin`, which only `platform` shows.
//! - `platform` `email_address` is `""` for an account without an email (the SDK requires a
//!   string); `teams[].is_admin` and `is_owner` are true for owners; `org_*` name the team itself (a
//!   team is its own organization) and `member_id` is `null`.
//! - Sending a field's current value is not a change: `POST /api/v1/user/username` with the current
//!   username and an empty `PATCH /users/me` write nothing; superuser-only and OAuth2-locked fields
//!   may be sent with their current value.
//! - Body errors come after credential errors: an unauthenticated request with a bad body gets
//!   the 401.
//! - `users-me` framework rejections: wrong content type and malformed JSON are 422 `ValueError`
//!   (FastAPI treats both as request validation errors); a body over the limit is 413.
//! - The login answer's `expires_in` is the configured token lifetime (`auth.token_lifetime_secs`,
//!   3600 by default) and carries `Cache-Control: no-store`.
//! - A 429 without a rule-given `Retry-After` gets `Retry-After: 1`.

mod auth;
mod convert;
mod convert_account;
pub mod error;
mod extract;
mod handlers;
pub mod openapi;
mod policy;
mod routes;
pub mod wire;

use actix_web::web::ServiceConfig;
use gateway_http::{
    Dialect, SurfaceSpec,
    dialect::{Preview, PreviewCredential},
};
use utoipa::OpenApi;

/// This dialect in the server's registry: `platform` owns `/api/v1/user` and below, `users-me`
/// owns `/users`, `/auth` and below; each answers unmatched paths there with its own 404.
pub static DIALECT: Snake = Snake;

/// The snake_case dialect (see [`DIALECT`]).
#[derive(Debug)]
pub struct Snake;

/// `platform`, rendered by [`error::PlatformError`].
const PLATFORM_SURFACE: SurfaceSpec = SurfaceSpec::new::<error::PlatformError>(
    "platform",
    &[
        routes::PLATFORM_USER,
        routes::PLATFORM_DEVICE,
        routes::PLATFORM_ORG,
        routes::PLATFORM_HEALTH,
        routes::PLATFORM_CONFIG,
    ],
)
.with_key_prefix("dn_")
.with_preview(Preview {
    path: routes::PLATFORM_USER,
    credential: PreviewCredential::BearerToken,
});

/// `users-me`, rendered by [`error::UsersMeError`].
const USERS_ME_SURFACE: SurfaceSpec = SurfaceSpec::new::<error::UsersMeError>(
    "users-me",
    &["/users", "/auth", "/organizations", "/workspaces"],
)
.with_key_prefix("ZENPROKEY_")
.with_preview(Preview {
    path: routes::USERS_ME,
    credential: PreviewCredential::BearerToken,
});

static SURFACES: [SurfaceSpec; 2] = [PLATFORM_SURFACE, USERS_ME_SURFACE];

impl Dialect for Snake {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        &SURFACES
    }

    fn configure(&self, cfg: &mut ServiceConfig) {
        routes::configure(cfg);
    }

    fn openapi(&self) -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
        vec![
            ("platform", openapi::PlatformApi::openapi()),
            ("users-me", openapi::UsersMeApi::openapi()),
        ]
    }
}
