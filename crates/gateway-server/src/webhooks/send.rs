//! One webhook message to one endpoint: its attempts (signed anew each time, as Svix does), the
//! retries after a failure, and the journal entry of every attempt.

use std::{sync::Arc, time::Duration};

use actix_web::{
    http::header::{HeaderMap, HeaderName, HeaderValue},
    web::Bytes,
};
use chrono::Utc;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{JOURNAL_SURFACE, Webhooks};
use crate::{
    emulator::journal::{
        Captured, CapturedBody, CapturedHeaders, CapturedRequest, CapturedResponse, Journal,
    },
    settings::WebhookSettings,
};

/// The most bytes of an endpoint's answer that are read (the rest is not waited for).
const RESPONSE_READ_MAX: usize = 64 * 1024;
/// The `user-agent` of every attempt.
const USER_AGENT: &str = concat!(
    "gateway-webhooks/",
    env!("CARGO_PKG_VERSION"),
    " (Svix format)"
);

/// One message for one endpoint.
#[derive(Debug, Clone)]
pub struct Message {
    /// `svix-id`: the same on every attempt.
    pub id: String,
    /// The event type.
    pub event: &'static str,
    /// `{"type": ..., "data": ...}`.
    pub body: Bytes,
    /// The endpoint it goes to.
    pub endpoint_id: Uuid,
}

/// What an endpoint answered to one attempt.
struct Answer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    /// At most [`RESPONSE_READ_MAX`] bytes.
    body: Bytes,
    /// The whole body was read.
    complete: bool,
    /// Until the head, in milliseconds.
    duration_ms: f64,
}

/// Sends messages: the HTTP client, the retry schedule and its bound, the journal.
pub struct Delivery {
    hooks: Arc<Webhooks>,
    client: reqwest::Client,
    journal: Journal,
    delays: Vec<Duration>,
    pending: Arc<Semaphore>,
}

impl Delivery {
    /// A sender after `settings`.
    pub fn new(
        hooks: Arc<Webhooks>,
        journal: Journal,
        settings: &WebhookSettings,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self {
            hooks,
            client,
            journal,
            delays: settings
                .retry_delays_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            pending: Arc::new(Semaphore::new(settings.pending_retries)),
        })
    }

    /// The first attempt now (awaited); after a failure, the retries in a task of their own.
    pub async fn deliver(self: Arc<Self>, message: Message) {
        if self.attempt(&message).await || self.delays.is_empty() {
            return;
        }
        let Ok(permit) = Arc::clone(&self.pending).try_acquire_owned() else {
            tracing::warn!(
                event = message.event,
                endpoint = %message.endpoint_id,
                "too many webhook deliveries wait for a retry: this one is not retried"
            );
            return;
        };
        tokio::spawn(async move {
            for delay in &self.delays {
                tokio::time::sleep(*delay).await;
                if self.attempt(&message).await {
                    break;
                }
            }
            drop(permit);
        });
    }

    /// One attempt; `true` when the endpoint answered 2xx, or is gone (nothing to retry).
    async fn attempt(&self, message: &Message) -> bool {
        let targets = self.hooks.targets();
        let Some(target) = targets
            .iter()
            .find(|t| t.endpoint.id == message.endpoint_id)
        else {
            return true;
        };
        let timestamp = Utc::now().timestamp();
        let signature = target.key.sign(&message.id, timestamp, &message.body);
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("svix-id", message.id.clone()),
            ("svix-timestamp", timestamp.to_string()),
            ("svix-signature", signature),
        ];
        let started_at = Utc::now();
        let clock = std::time::Instant::now();
        let mut request = self
            .client
            .post(&target.endpoint.url)
            .body(message.body.clone());
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                    .collect();
                let duration_ms = clock.elapsed().as_secs_f64() * 1e3;
                let (body, complete) = read_capped(response).await;
                Some(Answer {
                    status,
                    headers,
                    body,
                    complete,
                    duration_ms,
                })
            }
            Err(e) => {
                tracing::info!(
                    event = message.event,
                    endpoint = %message.endpoint_id,
                    error = %e,
                    "webhook attempt failed"
                );
                None
            }
        };
        let delivered = outcome
            .as_ref()
            .is_some_and(|a| (200..300).contains(&a.status));
        if self.journal.enabled() {
            self.record(message, target, &headers, started_at, clock, outcome);
        }
        delivered
    }

    /// The journal entry of one attempt (no answer: status `None`, `dropped`).
    fn record(
        &self,
        message: &Message,
        target: &super::Target,
        sent: &[(&str, String)],
        started_at: chrono::DateTime<Utc>,
        clock: std::time::Instant,
        outcome: Option<Answer>,
    ) {
        let limit = self.journal.body_limit();
        let request_headers = header_map(sent.iter().map(|(n, v)| (*n, v.as_bytes())));
        let request = CapturedRequest {
            method: "POST".into(),
            path: target.endpoint.url.as_str().into(),
            query: None,
            headers: CapturedHeaders::capture(&request_headers),
            content_type: "application/json".into(),
            body: CapturedBody::capture_bytes(
                message.body.clone(),
                message.body.len(),
                true,
                limit,
                "application/json",
            ),
        };
        let (response, duration_ms) = match outcome {
            Some(answer) => {
                let headers = header_map(
                    answer
                        .headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_slice())),
                );
                let mut response = CapturedResponse::capture(Some(answer.status), &headers, false);
                let content_type = response.content_type.to_string();
                let total = answer.body.len();
                response.body = CapturedBody::capture_bytes(
                    answer.body,
                    total,
                    answer.complete,
                    limit,
                    &content_type,
                );
                (response, answer.duration_ms)
            }
            None => (
                CapturedResponse::capture(None, &HeaderMap::new(), true),
                clock.elapsed().as_secs_f64() * 1e3,
            ),
        };
        self.journal.record(Captured {
            id: 0,
            surface: JOURNAL_SURFACE,
            route: Some(message.event.to_owned()),
            request_id: None,
            started_at,
            duration_ms,
            total_ms: clock.elapsed().as_secs_f64() * 1e3,
            request,
            response,
            fault: None,
        });
    }
}

/// The endpoint's answer, at most [`RESPONSE_READ_MAX`] bytes of it; `false` when cut.
async fn read_capped(mut response: reqwest::Response) -> (Bytes, bool) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_READ_MAX - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return (body.into(), false);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return (body.into(), true),
            Err(_) => return (body.into(), false),
        }
    }
}

/// An actix header map of `pairs` (invalid names or values left out).
fn header_map<'a>(pairs: impl Iterator<Item = (&'a str, &'a [u8])>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    map
}
