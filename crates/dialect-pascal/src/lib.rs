//! The PascalCase dialect: the Moltaro workspace account-profile API (seed 001) on the shared
//! core. `GET` and `PUT /api/workspace/account/profile`, PascalCase properties, integer enums, a
//! `Data/Errors/Warnings/Success` envelope on 200/400/404 and RFC 7807 `ProblemDetails` on
//! 401/403/405/413/415/5xx. The wire contract, its sources and every choice made where the vendor
//! is silent are in `docs/dialects/pascal.md`; the main choices:
//!
//! - Credential: `Authorization: Bearer` or `?access_token=` (the header wins). Account-profile
//!   API keys (`mt_...`) are accepted except from service accounts, which get 403. A valid token
//!   whose user is gone is the 404 envelope (`NotFound`); other bad credentials are 401
//!   `ProblemDetails` with `WWW-Authenticate: Bearer` ([`auth`]).
//! - PUT is partial: absent or `null` = unchanged, `""` clears `Email`/`FirstName`/`LastName`,
//!   `UserName` cannot be cleared; names are trimmed; property names bind case-insensitively;
//!   unknown properties are ignored ([`body`], [`convert`]).
//! - Limits: `UserName` follows the core rule (1-50, pattern or email), `Email` and the names at
//!   most 256 characters. A taken `UserName`/`Email` is a 400 `Duplicate` (no 409 is documented).
//! - `UserType` 0/1/2 = regular/administrator/service account; `Message.Type` 0/1/2 =
//!   validation/business rule/system; `Message.Severity` 0/1/2 = info/warning/error.
//! - `Warnings` carries every normalisation (the core's notices and this dialect's trimming) on
//!   an otherwise successful PUT, with `Severity` 1.

pub mod auth;
pub mod body;
pub mod convert;
pub mod envelope;
pub mod error;
pub mod handlers;
pub mod openapi;
pub mod routes;
pub mod wire;

#[cfg(test)]
mod tests;

use actix_web::web::ServiceConfig;
use gateway_http::{
    Dialect, SurfaceSpec,
    dialect::{Preview, PreviewCredential},
};
use utoipa::OpenApi as _;

pub use openapi::ApiDoc;

/// This dialect in the server's registry: `account-profile` owns `/api/workspace` and below.
pub static DIALECT: Pascal = Pascal;

/// The PascalCase dialect (see [`DIALECT`]).
#[derive(Debug)]
pub struct Pascal;

/// `account-profile`, rendered by [`error::PascalError`].
const SURFACE: SurfaceSpec =
    SurfaceSpec::new::<error::PascalError>("account-profile", &[routes::PREFIX])
        .with_key_prefix("mt_")
        .with_preview(Preview {
            path: routes::PROFILE_PATH,
            credential: PreviewCredential::BearerToken,
        });

static SURFACES: [SurfaceSpec; 1] = [SURFACE];

impl Dialect for Pascal {
    fn surfaces(&self) -> &'static [SurfaceSpec] {
        &SURFACES
    }

    fn configure(&self, cfg: &mut ServiceConfig) {
        routes::configure(cfg);
    }

    fn openapi(&self) -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
        vec![("account-profile", ApiDoc::openapi())]
    }
}
