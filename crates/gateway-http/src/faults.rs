//! Fault injection for test suites: rules added through the admin API make matching requests of
//! a surface fail with a chosen status (rendered in that dialect's own envelope) and/or wait
//! first, or close the connection without answering. Rules match by surface, method, path prefix
//! and user (the owner of the API key or access token the request carries), fire with a
//! probability and at most `count` times, and live in the instance's memory.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    web,
};
use gateway_core::{Gateway, Surface};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Presented, Tokens};

/// A rule as given to the admin API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Only this surface (`platform`, `users-me`, `account-profile`, `me`, `users`); all if absent.
    pub surface: Option<String>,
    /// Only this HTTP method.
    pub method: Option<String>,
    /// Only paths starting with this prefix.
    pub path: Option<String>,
    /// Answer with this status (rendered by the dialect); none = pass through after the latency.
    pub status: Option<u16>,
    /// Seconds for `Retry-After` (429/503).
    pub retry_after: Option<u32>,
    /// Message the dialect puts in its envelope.
    pub message: Option<String>,
    /// Wait this long first.
    #[serde(default)]
    pub latency_ms: u64,
    /// Fire at most this many times (unlimited when absent).
    pub count: Option<u32>,
    /// Probability of firing on a match, 0-1 (default 1).
    pub probability: Option<f64>,
}

/// A rule as the admin API and fixture files give it: [`FaultSpec`] plus the user filter and the
/// dropped-connection effect.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRuleSpec {
    /// Only this surface (`platform`, `users-me`, `account-profile`, `me`, `users`); all if absent.
    pub surface: Option<String>,
    /// Only this HTTP method.
    pub method: Option<String>,
    /// Only paths starting with this prefix.
    pub path: Option<String>,
    /// Only requests whose credential (API key or access token of the surface) belongs to this
    /// user, given by id or username.
    pub user: Option<String>,
    /// Answer with this status (rendered by the dialect); none = pass through after the latency.
    pub status: Option<u16>,
    /// Seconds for `Retry-After` (429/503).
    pub retry_after: Option<u32>,
    /// Message the dialect puts in its envelope.
    pub message: Option<String>,
    /// Wait this long first (at most 60 000 ms).
    #[serde(default)]
    pub latency_ms: u64,
    /// Close the connection without answering (after the latency).
    #[serde(default)]
    pub drop_connection: bool,
    /// Fire at most this many times (unlimited when absent).
    pub count: Option<u32>,
    /// Probability of firing on a match, 0-1 (default 1).
    pub probability: Option<f64>,
}

impl From<FaultSpec> for FaultRuleSpec {
    fn from(spec: FaultSpec) -> Self {
        let FaultSpec {
            surface,
            method,
            path,
            status,
            retry_after,
            message,
            latency_ms,
            count,
            probability,
        } = spec;
        Self {
            surface,
            method,
            path,
            user: None,
            status,
            retry_after,
            message,
            latency_ms,
            drop_connection: false,
            count,
            probability,
        }
    }
}

/// Longest added latency, in milliseconds.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// `Retry-After` seconds on a 429 or 503 whose cause gives none (a rule without `retry_after`, a
/// core rate limit or outage). The gateway has no rate limiter of its own; its 429s come from
/// fault injection, where a test suite wants to retry soon.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 1;

impl FaultRuleSpec {
    /// Checks the rule and builds it (with a fresh id) without storing it: refuses an unknown
    /// surface, a status outside 400-599, a bad probability, a status together with a dropped
    /// connection, and a rule with no effect.
    pub fn check(self) -> Result<FaultRule, String> {
        let FaultRuleSpec {
            surface,
            method,
            path,
            user,
            status,
            retry_after,
            message,
            latency_ms,
            drop_connection,
            count,
            probability,
        } = self;
        if let Some(s) = &surface {
            s.parse::<Surface>()?;
        }
        if let Some(code) = status
            && !(400..=599).contains(&code)
        {
            return Err(format!("status {code} is not an error status (400-599)"));
        }
        let probability = probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err("probability must be between 0 and 1".into());
        }
        if status.is_some() && drop_connection {
            return Err("a rule answers with a status or drops the connection, not both".into());
        }
        if status.is_none() && latency_ms == 0 && !drop_connection {
            return Err("a rule needs a status, a latency or drop_connection".into());
        }
        if latency_ms > MAX_LATENCY_MS {
            return Err(format!("latency_ms must be at most {MAX_LATENCY_MS}"));
        }
        if let Some(p) = &path
            && !p.starts_with('/')
        {
            return Err("path must start with /".into());
        }
        if user.as_deref().is_some_and(|u| u.trim().is_empty()) {
            return Err("user must not be empty".into());
        }
        Ok(FaultRule {
            id: Uuid::new_v4(),
            surface,
            method: method.map(|m| m.to_ascii_uppercase()),
            path,
            user,
            status,
            retry_after,
            message,
            latency_ms,
            drop_connection,
            remaining: count,
            probability,
            fired: 0,
        })
    }
}

/// A stored rule.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRule {
    /// Rule id.
    pub id: Uuid,
    /// Surface filter.
    pub surface: Option<String>,
    /// Method filter.
    pub method: Option<String>,
    /// Path prefix filter.
    pub path: Option<String>,
    /// User filter (id or username).
    pub user: Option<String>,
    /// Status to answer with.
    pub status: Option<u16>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u32>,
    /// Envelope message.
    pub message: Option<String>,
    /// Added latency.
    pub latency_ms: u64,
    /// Close the connection without answering.
    pub drop_connection: bool,
    /// Remaining firings (unlimited when `None`).
    pub remaining: Option<u32>,
    /// Probability of firing.
    pub probability: f64,
    /// How often it fired.
    pub fired: u64,
}

impl FaultRule {
    fn matches(&self, surface: &str, method: &str, path: &str) -> bool {
        self.surface.as_deref().is_none_or(|s| s == surface)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.path.as_deref().is_none_or(|p| path.starts_with(p))
            && self.remaining != Some(0)
    }

    fn effect(&self) -> &'static str {
        if self.drop_connection {
            "drop_connection"
        } else if self.status.is_some() {
            "status"
        } else {
            "latency"
        }
    }
}

/// What a fired rule asks the dialect to do.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Status to render, if any.
    pub status: Option<StatusCode>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u32>,
    /// Message for the envelope.
    pub message: String,
    /// Latency to add.
    pub latency: Duration,
}

/// Put in the request's extensions when a rule fires, so the journal and the metrics can say
/// which rule changed the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultFired {
    /// The rule.
    pub rule: Uuid,
    /// The surface whose request it changed.
    pub surface: &'static str,
    /// `status`, `latency` or `drop_connection`.
    pub effect: &'static str,
    /// The injected status, if any.
    pub status: Option<u16>,
}

/// The caller of a request, as far as user filters need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// User id.
    pub id: String,
    /// Username, when the user was loaded.
    pub username: Option<String>,
}

/// The rule set, registered as `web::Data<Faults>`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule; refuses an unknown surface, a status outside 400-599 or a bad probability.
    pub fn add(&self, spec: FaultSpec) -> Result<FaultRule, String> {
        self.add_rule(spec.into())
    }

    /// Adds a rule with every option (see [`FaultRuleSpec::check`]).
    pub fn add_rule(&self, spec: FaultRuleSpec) -> Result<FaultRule, String> {
        let rule = spec.check()?;
        self.lock().push(rule.clone());
        Ok(rule)
    }

    /// Replaces every rule by `rules` (already checked), in one step.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        *self.lock() = rules;
    }

    /// Every rule.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// Removes one rule; `false` when absent.
    pub fn remove(&self, id: Uuid) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        rules.len() != before
    }

    /// Whether there is any rule (the common case of none costs a request no fault check).
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Whether a rule with a user filter could fire for this request of `surface` (by name), so
    /// the caller must be resolved before [`Faults::fire`].
    pub fn needs_caller(&self, surface: &str, method: &str, path: &str) -> bool {
        self.lock()
            .iter()
            .any(|r| r.user.is_some() && r.matches(surface, method, path))
    }

    /// The first matching rule that fires for this request (rules with a user filter match only
    /// when `caller` is that user), counting the firing. Returns the fault, what fired, and
    /// whether to drop the connection.
    pub fn fire(
        &self,
        surface: &'static str,
        method: &str,
        path: &str,
        caller: Option<&Caller>,
    ) -> Option<(Fault, FaultFired, bool)> {
        let mut rules = self.lock();
        let mut rng = rand::rng();
        let rule = rules.iter_mut().find(|r| {
            r.matches(surface, method, path)
                && r.user.as_deref().is_none_or(|u| {
                    caller.is_some_and(|c| c.id == u || c.username.as_deref() == Some(u))
                })
                && (r.probability >= 1.0 || rng.random_bool(r.probability))
        })?;
        rule.fired += 1;
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        let status = rule.status.and_then(|s| StatusCode::from_u16(s).ok());
        let fired = FaultFired {
            rule: rule.id,
            surface,
            effect: rule.effect(),
            status: rule.status,
        };
        let fault = Fault {
            message: rule.message.clone().unwrap_or_else(|| {
                status
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("injected fault")
                    .to_owned()
            }),
            status,
            retry_after: rule.retry_after,
            latency: Duration::from_millis(rule.latency_ms),
        };
        Some((fault, fired, rule.drop_connection))
    }
}

/// The values in a request that may carry a credential: the `Authorization` value (with and
/// without its scheme), headers named `*-key` or `*-token`, and the `access_token` query
/// parameter.
fn credential_candidates(req: &HttpRequest) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in req.headers() {
        let Ok(value) = value.to_str() else { continue };
        let name = name.as_str();
        if name == "authorization" {
            if let Some((_, rest)) = value.split_once(' ') {
                out.push(rest.trim().to_owned());
            }
            out.push(value.trim().to_owned());
        } else if name.ends_with("-key") || name.ends_with("-token") {
            out.push(value.trim().to_owned());
        }
    }
    if let Ok(query) = web::Query::<Vec<(String, String)>>::from_query(req.query_string()) {
        out.extend(
            query
                .into_inner()
                .into_iter()
                .filter(|(k, _)| k == "access_token")
                .map(|(_, v)| v),
        );
    }
    out.retain(|c| !c.is_empty());
    out
}

/// The `sub` claim of a JWT, read without verification (dialects with their own token format).
fn unverified_subject(token: &str) -> Option<String> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// Resolves who is calling `surface` (by name): an API key or a gateway access token of that
/// surface (verified, user loaded), else the unverified `sub` of a JWT (which only decides whether
/// a fault fires).
pub async fn resolve_caller(req: &HttpRequest, surface: &str) -> Option<Caller> {
    let gateway = req.app_data::<web::Data<Gateway>>()?.clone();
    let tokens = req.app_data::<web::Data<Tokens>>()?.clone();
    let candidates = credential_candidates(req);
    // Only the gateway's own surfaces have credentials to verify.
    if let Ok(surface) = surface.parse::<Surface>() {
        for c in &candidates {
            let presented = if crate::auth::looks_like_key(req, surface, c) {
                Presented::ApiKey(c.clone())
            } else {
                Presented::Token(c.clone())
            };
            if let Ok(found) = crate::auth::verify(&gateway, &tokens, surface, &presented).await {
                return Some(Caller {
                    id: found.user.id.to_string(),
                    username: Some(found.user.identity.username),
                });
            }
        }
    }
    let id = candidates.iter().find_map(|c| unverified_subject(c))?;
    let username = match id.parse() {
        Ok(uid) => gateway.user(uid).await.ok().map(|u| u.identity.username),
        Err(_) => None,
    };
    Some(Caller { id, username })
}

/// Renders a fault's status in a dialect's envelope.
pub type FaultRender = fn(&HttpRequest, &Fault) -> HttpResponse;

/// Runs the fault rules of `surface` (by name) for `req` before its handler: waits a fired
/// rule's latency, then answers for it (`render` of the rule's status, or a dropped connection)
/// or hands the request back to be served. A fired rule is recorded in the request's extensions
/// as [`FaultFired`]. The resource helper ([`crate::resource`]) calls this for every resource.
pub async fn intercept(
    surface: &'static str,
    render: FaultRender,
    req: ServiceRequest,
) -> Result<ServiceRequest, ServiceResponse> {
    let Some(faults) = req.app_data::<web::Data<Faults>>().cloned() else {
        return Ok(req);
    };
    // The rare paths (a rule that names a caller, a latency) are boxed: inline they made the
    // future of every resource's request (`crate::resource`) about 3 KB, past what glibc's
    // per-thread cache serves (docs/benchmarks.md run 7).
    let caller = if faults.needs_caller(surface, req.method().as_str(), req.path()) {
        Box::pin(resolve_caller(req.request(), surface)).await
    } else {
        None
    };
    let Some((fault, fired, drop_connection)) =
        faults.fire(surface, req.method().as_str(), req.path(), caller.as_ref())
    else {
        return Ok(req);
    };
    req.extensions_mut().insert(fired);
    if !fault.latency.is_zero() {
        Box::pin(actix_web::rt::time::sleep(fault.latency)).await;
    }
    if drop_connection {
        let (http_req, _) = req.into_parts();
        return Err(ServiceResponse::new(http_req, dropped_connection()));
    }
    match fault.status {
        Some(_) => {
            let (http_req, _) = req.into_parts();
            let res = render(&http_req, &fault);
            Err(ServiceResponse::new(http_req, res))
        }
        None => Ok(req),
    }
}

/// Whether [`intercept`] could do anything for `req`: there are fault rules in the app.
pub fn may_fire(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<Faults>>()
        .is_some_and(|faults| !faults.is_empty())
}

/// Put in a response's extensions when its connection is dropped on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionDropped;

/// A response whose body fails before its first byte: actix-web's HTTP/1 dispatcher then closes
/// the connection without writing the response head, so the client sees the connection closed
/// with no answer (what a crashed upstream or a cut network looks like).
fn dropped_connection() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<actix_web::web::Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an injected fault",
        ))
    });
    let mut res = HttpResponse::Ok().streaming(stream);
    res.extensions_mut().insert(ConnectionDropped);
    res
}
