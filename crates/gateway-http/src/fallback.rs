//! Requests no route matched: every dialect claims its path prefixes and renders the 404 in its
//! own envelope; the server's default service asks each dialect in turn.

use actix_web::{HttpRequest, HttpResponse};

/// Renders a dialect's answer for a request no route matched.
pub type FallbackRender = fn(&HttpRequest) -> HttpResponse;

/// One dialect's claim on unmatched paths.
#[derive(Debug, Clone, Copy)]
pub struct Fallback {
    /// Whether this dialect owns `path`.
    pub claims: fn(&str) -> bool,
    /// The 404 in the dialect's envelope.
    pub render: FallbackRender,
}
