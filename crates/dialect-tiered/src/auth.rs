//! Who is calling: the vendor's `parseAuth` (spec §4.2), in its order. Body parsing comes first
//! (as in `createSmartRequest`), then the project headers (access type, project id), the access
//! token, the project, its keys and the branch. Route-level checks (allowed access types, `me`
//! without a user) are the handlers'.
//!
//! The user credential goes through the shared verifier (`gateway_http::auth::identify`) under
//! [`TieredAuth`]: the token is read from the `access-token` header, verified as this vendor's
//! ES256 token of the request's project with its anonymous and restricted rules
//! ([`verify_token`]), and its user loaded. A token whose user is gone, or not in good standing
//! (`User::standing`), leaves the request without a user: the vendor's path for a token whose
//! user cannot be loaded. The token's refresh session is not consulted, as in the vendor
//! (`decodeAccessToken` checks the JWT only).

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use chrono::Utc;
use gateway_core::{ErrorKind, Gateway, Project, ProjectKey, Standing, Surface, User, UserId};
use gateway_http::{AuthFailure, AuthPolicy, Presented, Refusal, TokenSubject, auth::identify};
use uuid::Uuid;

use crate::{
    body::{self, Body},
    config,
    error::TieredError,
    headers,
    known::KnownError,
    tokens::{AccessClaims, KeyCell, SigningKey},
    validate::Tier,
};

/// The keyless sentinel the SDK sends as OAuth client secret when it has no publishable key.
pub const KEYLESS_SENTINEL: &str = "__stack_public_client__";

/// The caller's access type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    /// A browser or app, with the publishable key (if the project requires it).
    Client,
    /// A backend, with the secret server key.
    Server,
    /// The vendor's dashboard, with the super secret admin key (the gateway issues none).
    Admin,
}

impl AccessType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
            Self::Admin => "admin",
        }
    }
}

/// An authenticated project caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The access type.
    pub access_type: AccessType,
    /// The project of the request.
    pub project: Project,
    /// The user of the access token, if one was given and the user still exists and is in
    /// good standing.
    pub user: Option<User>,
    /// The session (refresh token) the verified access token was minted from, if any: the
    /// vendor's `auth.refreshTokenId`.
    pub session_id: Option<Uuid>,
}

/// The session id of the request's verified access token, kept in the request's extensions by
/// [`TieredAuth::verify_token`] for [`parse`].
#[derive(Debug, Clone, Copy)]
struct TokenSession(Option<Uuid>);

impl Caller {
    /// The read/write tier: client for client callers, server for server and admin callers.
    pub fn tier(&self) -> Tier {
        match self.access_type {
            AccessType::Client => Tier::Client,
            AccessType::Server | AccessType::Admin => Tier::Server,
        }
    }
}

/// Checks a publishable key (or the keyless sentinel) against a project: `Ok` when accepted,
/// otherwise the vendor's two failure modes.
pub fn check_publishable_key(project: &Project, key: &str) -> Result<(), KeyFailure> {
    if key == KEYLESS_SENTINEL {
        return if project.require_publishable_client_key {
            Err(KeyFailure::Required)
        } else {
            Ok(())
        };
    }
    if project.accepts(ProjectKey::PublishableClient, key) {
        Ok(())
    } else {
        Err(KeyFailure::Invalid)
    }
}

/// Why a publishable key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFailure {
    /// Not the project's key.
    Invalid,
    /// The keyless sentinel, while the project requires a key.
    Required,
}

/// Loads the project named by `raw` (a UUID); `None` when there is none.
pub async fn find_project(gateway: &Gateway, raw: &str) -> Result<Option<Project>, TieredError> {
    let Ok(id) = Uuid::parse_str(raw) else {
        return Ok(None);
    };
    match gateway.project(id).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The credential rules of this surface in the shared verifier.
#[derive(Debug)]
pub struct TieredAuth;

impl AuthPolicy for TieredAuth {
    type Error = TieredError;
    const SURFACE: Surface = Surface::Users;

    /// The user's access token: `x-hexclave-access-token` / `x-stack-access-token`.
    fn presented(req: &HttpRequest) -> Result<Option<Presented>, TieredError> {
        Ok(headers::get(req, "access-token").map(|t| Presented::Token(t.into_owned())))
    }

    /// Step 5: the vendor's token of the request's project ([`verify_token`]), before the
    /// project is looked up.
    async fn verify_token(
        req: &HttpRequest,
        token: &str,
    ) -> Result<TokenSubject, Refusal<TieredError>> {
        let (Some(gateway), Some(keys)) = (
            req.app_data::<web::Data<Gateway>>(),
            req.app_data::<web::Data<KeyCell>>(),
        ) else {
            return Err(Refusal::Answer(unregistered()));
        };
        let key = keys
            .get(gateway)
            .await
            .map_err(|e| Refusal::Answer(e.into()))?;
        let allow_anonymous = headers::is_true(req, "allow-anonymous-user");
        let claims = verify_token(
            &key,
            token,
            &config::base_url(req),
            &headers::get(req, "project-id").unwrap_or_default(),
            allow_anonymous,
            allow_anonymous || headers::is_true(req, "allow-restricted-user"),
        )
        .map_err(Refusal::Answer)?;
        req.extensions_mut()
            .insert(TokenSession(claims.refresh_token_id.parse().ok()));
        // A token naming no user id names no user that can be loaded.
        let user = claims
            .sub
            .parse::<UserId>()
            .map_err(|_| AuthFailure::UserGone)?;
        Ok(TokenSubject {
            user,
            session: None,
        })
    }

    /// The only refusal the verifier can still make here concerns the token itself.
    fn refuse(_: &HttpRequest, _: AuthFailure, _: Option<&Presented>) -> TieredError {
        KnownError::unparsable_access_token().into()
    }

    /// A token whose user cannot be loaded is a request without a user.
    fn anonymous(failure: AuthFailure) -> bool {
        failure == AuthFailure::UserGone
    }
}

fn unregistered() -> TieredError {
    TieredError::Internal(gateway_core::CoreError::internal(
        "tiered dialect state is not registered",
    ))
}

/// The project headers (spec §4.2 steps 1-4): the access type and the project id, when the
/// request has an access type.
#[derive(Debug)]
struct Scope {
    access_type: AccessType,
    project_id: String,
}

impl Scope {
    /// Steps 1-4. `Ok(None)`: no access type, an anonymous request.
    fn of(req: &HttpRequest) -> Result<Option<Self>, TieredError> {
        const KEYS_AND_TOKENS: [&str; 4] = [
            "publishable-client-key",
            "secret-server-key",
            "super-secret-admin-key",
            "admin-access-token",
        ];
        let key_or_token = KEYS_AND_TOKENS
            .into_iter()
            .any(|name| headers::get(req, name).is_some());
        let Some(access_type) = headers::get(req, "access-type") else {
            if key_or_token {
                return Err(KnownError::project_key_without_access_type().into());
            }
            return Ok(None);
        };
        let access_type = match &*access_type {
            "client" => AccessType::Client,
            "server" => AccessType::Server,
            "admin" => AccessType::Admin,
            other => return Err(KnownError::invalid_access_type(other).into()),
        };
        let Some(project_id) = headers::get(req, "project-id") else {
            return Err(KnownError::access_type_without_project_id(access_type.as_str()).into());
        };
        Ok(Some(Self {
            access_type,
            project_id: project_id.into_owned(),
        }))
    }

    /// Steps 6-8: the project, the keys of the access type, the branch.
    async fn project(&self, req: &HttpRequest, gateway: &Gateway) -> Result<Project, TieredError> {
        let Some(project) = find_project(gateway, &self.project_id).await? else {
            return Err(KnownError::current_project_not_found(&self.project_id).into());
        };
        let pid = project.id.to_string();
        if headers::get(req, "admin-access-token").is_some() {
            return Err(KnownError::unparsable_admin_access_token().into());
        }
        match self.access_type {
            AccessType::Client => match headers::get(req, "publishable-client-key").as_deref() {
                None if project.require_publishable_client_key => {
                    return Err(KnownError::publishable_client_key_required(&pid).into());
                }
                None => {}
                Some(key) => match check_publishable_key(&project, key) {
                    Ok(()) => {}
                    Err(KeyFailure::Required) => {
                        return Err(KnownError::publishable_client_key_required(&pid).into());
                    }
                    Err(KeyFailure::Invalid) => {
                        return Err(KnownError::invalid_publishable_client_key(&pid).into());
                    }
                },
            },
            AccessType::Server => match headers::get(req, "secret-server-key").as_deref() {
                None => return Err(KnownError::server_authentication_required().into()),
                Some(key) if !project.accepts(ProjectKey::SecretServer, key) => {
                    return Err(KnownError::invalid_secret_server_key(&pid).into());
                }
                Some(_) => {}
            },
            AccessType::Admin => {
                return Err(match headers::get(req, "super-secret-admin-key") {
                    None => KnownError::admin_authentication_required(),
                    Some(_) => KnownError::invalid_super_secret_admin_key(&pid),
                }
                .into());
            }
        }
        // Only after the keys, so branches cannot be probed without them.
        let branch_id =
            headers::get(req, "branch-id").unwrap_or(std::borrow::Cow::Borrowed("main"));
        if branch_id != "main" {
            return Err(KnownError::branch_does_not_exist(&branch_id).into());
        }
        Ok(project)
    }
}

/// Runs the vendor's check sequence. `Ok(None)`: no access type, an anonymous request.
pub async fn parse(
    req: &HttpRequest,
    gateway: &Gateway,
) -> Result<Option<Box<Caller>>, TieredError> {
    let Some(scope) = Scope::of(req)? else {
        return Ok(None);
    };
    // Step 5 (and the token's user, which only ever yields a user or none).
    // Boxed, as `parse` is by the extractor: inline it made this future larger than glibc's
    // per-thread cache serves.
    let identified = Box::pin(identify::<TieredAuth>(req)).await?;
    let project = scope.project(req, gateway).await?;
    let session_id = req.extensions().get::<TokenSession>().and_then(|s| s.0);
    Ok(Some(Box::new(Caller {
        access_type: scope.access_type,
        project,
        user: identified.and_then(|caller| servable(caller.user)),
        session_id,
    })))
}

/// The user, if it may be served: a user not in good standing is treated like one that cannot
/// be loaded (the core rule; the vendor has no banned state).
fn servable(user: User) -> Option<User> {
    if user.standing() == Standing::Good {
        return Some(user);
    }
    tracing::debug!(
        user_id = %user.id,
        standing = ?user.standing(),
        "tiered token of a user not in good standing: no user"
    );
    None
}

/// Verifies an access token for `project_id` (spec §4.2 step 5) under the issuer base `base`.
pub fn verify_token(
    key: &SigningKey,
    token: &str,
    base: &str,
    project_id: &str,
    allow_anonymous: bool,
    allow_restricted: bool,
) -> Result<AccessClaims, TieredError> {
    let claims = key
        .verify(token, base, Utc::now())
        .map_err(|r| TieredError::Known(r.known()))?;
    if claims.project_id != project_id {
        return Err(
            KnownError::invalid_project_for_access_token(project_id, &claims.project_id).into(),
        );
    }
    if claims.is_anonymous && !allow_anonymous {
        return Err(KnownError::anonymous_authentication_not_allowed().into());
    }
    if let Some(reason) = &claims.restricted_reason
        && !allow_restricted
    {
        return Err(KnownError::restricted_user_not_allowed(&reason.kind).into());
    }
    Ok(claims)
}

/// A request as the vendor's route handlers see it: the parsed body and the caller.
#[derive(Debug)]
pub struct Smart {
    /// The body, parsed by content type.
    pub body: Body,
    /// The caller; `None` when the request has no access type. Boxed: a caller holds a user
    /// (about 850 bytes), and the extractor's future and result are moved several times; a
    /// pointer moves cheaper (`make bench-instructions`: fewer cache misses per request).
    pub auth: Option<Box<Caller>>,
}

impl Smart {
    /// The caller, if its access type may use the route: `ACCESS_TYPE_REQUIRED` without one,
    /// `INSUFFICIENT_ACCESS_TYPE` for another.
    pub fn require(&self, allowed: &[AccessType]) -> Result<&Caller, TieredError> {
        let Some(caller) = &self.auth else {
            return Err(KnownError::access_type_required().into());
        };
        if allowed.contains(&caller.access_type) {
            Ok(caller)
        } else {
            let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            Err(KnownError::insufficient_access_type(caller.access_type.as_str(), &names).into())
        }
    }
}

impl FromRequest for Smart {
    type Error = TieredError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, TieredError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let Some(gateway) = req.app_data::<web::Data<Gateway>>() else {
                return Err(unregistered());
            };
            let body = body::read_and_parse(&req, payload).await?;
            if let Some((platform, sdk, version)) = headers::client_version(&req) {
                tracing::debug!(%platform, %sdk, %version, "tiered client");
            }
            // Boxed: inline, the caller check made this future (allocated on every request)
            // larger than glibc's per-thread cache serves (see the test
            // `per_request_futures_fit_the_allocator_cache`).
            let auth = Box::pin(parse(&req, gateway)).await?;
            Ok(Smart { body, auth })
        })
    }
}
