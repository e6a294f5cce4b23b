//! Where each surface's credential lives ([`AuthPolicy`] impls), and the caller extractors that
//! add the surface's account rule from [`crate::policy`].
//!
//! - `platform`: `X-API-Key: dn_...` is checked first; when that header is present it decides
//!   (an invalid key is a 401, with no fallback to `Authorization`). Otherwise
//!   `Authorization: Bearer <platform JWT>`.
//! - `users-me`: `Authorization: Bearer <users-me JWT>` from `POST /auth/login`. A raw API key is
//!   not an access token here.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use gateway_core::{CoreError, Gateway, Surface, User};
use gateway_http::{Auth, AuthPolicy, Authenticated, IssuedToken, Presented, Tokens, auth::bearer};

use crate::{
    error::{PlatformError, UsersMeError},
    policy,
};

/// The header the dreadnode SDK sends its API key in.
pub const X_API_KEY: &str = "x-api-key";

/// Credential rules of the `platform` surface.
#[derive(Debug)]
pub struct PlatformAuth;

impl AuthPolicy for PlatformAuth {
    type Error = PlatformError;
    const SURFACE: Surface = Surface::Platform;

    fn presented(req: &HttpRequest) -> Result<Option<Presented>, PlatformError> {
        if let Some(value) = req.headers().get(X_API_KEY) {
            let key = value
                .to_str()
                .map_err(|_| PlatformError::unauthenticated())?;
            return Ok(Some(Presented::ApiKey(key.trim().to_owned())));
        }
        Ok(bearer(req).map(|token| Presented::Token(token.to_owned())))
    }

    fn admit(_: &HttpRequest, caller: &Authenticated) -> Result<(), PlatformError> {
        Ok(policy::platform_access(&caller.user)?)
    }
}

/// Credential rules of the `users-me` surface.
#[derive(Debug)]
pub struct UsersMeAuth;

impl AuthPolicy for UsersMeAuth {
    type Error = UsersMeError;
    const SURFACE: Surface = Surface::UsersMe;

    fn presented(req: &HttpRequest) -> Result<Option<Presented>, UsersMeError> {
        Ok(bearer(req).map(|token| Presented::Token(token.to_owned())))
    }

    fn admit(_: &HttpRequest, caller: &Authenticated) -> Result<(), UsersMeError> {
        Ok(policy::users_me_access(&caller.user)?)
    }
}

/// The authenticated caller of the `platform` surface, whose account may use it.
#[derive(Debug)]
pub struct PlatformCaller(pub User);

impl FromRequest for PlatformCaller {
    type Error = PlatformError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PlatformError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::<PlatformAuth>::from_request(req, payload);
        Box::pin(async move { Ok(Self(auth.await?.caller.user)) })
    }
}

/// The authenticated caller of the `users-me` surface, whose account may use it.
#[derive(Debug)]
pub struct UsersMeCaller(pub User);

impl FromRequest for UsersMeCaller {
    type Error = UsersMeError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, UsersMeError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::<UsersMeAuth>::from_request(req, payload);
        Box::pin(async move { Ok(Self(auth.await?.caller.user)) })
    }
}

/// An access token of `surface` for `user` with a session of its own, for the configured
/// lifetime: what every login of this dialect hands out (API key, device code), so revoking the
/// user's sessions ends it.
pub async fn session_token(
    gateway: &Gateway,
    tokens: &Tokens,
    user: &User,
    surface: Surface,
) -> Result<IssuedToken, CoreError> {
    let lifetime = tokens.lifetime();
    let session = gateway.open_session(user.id, surface, lifetime).await?;
    tokens.issue(user.id, surface, Some(session.session.id), Some(lifetime))
}
