//! The credential extractor. A dialect says where its credential lives and how errors look (an
//! [`AuthPolicy`]); [`Auth<P>`] verifies the credential against the core and yields the user.

use std::{future::Future, marker::PhantomData, pin::Pin};

use actix_web::{FromRequest, HttpRequest, ResponseError, dev::Payload, web};
use gateway_core::{CoreError, Gateway, Surface, User, UserId};
use uuid::Uuid;

use crate::tokens::{TokenError, Tokens};

/// A credential as presented, before verification.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    /// A gateway access token (JWT) for the policy's surface.
    Token(String),
    /// An API key for the policy's surface.
    ApiKey(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An access token, with its session if it has one.
    Token {
        /// Session id claim.
        session: Option<Uuid>,
    },
    /// An API key.
    ApiKey {
        /// Public key id.
        key_id: String,
    },
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user, as loaded for this request.
    pub user: User,
    /// How it authenticated.
    pub credential: Credential,
}

/// A dialect's credential rules.
pub trait AuthPolicy: 'static {
    /// The dialect's error type; built from `CoreError` kinds.
    type Error: ResponseError + From<CoreError> + 'static;
    /// The surface whose tokens and keys are accepted.
    const SURFACE: Surface;
    /// Reads the credential from the request, without I/O. `Ok(None)` when there is none.
    fn presented(req: &HttpRequest) -> Result<Option<Presented>, Self::Error>;
}

/// `Authorization: Bearer <value>`, if present (scheme case-insensitive).
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    authorization(req, "bearer")
}

/// `Authorization: <scheme> <value>` for the given scheme (case-insensitive), if present.
pub fn authorization<'a>(req: &'a HttpRequest, scheme: &str) -> Option<&'a str> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// Whether `value` has the shape of an API key of `surface` (its prefix), so a dialect that
/// accepts keys and tokens in the same header can tell them apart.
pub fn looks_like_key(surface: Surface, value: &str) -> bool {
    gateway_core::credentials::parse_api_key(surface, value).is_some()
}

/// Verifies `presented` for `surface`: a token must be valid for the surface and its user must
/// exist; a key must be valid, unrevoked, and of an existing user.
pub async fn verify(
    gateway: &Gateway,
    tokens: &Tokens,
    surface: Surface,
    presented: &Presented,
) -> Result<Authenticated, CoreError> {
    match presented {
        Presented::Token(token) => {
            let claims = tokens.verify(token, surface).map_err(|e| match e {
                TokenError::Expired => CoreError::unauthenticated("access token has expired"),
                TokenError::Invalid => CoreError::unauthenticated("access token is not valid"),
            })?;
            let id: UserId = claims
                .sub
                .parse()
                .map_err(|_| CoreError::unauthenticated("access token is not valid"))?;
            let user = match gateway.user(id).await {
                Ok(user) => user,
                Err(e) if e.kind() == gateway_core::ErrorKind::NotFound => {
                    return Err(CoreError::unauthenticated(
                        "the user of this token no longer exists",
                    ));
                }
                Err(e) => return Err(e),
            };
            Ok(Authenticated {
                user,
                credential: Credential::Token {
                    session: claims.sid,
                },
            })
        }
        Presented::ApiKey(key) => {
            let (key, user) = gateway.authenticate_api_key(surface, key).await?;
            Ok(Authenticated {
                user,
                credential: Credential::ApiKey { key_id: key.id },
            })
        }
    }
}

/// Extracts and verifies the caller under policy `P`. A missing or bad credential is a
/// `CoreError` of kind `Unauthenticated`, rendered by `P::Error`.
pub struct Auth<P: AuthPolicy> {
    /// The caller.
    pub caller: Authenticated,
    _policy: PhantomData<P>,
}

impl<P: AuthPolicy> std::fmt::Debug for Auth<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("caller", &self.caller)
            .finish()
    }
}

impl<P: AuthPolicy> FromRequest for Auth<P> {
    type Error = P::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, P::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = P::presented(req);
        let gateway = req.app_data::<web::Data<Gateway>>().cloned();
        let tokens = req.app_data::<web::Data<Tokens>>().cloned();
        Box::pin(async move {
            let presented =
                presented?.ok_or_else(|| CoreError::unauthenticated("authentication required"))?;
            let (Some(gateway), Some(tokens)) = (gateway, tokens) else {
                return Err(CoreError::internal("gateway state is not registered").into());
            };
            let caller = verify(&gateway, &tokens, P::SURFACE, &presented).await?;
            Ok(Auth {
                caller,
                _policy: PhantomData,
            })
        })
    }
}
