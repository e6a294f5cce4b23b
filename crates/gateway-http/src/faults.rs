//! Fault injection for test suites: rules added through the admin API make matching requests of
//! a surface fail with a chosen status (rendered in that dialect's own envelope) and/or wait
//! first. Rules live in the instance's memory.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::Next,
    web,
};
use gateway_core::Surface;
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A rule as given to the admin API.
#[derive(Debug, Clone, Deserialize)]
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
    /// Status to answer with.
    pub status: Option<u16>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u32>,
    /// Envelope message.
    pub message: Option<String>,
    /// Added latency.
    pub latency_ms: u64,
    /// Remaining firings (unlimited when `None`).
    pub remaining: Option<u32>,
    /// Probability of firing.
    pub probability: f64,
    /// How often it fired.
    pub fired: u64,
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

/// The rule set, registered as `web::Data<Faults>`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule; refuses an unknown surface, a status outside 400-599 or a bad probability.
    pub fn add(&self, spec: FaultSpec) -> Result<FaultRule, String> {
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
        if status.is_none() && latency_ms == 0 {
            return Err("a rule needs a status or a latency".into());
        }
        let rule = FaultRule {
            id: Uuid::new_v4(),
            surface,
            method: method.map(|m| m.to_ascii_uppercase()),
            path,
            status,
            retry_after,
            message,
            latency_ms: latency_ms.min(60_000),
            remaining: count,
            probability,
            fired: 0,
        };
        self.lock().push(rule.clone());
        Ok(rule)
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

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The first matching rule that fires for this request, counting the firing.
    pub fn take(&self, surface: Surface, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.lock();
        let mut rng = rand::rng();
        let rule = rules.iter_mut().find(|r| {
            r.surface.as_deref().is_none_or(|s| s == surface.as_str())
                && r.method.as_deref().is_none_or(|m| m == method)
                && r.path.as_deref().is_none_or(|p| path.starts_with(p))
                && r.remaining != Some(0)
                && (r.probability >= 1.0 || rng.random_bool(r.probability))
        })?;
        rule.fired += 1;
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        let status = rule.status.and_then(|s| StatusCode::from_u16(s).ok());
        Some(Fault {
            message: rule.message.clone().unwrap_or_else(|| {
                status.and_then(|s| s.canonical_reason()).unwrap_or("injected fault").to_owned()
            }),
            status,
            retry_after: rule.retry_after,
            latency: Duration::from_millis(rule.latency_ms),
        })
    }
}

/// Renders a fault's status in a dialect's envelope.
pub type FaultRender = fn(&HttpRequest, &Fault) -> HttpResponse;

/// Applies the fault rules of `surface` before the dialect's handler runs. Use with
/// `actix_web::middleware::from_fn(move |req, next| faults::apply(Surface::X, render, req, next))`.
pub async fn apply<B: MessageBody + 'static>(
    surface: Surface,
    render: FaultRender,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let fault = req
        .app_data::<web::Data<Faults>>()
        .and_then(|f| f.take(surface, req.method().as_str(), req.path()));
    let Some(fault) = fault else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    if !fault.latency.is_zero() {
        tokio_sleep(fault.latency).await;
    }
    match fault.status {
        Some(_) => {
            let (http_req, _) = req.into_parts();
            let res = render(&http_req, &fault);
            Ok(ServiceResponse::new(http_req, res).map_into_right_body())
        }
        None => next.call(req).await.map(ServiceResponse::map_into_left_body),
    }
}

async fn tokio_sleep(d: Duration) {
    actix_web::rt::time::sleep(d).await;
}
