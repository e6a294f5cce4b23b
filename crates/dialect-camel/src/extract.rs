//! Request extractors whose rejections answer in this dialect's envelope: the JSON body (read by
//! the shared body layer, `gateway_http::body`, with the gateway's configured limit and caps) and
//! the `Idempotency-Key` header.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use gateway_http::body::{self, BodyRejection};
use serde_json::Value;

use crate::error::CamelError;

/// A JSON request body, any JSON value (its shape is checked by the handler, so that a wrong
/// shape is a 422 with details rather than a 400). Content type must be JSON (415), the body at
/// most the configured limit (413) and well-formed (400).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonValue(pub Value);

async fn read_json(req: HttpRequest, payload: Payload) -> Result<Value, BodyRejection> {
    Ok(body::read_json(&req, payload).await?.into_value())
}

impl FromRequest for JsonValue {
    type Error = CamelError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, CamelError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_json(req.clone(), payload.take());
        Box::pin(async move {
            read.await
                .map(JsonValue)
                .map_err(|e| CamelError::from_body(&e))
        })
    }
}

/// Longest accepted `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// The `Idempotency-Key` header, if sent: 1 to 255 printable ASCII characters (the Bird SDK
/// sends a UUID), else 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKeyHeader(pub Option<String>);

impl IdempotencyKeyHeader {
    fn read(req: &HttpRequest) -> Result<Self, CamelError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(Self(None));
        };
        let text = value
            .to_str()
            .map_err(|_| CamelError::invalid_idempotency_key())?
            .trim();
        let printable = text.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if text.is_empty() || text.len() > IDEMPOTENCY_KEY_MAX || !printable {
            return Err(CamelError::invalid_idempotency_key());
        }
        Ok(Self(Some(text.to_owned())))
    }
}

impl FromRequest for IdempotencyKeyHeader {
    type Error = CamelError;
    type Future = std::future::Ready<Result<Self, CamelError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::read(req))
    }
}
