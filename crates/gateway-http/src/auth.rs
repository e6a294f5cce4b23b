//! The credential verifier and extractor. A dialect says where its credential lives, how its
//! access tokens verify, how refusals look and whom it admits (an [`AuthPolicy`]);
//! [`authenticate`] (and the [`Auth<P>`] extractor) verifies a required credential against the
//! core and yields the user, [`identify`] an optional one.

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

/// Why a presented credential was refused, before the dialect renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credential was presented.
    Missing,
    /// The credential is not shaped like one this surface reads.
    Malformed,
    /// The access token has expired.
    Expired,
    /// The access token is not valid for this surface (signature, audience, issuer, shape).
    Invalid,
    /// The token is valid but its user no longer exists.
    UserGone,
    /// The token's session was revoked or has ended (sign-out, password change, revocation).
    SessionRevoked,
    /// The API key is unknown, revoked, expired or of another surface.
    KeyInvalid,
}

impl AuthFailure {
    /// A message for the client (names no credential).
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "authentication required",
            Self::Malformed => "the credential is malformed",
            Self::Expired => "access token has expired",
            Self::Invalid => "access token is not valid",
            Self::UserGone => "the user of this token no longer exists",
            Self::SessionRevoked => "the session of this access token has ended",
            Self::KeyInvalid => "the API key is not valid",
        }
    }

    /// The failure as a core error of kind `Unauthenticated`.
    pub fn into_core(self) -> CoreError {
        CoreError::unauthenticated(self.message())
    }
}

/// A credential check that did not yield a caller: refused, or the check itself failed (a store
/// outage is not a refusal).
#[derive(Debug)]
pub enum AuthError {
    /// The credential is refused.
    Refused(AuthFailure),
    /// The check could not be made.
    Core(CoreError),
}

impl From<CoreError> for AuthError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

impl From<AuthError> for CoreError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Refused(f) => f.into_core(),
            AuthError::Core(e) => e,
        }
    }
}

/// The subject of a verified access token: whose it is, and the session it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    /// The user the token names.
    pub user: UserId,
    /// The session that must still be active for the token to be good (`None`: none is checked).
    pub session: Option<Uuid>,
}

/// Why a policy hook stopped a credential check: a typed refusal, rendered by
/// [`AuthPolicy::refuse`], or an answer the policy rendered itself (a vendor's own error).
#[derive(Debug)]
pub enum Refusal<E> {
    /// A typed refusal.
    Failure(AuthFailure),
    /// The policy's own answer.
    Answer(E),
}

impl<E> From<AuthFailure> for Refusal<E> {
    fn from(failure: AuthFailure) -> Self {
        Self::Failure(failure)
    }
}

/// A dialect's credential rules: where the credential lives, how its access tokens verify, how a
/// refusal looks, and which verified callers it admits.
pub trait AuthPolicy: 'static {
    /// The dialect's error type; built from `CoreError` kinds.
    type Error: ResponseError + From<CoreError> + 'static;
    /// The surface whose tokens and keys are accepted.
    const SURFACE: Surface;
    /// Reads the credential from the request, without I/O. `Ok(None)` when there is none.
    fn presented(req: &HttpRequest) -> Result<Option<Presented>, Self::Error>;
    /// Verifies an access token presented to this surface and names its subject. Default: a
    /// gateway access token of [`Self::SURFACE`] ([`Tokens::verify`]: HS256, audience, issuer,
    /// expiry), whose `sid` names the session that must be active. A dialect whose tokens are its
    /// vendor's verifies them here, with the vendor's rules on their claims.
    fn verify_token(
        req: &HttpRequest,
        token: &str,
    ) -> impl Future<Output = Result<TokenSubject, Refusal<Self::Error>>> {
        std::future::ready(match req.app_data::<web::Data<Tokens>>() {
            Some(tokens) => gateway_subject(tokens, Self::SURFACE, token).map_err(Refusal::Failure),
            None => Err(Refusal::Answer(Self::failed(
                req,
                CoreError::internal("token state is not registered"),
            ))),
        })
    }
    /// Renders a refused credential (default: a core `Unauthenticated` error).
    fn refuse(
        req: &HttpRequest,
        failure: AuthFailure,
        presented: Option<&Presented>,
    ) -> Self::Error {
        let _ = (req, presented);
        failure.into_core().into()
    }
    /// Admits or refuses a verified caller (account status, kind of account). Default: admit.
    fn admit(req: &HttpRequest, caller: &Authenticated) -> Result<(), Self::Error> {
        let _ = (req, caller);
        Ok(())
    }
    /// Renders a failure of the check itself (default: the core error as is).
    fn failed(req: &HttpRequest, error: CoreError) -> Self::Error {
        let _ = req;
        error.into()
    }
    /// Under [`identify`] (an optional credential): whether this refusal leaves the request
    /// without a caller instead of refusing it, for vendors that serve a credential whose user
    /// cannot be loaded as an anonymous request. Default: never.
    fn anonymous(failure: AuthFailure) -> bool {
        let _ = failure;
        false
    }
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

/// Whether `value` has the shape of an API key of `surface` (the prefix the app's [`Gateway`]
/// declares for it), so a dialect that accepts keys and tokens in the same header can tell them
/// apart. Without a `Gateway` in the app nothing can be verified anyway: `false`.
pub fn looks_like_key(req: &HttpRequest, surface: Surface, value: &str) -> bool {
    req.app_data::<actix_web::web::Data<Gateway>>()
        .is_some_and(|g| {
            gateway_core::credentials::parse_api_key(g.key_prefix(surface), value).is_some()
        })
}

/// The subject of a gateway access token of `surface` ([`Tokens::verify`]).
pub fn gateway_subject(
    tokens: &Tokens,
    surface: Surface,
    token: &str,
) -> Result<TokenSubject, AuthFailure> {
    let claims = tokens.verify(token, surface).map_err(|e| match e {
        TokenError::Expired => AuthFailure::Expired,
        TokenError::Invalid => AuthFailure::Invalid,
    })?;
    let user = claims.sub.parse().map_err(|_| AuthFailure::Invalid)?;
    Ok(TokenSubject {
        user,
        session: claims.sid,
    })
}

/// The caller a verified token subject names: its user must exist, and the session it names (if
/// any) must still be active.
pub async fn load(gateway: &Gateway, subject: TokenSubject) -> Result<Authenticated, AuthError> {
    let user = match gateway.user(subject.user).await {
        Ok(user) => user,
        Err(e) if e.kind() == gateway_core::ErrorKind::NotFound => {
            return Err(AuthError::Refused(AuthFailure::UserGone));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(sid) = subject.session
        && !gateway.session_is_active(sid).await?
    {
        return Err(AuthError::Refused(AuthFailure::SessionRevoked));
    }
    Ok(Authenticated {
        user,
        credential: Credential::Token {
            session: subject.session,
        },
    })
}

/// The caller an API key of `surface` names: valid, unrevoked, of an existing user.
async fn api_key(
    gateway: &Gateway,
    surface: Surface,
    key: &str,
) -> Result<Authenticated, AuthError> {
    match gateway.authenticate_api_key(surface, key).await {
        Ok((key, user)) => Ok(Authenticated {
            user,
            credential: Credential::ApiKey { key_id: key.id },
        }),
        Err(e) if e.kind() == gateway_core::ErrorKind::Unauthenticated => {
            Err(AuthError::Refused(AuthFailure::KeyInvalid))
        }
        Err(e) => Err(e.into()),
    }
}

/// Verifies `presented` for `surface` with the gateway's own tokens: a token must be valid for
/// the surface, its session (if it names one) still active and its user existing; a key must be
/// valid, unrevoked, and of an existing user.
pub async fn verify(
    gateway: &Gateway,
    tokens: &Tokens,
    surface: Surface,
    presented: &Presented,
) -> Result<Authenticated, AuthError> {
    match presented {
        Presented::Token(token) => {
            let subject = gateway_subject(tokens, surface, token).map_err(AuthError::Refused)?;
            load(gateway, subject).await
        }
        Presented::ApiKey(key) => api_key(gateway, surface, key).await,
    }
}

/// Verifies `presented` under policy `P` (tokens through [`AuthPolicy::verify_token`]), without
/// admitting the caller.
async fn check<P: AuthPolicy>(
    req: &HttpRequest,
    presented: &Presented,
) -> Result<Authenticated, Refusal<P::Error>> {
    let Some(gateway) = req.app_data::<web::Data<Gateway>>() else {
        return Err(Refusal::Answer(P::failed(
            req,
            CoreError::internal("gateway state is not registered"),
        )));
    };
    let found = match presented {
        Presented::Token(token) => {
            let subject = P::verify_token(req, token).await?;
            load(gateway, subject).await
        }
        Presented::ApiKey(key) => api_key(gateway, P::SURFACE, key).await,
    };
    found.map_err(|e| match e {
        AuthError::Refused(failure) => Refusal::Failure(failure),
        AuthError::Core(e) => Refusal::Answer(P::failed(req, e)),
    })
}

/// A refusal as policy `P` answers it.
fn answer<P: AuthPolicy>(
    req: &HttpRequest,
    refusal: Refusal<P::Error>,
    presented: &Presented,
) -> P::Error {
    match refusal {
        Refusal::Failure(failure) => P::refuse(req, failure, Some(presented)),
        Refusal::Answer(e) => e,
    }
}

/// Verifies the caller of `req` under policy `P`: reads the credential (required), verifies it,
/// and asks the policy to admit the caller. Every dialect authenticates through this or
/// [`identify`].
pub async fn authenticate<P: AuthPolicy>(req: &HttpRequest) -> Result<Authenticated, P::Error> {
    let Some(presented) = P::presented(req)? else {
        return Err(P::refuse(req, AuthFailure::Missing, None));
    };
    let caller = check::<P>(req, &presented)
        .await
        .map_err(|r| answer::<P>(req, r, &presented))?;
    P::admit(req, &caller)?;
    Ok(caller)
}

/// The caller of `req` under policy `P`, for routes where the credential is optional: `None`
/// when the request presents none, or when the policy treats the refusal as no caller
/// ([`AuthPolicy::anonymous`]); otherwise as [`authenticate`].
pub async fn identify<P: AuthPolicy>(req: &HttpRequest) -> Result<Option<Authenticated>, P::Error> {
    let Some(presented) = P::presented(req)? else {
        return Ok(None);
    };
    match check::<P>(req, &presented).await {
        Ok(caller) => {
            P::admit(req, &caller)?;
            Ok(Some(caller))
        }
        Err(Refusal::Failure(failure)) if P::anonymous(failure) => Ok(None),
        Err(refusal) => Err(answer::<P>(req, refusal, &presented)),
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
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate::<P>(&req).await?;
            Ok(Auth {
                caller,
                _policy: PhantomData,
            })
        })
    }
}
