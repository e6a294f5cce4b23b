//! Who is calling. The credential is `Authorization: Bearer <value>` or, for clients that cannot
//! set headers, `?access_token=<value>`; when both are present the header wins and the query is
//! ignored. A value shaped like an account-profile API key (`mt_...`) is a key, anything else an
//! access token (a gateway JWT whose audience is `account-profile`).
//!
//! [`Caller`] verifies it. Two rules differ from the shared `gateway_http::Auth` extractor, which
//! is why this dialect has its own: a valid token whose user no longer exists is the documented
//! 404 envelope (not a 401), and a service account presenting an API key is the documented 403
//! ("Service accounts cannot access this endpoint via API keys"). API keys of other accounts are
//! accepted. Missing or bad credentials are 401 `ProblemDetails` with `WWW-Authenticate: Bearer`.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use gateway_core::{ErrorKind, Gateway, Surface, User, UserId, UserKind};
use gateway_http::{
    AuthPolicy, Presented, TokenError, Tokens,
    auth::{bearer, looks_like_key, verify},
};
use serde::Deserialize;

use crate::error::{AtRequest, PascalError, Refusal};

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
}

/// The authenticated caller of a profile request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's user, as loaded for this request.
    pub user: User,
}

async fn authenticate(req: HttpRequest) -> Result<Caller, PascalError> {
    let presented = ProfilePolicy::presented(&req)?
        .ok_or_else(|| PascalError::unauthorized(Refusal::Missing, &req))?;
    let (Some(gateway), Some(tokens)) = (
        req.app_data::<web::Data<Gateway>>(),
        req.app_data::<web::Data<Tokens>>(),
    ) else {
        return Err(PascalError::core(
            gateway_core::CoreError::internal("gateway state is not registered"),
            &req,
        ));
    };
    match &presented {
        Presented::Token(token) => {
            let claims = tokens.verify(token, ProfilePolicy::SURFACE).map_err(|e| {
                let refusal = match e {
                    TokenError::Expired => Refusal::ExpiredToken,
                    TokenError::Invalid => Refusal::InvalidToken,
                };
                PascalError::unauthorized(refusal, &req)
            })?;
            let id: UserId = claims
                .sub
                .parse()
                .map_err(|_| PascalError::unauthorized(Refusal::InvalidToken, &req))?;
            // A deleted user is NotFound here: the documented 404 envelope.
            let user = gateway.user(id).await.at(&req)?;
            Ok(Caller { user })
        }
        Presented::ApiKey(_) => {
            let caller = verify(gateway, tokens, ProfilePolicy::SURFACE, &presented)
                .await
                .map_err(|e| match e.kind() {
                    ErrorKind::Unauthenticated => {
                        PascalError::unauthorized(Refusal::InvalidApiKey, &req)
                    }
                    _ => PascalError::core(e, &req),
                })?;
            if caller.user.kind == UserKind::ServiceAccount {
                return Err(PascalError::service_account_key(&req));
            }
            Ok(Caller { user: caller.user })
        }
    }
}

impl FromRequest for Caller {
    type Error = PascalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PascalError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
