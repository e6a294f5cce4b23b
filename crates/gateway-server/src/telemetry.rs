//! Logging: tracing subscriber (pretty or JSON) and the access line of every request. The line
//! records the path without its query string (and with secret segments redacted), so tokens
//! passed as `?access_token=` never reach the logs. Levels follow who has to act: a client error (4xx, e.g. a missing token) is the
//! client's problem and logs at INFO (its detail at DEBUG); only a server error (5xx) logs at
//! ERROR. tracing-actix-web's own error event (WARN for every 4xx) is off: its
//! `emit_event_on_error` feature is not enabled in the workspace manifest.
//!
//! Lines are formatted on the thread that logs them and written by one thread of their own
//! (`tracing-appender`'s non-blocking writer): a request never waits for the terminal or the log
//! file, and the writer thread writes what queued up while it wrote in one system call. The queue
//! holds at most [`QUEUED_LINES`]; past it lines are dropped and counted
//! ([`dropped_lines`], `gateway_log_lines_dropped` in `/metrics`), never waited for.
//!
//! The access line is one event that carries the request's method, path, request id, status and
//! latency (`elapsed_us`). The request's root span is a DEBUG span: at the default INFO level it is
//! disabled and costs next to nothing (a span costs its allocation, the formatting of its fields,
//! and an enter and exit on every thread that runs part of the request); with `debug` logging every
//! line of a request carries the span's method, path and request id. A plain level as
//! `log.filter` (`info`, `warn`, ...) is checked as a level, without `EnvFilter`'s per-span work.

use std::{
    io::IsTerminal as _,
    sync::{Mutex, OnceLock},
    time::Instant,
};

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, filter::LevelFilter, fmt, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Log lines waiting for the writer thread, at most (about 300 bytes each).
pub const QUEUED_LINES: usize = 16_384;
/// The writer thread's buffer: what queued up while it wrote goes out in one `write`.
const WRITE_BUFFER: usize = 64 * 1024;

/// The writer thread's guard (dropping it writes what is queued and stops the thread) and the
/// count of lines dropped because the queue was full.
static WRITER: OnceLock<(Mutex<Option<WorkerGuard>>, ErrorCounter)> = OnceLock::new();

/// Installs the global subscriber once; later calls are no-ops (tests build many apps).
pub fn init(log: &LogSettings) {
    if WRITER.get().is_some() {
        return;
    }
    let stdout = std::io::stdout();
    let ansi = stdout.is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(WRITE_BUFFER, stdout));
    let dropped = writer.error_counter();
    // A plain level is a level filter; anything else (or RUST_LOG) an EnvFilter.
    let from_env = EnvFilter::try_from_default_env().ok();
    let level = match &from_env {
        None => log.filter.trim().parse::<LevelFilter>().ok(),
        Some(_) => None,
    };
    let directives = match (from_env, level) {
        (Some(env), _) => Some(env),
        (None, Some(_)) => None,
        (None, None) => Some(EnvFilter::new(&log.filter)),
    };
    let registry = tracing_subscriber::registry().with(level).with(directives);
    let result = match log.format {
        // The current span (method, path, request id, status) is in every line; the list of
        // enclosing spans would repeat it and costs a second parse of its fields per line.
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        // Colours only on a terminal: escape codes in a log file are noise (and cost a few
        // percent of a request's CPU time under load, docs/benchmarks.md).
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(ansi)
                    .with_writer(writer),
            )
            .try_init(),
    };
    // Installed by someone else first (a test's subscriber): keep it, and drop this writer.
    if result.is_ok() {
        let _ = WRITER.set((Mutex::new(Some(guard)), dropped));
    }
}

/// Writes the lines still queued and stops the writer thread (at the end of `main`; later lines
/// are dropped).
pub fn flush() {
    if let Some((guard, _)) = WRITER.get() {
        drop(
            guard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
    }
}

/// Log lines dropped because the writer thread's queue was full.
pub fn dropped_lines() -> u64 {
    WRITER
        .get()
        .map_or(0, |(_, dropped)| dropped.dropped_lines() as u64)
}

struct Started(Instant);

/// The request id of `request` (nil when there is none).
fn request_id(extensions: &actix_web::dev::Extensions) -> uuid::Uuid {
    extensions
        .get::<RequestId>()
        .map(|id| **id)
        .unwrap_or_default()
}

/// The request root span (DEBUG: method, path without query, secret segments redacted, request
/// id) and the access line at its end (see the module).
pub struct GatewayRootSpan;

impl RootSpanBuilder for GatewayRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let mut extensions = request.extensions_mut();
        extensions.insert(Started(Instant::now()));
        let id = request_id(&extensions);
        drop(extensions);
        // The fields are evaluated only when DEBUG is enabled.
        tracing::debug_span!(
            "request",
            method = %request.method(),
            path = %crate::emulator::journal::redact_path(request.path()),
            request_id = %id,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let request = response.request();
                let status = response.status().as_u16();
                let extensions = request.extensions();
                let elapsed_us = extensions
                    .get::<Started>()
                    .map(|s| u64::try_from(s.0.elapsed().as_micros()).unwrap_or(u64::MAX))
                    .unwrap_or_default();
                let id = request_id(&extensions);
                drop(extensions);
                let method = request.method();
                let path = crate::emulator::journal::redact_path(request.path());
                let error = response.response().error();
                if status >= 500 {
                    let error = error.map(|e| e.to_string()).unwrap_or_default();
                    tracing::error!(
                        %method, %path, request_id = %id, status, elapsed_us, %error,
                        "request failed"
                    );
                } else {
                    if let Some(error) = error {
                        tracing::debug!(status, error = %error, "client error");
                    }
                    tracing::info!(
                        %method, %path, request_id = %id, status, elapsed_us,
                        "request finished"
                    );
                }
            }
            // An error that did not become a response in the service: the status its response
            // will have decides the level.
            Err(error) => {
                let status = error.error_response().status().as_u16();
                if status >= 500 {
                    tracing::error!(status, %error, "request failed");
                } else {
                    tracing::debug!(status, %error, "client error");
                    tracing::info!(status, "request finished");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::{App, HttpResponse, error, test, web};
    use tracing::Level;
    use tracing_actix_web::TracingLogger;
    use tracing_subscriber::layer::Context;

    use super::*;

    /// Collects the level and message of every event, and its other fields as `name=value `.
    #[derive(Clone, Default)]
    struct Events(Arc<Mutex<Vec<(Level, String)>>>, Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
        fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
            #[derive(Default)]
            struct Message(String, String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    if f.name() == "message" {
                        self.0 = format!("{v:?}");
                    } else {
                        self.1.push_str(&format!("{}={v:?} ", f.name()));
                    }
                }
            }
            let mut message = Message::default();
            event.record(&mut message);
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((*event.metadata().level(), message.0));
            self.1
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(message.1);
        }
    }

    async fn status_of(path: &str, events: &Events) -> u16 {
        let subscriber = tracing_subscriber::registry().with(events.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(TracingLogger::<GatewayRootSpan>::new())
                .route(
                    "/401",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(error::ErrorUnauthorized("token required"))
                    }),
                )
                .route(
                    "/404",
                    web::get().to(|| async { HttpResponse::NotFound().finish() }),
                )
                .route(
                    "/500",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(error::ErrorInternalServerError("database gone"))
                    }),
                ),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        res.status().as_u16()
    }

    fn levels(events: &Events) -> Vec<(Level, String)> {
        events
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A client error (401, 404) logs nothing above INFO; a server error (500) logs at ERROR.
    #[actix_web::test]
    async fn client_errors_log_at_most_info_and_server_errors_at_error() {
        for path in ["/401", "/404"] {
            let events = Events::default();
            assert_eq!(status_of(path, &events).await.to_string(), &path[1..]);
            let events = levels(&events);
            assert!(
                events.iter().all(|(level, _)| *level >= Level::INFO),
                "{path}: {events:?}"
            );
            assert!(
                events
                    .iter()
                    .any(|(level, m)| *level == Level::INFO && m == "request finished"),
                "{path}: {events:?}"
            );
        }
        let events = Events::default();
        assert_eq!(status_of("/500", &events).await, 500);
        let events = levels(&events);
        assert_eq!(
            events
                .iter()
                .filter(|(level, _)| *level == Level::ERROR)
                .count(),
            1,
            "{events:?}"
        );
    }

    /// The access line carries the method, the path without its query and with secret segments
    /// redacted, the request id, the status and the latency.
    #[actix_web::test]
    async fn the_access_line_carries_the_request_and_no_secret() {
        let events = Events::default();
        let status = status_of(
            "/api/v1/auth/device/code/SECRETCODE?access_token=hunter2",
            &events,
        )
        .await;
        assert_eq!(status, 404);
        let messages = levels(&events);
        let fields = events
            .1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let line = messages
            .iter()
            .zip(&fields)
            .find(|((_, m), _)| m == "request finished")
            .map(|(_, f)| f.clone())
            .expect("an access line");
        for part in [
            "method=GET ",
            "path=/api/v1/auth/device/code/[redacted] ",
            "status=404 ",
            "elapsed_us=",
            "request_id=",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(
            !line.contains("SECRETCODE") && !line.contains("hunter2"),
            "{line}"
        );
    }
}
