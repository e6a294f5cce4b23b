//! Who is calling: the vendor's `parseAuth` (spec §4.2), in its order. Body parsing comes first
//! (as in `createSmartRequest`), then the access type, project id, access token, project, keys,
//! branch and finally the user of the token. Route-level checks (allowed access types, `me`
//! without a user) are the handlers'.
//!
//! The token's user must exist and be in good standing (`User::standing`); otherwise the
//! request has no user, the vendor's path for a token whose user cannot be loaded. The token's
//! refresh session is not consulted, as in the vendor (`decodeAccessToken` checks the JWT only).
//!
//! This surface does not use `gateway_http::Auth`: its credentials are a project's keys plus an
//! optional user token, and every refusal has its own known error, so the whole check sequence
//! lives here.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use gateway_core::{ErrorKind, Gateway, Project, ProjectKey, Standing, User, UserId};
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
}

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

/// Runs the vendor's check sequence. `Ok(None)`: no access type, an anonymous request.
pub async fn parse(
    req: &HttpRequest,
    gateway: &Gateway,
    keys: &KeyCell,
) -> Result<Option<Caller>, TieredError> {
    let project_id = headers::get(req, "project-id");
    let branch_id = headers::get(req, "branch-id").unwrap_or_else(|| "main".to_owned());
    let access_type = headers::get(req, "access-type");
    let publishable = headers::get(req, "publishable-client-key");
    let secret = headers::get(req, "secret-server-key");
    let super_secret = headers::get(req, "super-secret-admin-key");
    let admin_token = headers::get(req, "admin-access-token");
    let access_token = headers::get(req, "access-token");
    let allow_anonymous = headers::is_true(req, "allow-anonymous-user");
    let allow_restricted = allow_anonymous || headers::is_true(req, "allow-restricted-user");

    // 1-4: header combinations.
    let key_or_token = publishable.is_some()
        || secret.is_some()
        || super_secret.is_some()
        || admin_token.is_some();
    let Some(access_type) = access_type else {
        if key_or_token {
            return Err(KnownError::project_key_without_access_type().into());
        }
        return Ok(None);
    };
    let access_type = match access_type.as_str() {
        "client" => AccessType::Client,
        "server" => AccessType::Server,
        "admin" => AccessType::Admin,
        other => return Err(KnownError::invalid_access_type(other).into()),
    };
    let Some(project_id) = project_id else {
        return Err(KnownError::access_type_without_project_id(access_type.as_str()).into());
    };

    // 5: the access token, verified before the project is looked up.
    let claims = match &access_token {
        None => None,
        Some(token) => {
            let key = keys.get(gateway).await?;
            Some(verify_token(
                &key,
                token,
                &config::base_url(req),
                &project_id,
                allow_anonymous,
                allow_restricted,
            )?)
        }
    };

    // 6: the project.
    let Some(project) = find_project(gateway, &project_id).await? else {
        return Err(KnownError::current_project_not_found(&project_id).into());
    };
    let pid = project.id.to_string();

    // 7: the keys of the access type.
    if admin_token.is_some() {
        return Err(KnownError::unparsable_admin_access_token().into());
    }
    match access_type {
        AccessType::Client => match publishable.as_deref() {
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
        AccessType::Server => match secret.as_deref() {
            None => return Err(KnownError::server_authentication_required().into()),
            Some(key) if !project.accepts(ProjectKey::SecretServer, key) => {
                return Err(KnownError::invalid_secret_server_key(&pid).into());
            }
            Some(_) => {}
        },
        AccessType::Admin => {
            return Err(match super_secret {
                None => KnownError::admin_authentication_required(),
                Some(_) => KnownError::invalid_super_secret_admin_key(&pid),
            }
            .into());
        }
    }

    // 8: the branch (only after the keys, so branches cannot be probed without them).
    if branch_id != "main" {
        return Err(KnownError::branch_does_not_exist(&branch_id).into());
    }

    // The user of the token; a deleted user is simply no user, and so is a user who is not in
    // good standing (the core rule; the vendor has no banned state, so such a user is treated
    // like one that cannot be loaded).
    let user = match &claims {
        None => None,
        Some(c) => match c.sub.parse::<UserId>() {
            Err(_) => None,
            Ok(id) => load_servable(gateway, id).await?,
        },
    };
    Ok(Some(Caller {
        access_type,
        project,
        user,
    }))
}

/// The user `id` if it exists and may be served (`User::standing` is good); `None` otherwise.
pub async fn load_servable(gateway: &Gateway, id: UserId) -> Result<Option<User>, TieredError> {
    match gateway.user(id).await {
        Ok(user) if user.standing() == Standing::Good => Ok(Some(user)),
        Ok(user) => {
            tracing::debug!(
                user_id = %user.id,
                standing = ?user.standing(),
                "tiered token of a user not in good standing: no user"
            );
            Ok(None)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
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
    /// The caller; `None` when the request has no access type.
    pub auth: Option<Caller>,
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
            let (Some(gateway), Some(keys)) = (
                req.app_data::<web::Data<Gateway>>(),
                req.app_data::<web::Data<KeyCell>>(),
            ) else {
                return Err(TieredError::Internal(gateway_core::CoreError::internal(
                    "tiered dialect state is not registered",
                )));
            };
            let body = body::read_and_parse(&req, payload).await?;
            if let Some((platform, sdk, version)) = headers::client_version(&req) {
                tracing::debug!(%platform, %sdk, %version, "tiered client");
            }
            let auth = parse(&req, gateway, keys).await?;
            Ok(Smart { body, auth })
        })
    }
}
