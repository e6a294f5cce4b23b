//! Outgoing webhooks: the core's events ([`gateway_core::Event`]) sent to the endpoints of tiered
//! projects in the vendor's format (Svix messages, [`svix`]), off the request.
//!
//! - [`Webhooks`] is the core's event sink: it knows the endpoints (read at start, at once after
//!   this instance changes them, and every `webhooks.refresh_ms`), is "listening" only while there
//!   is one, and queues events in a bounded channel (`webhooks.queue_capacity`; past it an event
//!   is dropped and logged, never waited for).
//! - [`Sender`] (one task per instance, started with the server) renders each event once through
//!   the registry's dialect ([`gateway_http::Registry::webhook`]) and posts it to every endpoint
//!   that wants its type, one event after the other (an endpoint sees the events of one instance
//!   in the order they were committed); a failed attempt is retried after each wait of
//!   `webhooks.retry_delays_ms` (at most `webhooks.pending_retries` deliveries wait at once).
//!   Every attempt is recorded in the journal under the surface `webhooks` ([`send`]).
//!
//! An event is sent by the instance that committed the change; the queue is in memory, so events
//! not yet sent when an instance stops are lost (docs/dialects/tiered.md, "Webhooks").

pub mod send;
pub mod svix;

use std::{
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use gateway_core::{CoreError, Event, EventSink, Gateway, WebhookEndpoint};
use gateway_http::Registry;
use tokio::sync::mpsc;

use crate::{emulator::journal::Journal, settings::WebhookSettings};

pub use svix::EndpointKey;

/// The journal's surface name for webhook deliveries.
pub const JOURNAL_SURFACE: &str = "webhooks";

/// An endpoint with its signing key.
#[derive(Debug, Clone)]
pub struct Target {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// Its key.
    pub key: EndpointKey,
}

/// The core's event sink (see the module docs). Shared by the gateway, the admin API and the
/// sender.
pub struct Webhooks {
    queue: mpsc::Sender<Event>,
    listening: AtomicBool,
    targets: RwLock<Arc<Vec<Target>>>,
    server_secret: Vec<u8>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("listening", &self.listening)
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

impl EventSink for Webhooks {
    fn listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    fn emit(&self, event: Event) {
        if let Err(e) = self.queue.try_send(event) {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            let event = match &e {
                mpsc::error::TrySendError::Full(ev) | mpsc::error::TrySendError::Closed(ev) => {
                    ev.type_name()
                }
            };
            tracing::warn!(
                event,
                dropped,
                "webhook queue full or closed: event dropped"
            );
        }
    }
}

impl Webhooks {
    /// A sink signing with keys derived from `server_secret`, and the sender that drains it
    /// (to be run with [`Sender::run`]).
    pub fn new(settings: &WebhookSettings, server_secret: &[u8]) -> (Arc<Self>, Receiver) {
        let (queue, events) = mpsc::channel(settings.queue_capacity);
        let hooks = Arc::new(Self {
            queue,
            listening: AtomicBool::new(false),
            targets: RwLock::new(Arc::default()),
            server_secret: server_secret.to_vec(),
            dropped: AtomicU64::new(0),
        });
        (hooks, Receiver(events))
    }

    /// The signing key of `endpoint`.
    pub fn key(&self, endpoint: &WebhookEndpoint) -> EndpointKey {
        EndpointKey::derive(&self.server_secret, endpoint)
    }

    /// Reads the endpoints again (after a change, and periodically).
    pub async fn refresh(&self, gateway: &Gateway) -> Result<(), CoreError> {
        let targets: Vec<Target> = gateway
            .webhook_endpoints(None)
            .await?
            .into_iter()
            .map(|endpoint| Target {
                key: self.key(&endpoint),
                endpoint,
            })
            .collect();
        self.listening.store(!targets.is_empty(), Ordering::Relaxed);
        *self
            .targets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(targets);
        Ok(())
    }

    /// The endpoints as last read.
    pub fn targets(&self) -> Arc<Vec<Target>> {
        Arc::clone(
            &self
                .targets
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The receiving end of the event queue, handed to [`Sender::new`].
#[derive(Debug)]
pub struct Receiver(mpsc::Receiver<Event>);

/// The task that sends queued events (see the module docs).
pub struct Sender {
    events: mpsc::Receiver<Event>,
    hooks: Arc<Webhooks>,
    gateway: Gateway,
    registry: Registry,
    refresh: Duration,
    send: Arc<send::Delivery>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl Sender {
    /// The sender of `hooks`' queue.
    pub fn new(
        events: Receiver,
        hooks: Arc<Webhooks>,
        gateway: Gateway,
        registry: Registry,
        journal: Journal,
        settings: &WebhookSettings,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            events: events.0,
            send: Arc::new(send::Delivery::new(Arc::clone(&hooks), journal, settings)?),
            hooks,
            gateway,
            registry,
            refresh: Duration::from_millis(settings.refresh_ms),
        })
    }

    /// Sends events until the queue closes, reading the endpoints again every `refresh_ms`.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(self.refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(event) => self.announce(event).await,
                    None => return,
                },
                _ = tick.tick() => {
                    if let Err(e) = self.hooks.refresh(&self.gateway).await {
                        tracing::warn!(error = %e, "webhook endpoints could not be read");
                    }
                }
            }
        }
    }

    /// Renders `event` once and sends it to every endpoint that wants it.
    async fn announce(&self, event: Event) {
        let name = event.type_name();
        let targets = self.hooks.targets();
        if !targets.iter().any(|t| t.endpoint.wants(name)) {
            return;
        }
        let data = match self.registry.webhook(&self.gateway, &event).await {
            None | Some(Ok(None)) => return,
            Some(Ok(Some(data))) => data,
            Some(Err(e)) => {
                tracing::error!(event = name, error = %e, "webhook payload could not be rendered");
                return;
            }
        };
        let body = match serde_json::to_vec(&serde_json::json!({"type": name, "data": data})) {
            Ok(body) => actix_web::web::Bytes::from(body),
            Err(e) => {
                tracing::error!(event = name, error = %e, "webhook payload could not be encoded");
                return;
            }
        };
        for target in targets.iter().filter(|t| t.endpoint.wants(name)) {
            let message = send::Message {
                id: svix::message_id(),
                event: name,
                body: body.clone(),
                endpoint_id: target.endpoint.id,
            };
            Arc::clone(&self.send).deliver(message).await;
        }
    }
}
