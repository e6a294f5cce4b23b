//! Who is calling. The credential is `Authorization: Bearer <value>` or, for clients that cannot
//! set headers, `?access_token=<value>`; when both are present the header wins and the query is
//! ignored. A value shaped like an account-profile API key (`mt_...`) is a key, anything else an
//! access token (a gateway JWT whose audience is `account-profile`).
//!
//! [`Caller`] verifies it through the shared `gateway_http::auth::authenticate`, with two policy
//! hooks: a valid token whose user no longer exists is the documented 404 envelope (not a 401),
//! and a service account presenting an API key is the documented 403 ("Service accounts cannot
//! access this endpoint via API keys"). API keys of other accounts are accepted. Missing or bad
//! credentials are 401 `ProblemDetails` with `WWW-Authenticate: Bearer`.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use gateway_core::{CoreError, Surface, User, UserKind};
use gateway_http::{
    AuthFailure, AuthPolicy, Authenticated, Credential, Presented,
    auth::{authenticate, bearer, looks_like_key},
};
use serde::Deserialize;

use crate::error::{PascalError, Refusal};

/// The account-profile credential rules.
#[derive(Debug, Clone, Copy)]
pub struct ProfilePolicy;

#[derive(Deserialize)]
struct TokenQuery {
    access_token: Option<String>,
}

impl AuthPolicy for ProfilePolicy {
    type Error = PascalError;
    const SURFACE: Surface = Surface::AccountProfile;

    fn presented(req: &HttpRequest) -> Result<Option<Presented>, PascalError> {
        let value = match bearer(req).filter(|v| !v.is_empty()) {
            Some(header) => Some(header.to_owned()),
            None => web::Query::<TokenQuery>::from_query(req.query_string())
                // A query that cannot be parsed (e.g. `access_token` given twice) carries no
                // usable token.
                .map_err(|_| PascalError::unauthorized(Refusal::InvalidToken, req))?
                .into_inner()
                .access_token
                .filter(|v| !v.is_empty()),
        };
        Ok(value.map(|v| {
            if looks_like_key(Self::SURFACE, &v) {
                Presented::ApiKey(v)
            } else {
                Presented::Token(v)
            }
        }))
    }

    /// A valid token of a deleted user is the documented 404 envelope; every other refusal a
    /// 401 with a challenge.
    fn refuse(req: &HttpRequest, failure: AuthFailure, _: Option<&Presented>) -> PascalError {
        match failure {
            AuthFailure::UserGone => PascalError::core(CoreError::not_found("user not found"), req),
            other => PascalError::unauthorized(Self::refusal(other), req),
        }
    }

    fn admit(req: &HttpRequest, caller: &Authenticated) -> Result<(), PascalError> {
        if matches!(caller.credential, Credential::ApiKey { .. })
            && caller.user.account.kind == UserKind::ServiceAccount
        {
            return Err(PascalError::service_account_key(req));
        }
        match caller.user.standing().refusal() {
            Some(refusal) => Err(PascalError::core(refusal, req)),
            None => Ok(()),
        }
    }

    fn failed(req: &HttpRequest, error: CoreError) -> PascalError {
        PascalError::core(error, req)
    }
}

impl ProfilePolicy {
    fn refusal(failure: AuthFailure) -> Refusal {
        match failure {
            AuthFailure::Missing => Refusal::Missing,
            AuthFailure::Expired => Refusal::ExpiredToken,
            AuthFailure::KeyInvalid => Refusal::InvalidApiKey,
            AuthFailure::Malformed
            | AuthFailure::Invalid
            | AuthFailure::UserGone
            | AuthFailure::SessionRevoked => Refusal::InvalidToken,
        }
    }
}

/// The authenticated caller of a profile request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's user, as loaded for this request.
    pub user: User,
}

impl FromRequest for Caller {
    type Error = PascalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PascalError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate::<ProfilePolicy>(&req).await?;
            Ok(Caller { user: caller.user })
        })
    }
}
