//! Credentials of the `me` surface: `Authorization: Bearer <login token or bird_ API key>` (what
//! the Bird SDK sends) and `Authorization: AccessKey <bird_ API key>` (the rest of Bird's legacy
//! API). Any other scheme is refused with 401, like a missing or bad credential. Also the
//! account rules of this surface: a banned account is refused (403), and only regular accounts
//! may change or delete themselves here.

use actix_web::{HttpRequest, http::header::AUTHORIZATION};
use gateway_core::{Surface, User, UserKind};
use gateway_http::{
    AuthPolicy, Authenticated, Presented,
    auth::{authorization, bearer, looks_like_key},
};

use crate::error::CamelError;

/// The credential rules of this dialect; handlers take `Auth<CamelAuth>`.
#[derive(Debug, Clone, Copy)]
pub struct CamelAuth;

impl AuthPolicy for CamelAuth {
    type Error = CamelError;
    const SURFACE: Surface = Surface::Me;

    fn presented(req: &HttpRequest) -> Result<Option<Presented>, CamelError> {
        if !req.headers().contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        if let Some(value) = bearer(req) {
            if value.is_empty() {
                return Ok(None);
            }
            return Ok(Some(if looks_like_key(Self::SURFACE, value) {
                Presented::ApiKey(value.to_owned())
            } else {
                Presented::Token(value.to_owned())
            }));
        }
        match authorization(req, "AccessKey") {
            Some("") => Ok(None),
            Some(key) => Ok(Some(Presented::ApiKey(key.to_owned()))),
            None => Err(CamelError::unauthenticated()),
        }
    }

    /// The core's account rule: an account not in good standing is refused (403).
    fn admit(_: &HttpRequest, caller: &Authenticated) -> Result<(), CamelError> {
        ensure_standing(&caller.user)
    }
}

/// The caller may use this surface at all: the core's account rule ([`User::standing`]).
pub fn ensure_standing(user: &User) -> Result<(), CamelError> {
    match user.standing().refusal() {
        Some(refusal) => Err(CamelError::forbidden(refusal.message())),
        None => Ok(()),
    }
}

/// The caller may change or delete its own account here: not banned, and a regular account
/// (service accounts and the built-in admin are managed by operators).
pub fn ensure_self_service(user: &User) -> Result<(), CamelError> {
    ensure_standing(user)?;
    match user.account.kind {
        UserKind::Regular => Ok(()),
        UserKind::ServiceAccount | UserKind::Admin => Err(CamelError::forbidden(
            "this account cannot be changed through self-service",
        )),
    }
}
