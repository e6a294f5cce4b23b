//! Emulator features for test suites, beside the dialects: fixtures, the request journal and its
//! verification API (`verify`), Prometheus metrics and the web console. Fault injection itself
//! lives in `gateway-http` (`faults`), which every dialect wraps its routes with.
//!
//! Every request passes through [`observe`], which counts it in the metrics and, for requests of
//! a surface, records it (redacted) in the journal. Nothing here changes what a dialect answers.

pub mod console;
pub mod export;
pub mod fixtures;
pub mod handlers;
pub mod journal;
pub mod metrics;
pub mod outbox;
pub mod surfaces;
pub mod verify;

use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use actix_web::{
    Error, HttpMessage,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, TRANSFER_ENCODING},
    middleware::Next,
    web::{self, Bytes, BytesMut},
};
use futures_util::StreamExt as _;
use gateway_http::faults::{ConnectionDropped, FaultFired};
use tracing_actix_web::RequestId;

use self::{
    journal::{
        Captured, CapturedBody, CapturedRequest, CapturedResponse, Journal, JournalLimits, Pending,
        Recorder,
    },
    metrics::{DROPPED_STATUS, Metrics, NO_SURFACE, Observation, UNMATCHED_ROUTE},
};

/// The emulator's state, shared by every worker (cheap to clone).
#[derive(Clone)]
pub struct Emulator {
    /// The request journal.
    pub journal: Journal,
    /// The metrics registry.
    pub metrics: Metrics,
    /// The loaded fixtures; the lock also serialises loads and resets.
    pub fixtures: Arc<tokio::sync::Mutex<Option<fixtures::Plan>>>,
    /// How the console's previews reach this instance.
    pub preview: Arc<PreviewTarget>,
    /// Every mail this instance sent (kept by the gateway's mailer, `crate::mail::Postman`).
    pub outbox: Arc<outbox::Outbox>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

/// The console's previews call the instance's own surfaces over loopback; they carry a
/// per-process secret header so the journal leaves them out.
#[derive(Debug, Default)]
pub struct PreviewTarget {
    /// `http://127.0.0.1:PORT`, set once the listener is bound.
    pub base_url: OnceLock<String>,
    /// The value of [`PREVIEW_HEADER`] that marks a preview.
    pub secret: String,
}

/// Header that marks the console's own preview requests.
pub const PREVIEW_HEADER: &str = "x-gateway-console-preview";

impl Emulator {
    /// A fresh emulator state; `request_body_limit` is the server's (a journaled body is read up
    /// to it, so one over the journal's body limit is redacted whole before it is cut).
    pub fn new(
        settings: &crate::settings::EmulatorSettings,
        mail_from: &str,
        request_body_limit: usize,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            journal: Journal::new(JournalLimits {
                capacity: settings.journal_capacity,
                body_limit: settings.journal_body_limit_bytes,
                budget_bytes: settings.journal_budget_bytes,
                read_limit: request_body_limit,
            }),
            metrics: Metrics::new()?,
            fixtures: Arc::default(),
            outbox: Arc::new(outbox::Outbox::new(settings.outbox_capacity, mail_from)),
            preview: Arc::new(PreviewTarget {
                base_url: OnceLock::new(),
                secret: gateway_core::credentials::random_token(24),
            }),
        })
    }
}

/// Reads up to `limit` bytes of the request body for the journal, then puts the whole body back
/// (what was read, then the rest of the stream) so the handler sees it unchanged, with its own
/// size limit and errors.
async fn peek_body(req: &mut ServiceRequest, limit: usize) -> (Bytes, bool) {
    let mut payload = req.take_payload();
    let mut head = BytesMut::new();
    let mut chunks: Vec<Result<Bytes, actix_web::error::PayloadError>> = Vec::new();
    let mut more = true;
    while head.len() <= limit {
        match payload.next().await {
            Some(Ok(chunk)) => {
                let take = chunk.len().min(limit + 1 - head.len());
                head.extend_from_slice(&chunk[..take]);
                chunks.push(Ok(chunk));
            }
            Some(Err(e)) => {
                chunks.push(Err(e));
                more = false;
                break;
            }
            None => {
                more = false;
                break;
            }
        }
    }
    let truncated = head.len() > limit;
    let rest = if more { Some(payload) } else { None };
    let stream =
        futures_util::stream::iter(chunks).chain(futures_util::stream::iter(rest).flatten());
    let boxed: actix_web::dev::Payload =
        Payload::from(Box::pin(stream) as std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>>);
    req.set_payload(boxed);
    (head.freeze(), truncated)
}

/// Whether a request announces a body (`Content-Length` other than 0, or chunked): a GET
/// without one skips the payload swap of [`peek_body`].
fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// The middleware of every request: metrics for all, the journal for requests of a surface.
pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let Some(emulator) = req
        .app_data::<web::Data<Emulator>>()
        .map(|e| e.get_ref().clone())
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let surface = surfaces::surface_of(req.path());
    let preview = req
        .headers()
        .get(PREVIEW_HEADER)
        .is_some_and(|v| v.as_bytes() == emulator.preview.secret.as_bytes());
    let journaled = surface.is_some() && emulator.journal.enabled() && !preview;
    let captured_request = if journaled {
        let body = if has_body(req.headers()) {
            let read_limit = emulator.journal.read_limit();
            let (head, truncated) = peek_body(&mut req, read_limit).await;
            let total = req
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .unwrap_or(head.len());
            let content_type = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            CapturedBody::capture(
                &head[..head.len().min(read_limit)],
                total,
                !truncated,
                emulator.journal.body_limit(),
                content_type,
            )
        } else {
            CapturedBody::default()
        };
        Some(CapturedRequest::capture(
            req.method(),
            req.uri(),
            req.headers(),
            body,
        ))
    } else {
        None
    };
    let method = req.method().clone();
    let surface_label = surface.map_or(NO_SURFACE, |s| s.as_str());

    let result = next.call(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let res = match result {
        Ok(res) => res,
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16().to_string();
            emulator.metrics.observe(Observation {
                surface: surface_label,
                route: UNMATCHED_ROUTE,
                method: method.as_str(),
                status: &status,
                seconds,
            });
            return Err(e);
        }
    };
    let route = res.request().match_pattern();
    let fired = res.request().extensions().get::<FaultFired>().cloned();
    let dropped = res
        .response()
        .extensions()
        .get::<ConnectionDropped>()
        .is_some();
    let status = res.status().as_u16();
    let status_label = if dropped {
        DROPPED_STATUS.to_owned()
    } else {
        status.to_string()
    };
    emulator.metrics.observe(Observation {
        surface: surface_label,
        route: route.as_deref().unwrap_or(UNMATCHED_ROUTE),
        method: method.as_str(),
        status: &status_label,
        seconds,
    });
    if let Some(f) = &fired {
        emulator.metrics.fault_fired(f.surface, f.effect, f.status);
    }
    let (Some(request), Some(surface)) = (captured_request, surface) else {
        return Ok(res.map_into_boxed_body());
    };
    let request_id = res.request().extensions().get::<RequestId>().copied();
    let entry = Captured {
        id: 0,
        surface: surface.as_str(),
        route,
        request_id,
        started_at,
        duration_ms: seconds * 1000.0,
        total_ms: 0.0,
        request,
        response: if dropped {
            CapturedResponse::capture(None, &HeaderMap::new(), true)
        } else {
            CapturedResponse::capture(Some(status), res.headers(), false)
        },
        fault: fired,
    };
    let pending = Pending { entry, started };
    let journal = emulator.journal.clone();
    Ok(res.map_body(move |_, body| BoxBody::new(Recorder::new(body.boxed(), pending, journal))))
}
