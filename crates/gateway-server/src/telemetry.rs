//! Logging: tracing subscriber (pretty or JSON) and the root span of every request. The span
//! records the path without its query string, so tokens passed as `?access_token=` never reach
//! the logs.

use std::{io::IsTerminal as _, time::Instant};

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls are no-ops (tests build many apps).
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match log.format {
        // The current span (method, path, request id, status) is in every line; the list of
        // enclosing spans would repeat it and costs a second parse of its fields per line.
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_span_list(false),
            )
            .try_init(),
        // Colours only on a terminal: escape codes in a log file are noise (and cost a few
        // percent of a request's CPU time under load, docs/benchmarks.md).
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
    };
    // Already installed: keep the first one.
    drop(result);
}

struct Started(Instant);

/// The request root span: method, path (no query), request id; status and latency at the end.
pub struct GatewayRootSpan;

impl RootSpanBuilder for GatewayRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        request.extensions_mut().insert(Started(Instant::now()));
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                span.record("status", status);
                let elapsed_ms = response
                    .request()
                    .extensions()
                    .get::<Started>()
                    .map(|s| s.0.elapsed().as_secs_f64() * 1000.0)
                    .unwrap_or_default();
                if status >= 500 {
                    let error = response
                        .response()
                        .error()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    tracing::error!(status, elapsed_ms, %error, "request failed");
                } else {
                    tracing::info!(status, elapsed_ms, "request finished");
                }
            }
            Err(error) => tracing::error!(%error, "request failed"),
        }
    }
}
