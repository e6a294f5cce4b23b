//! Request body extractors. They read the body limit from the gateway's `HttpLimits` at request
//! time (so the configured `server.body_limit_bytes` holds), and turn every framework rejection
//! (wrong content type, oversized or malformed body) into a [`BodyRejection`] that each surface's
//! error type renders in its own envelope: no plain-text actix error reaches a client.

use std::{convert::Infallible, future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest,
    dev::{Payload, UrlEncoded},
    error::{JsonPayloadError, UrlencodedError},
};
use gateway_http::HttpLimits;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a request body was refused before the handler ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRejection {
    /// The content type is not the one the endpoint reads.
    UnsupportedMediaType {
        /// The content type the endpoint reads.
        expected: &'static str,
    },
    /// The body is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON / form data. The text names the position, never the input.
    Malformed(String),
    /// The body is JSON, but not a JSON object (of the expected shape).
    NotAnObject,
    /// The body could not be read (length header unusable, stream error).
    Unreadable,
}

fn body_limit(req: &HttpRequest) -> usize {
    HttpLimits::body_limit_of(req)
}

impl From<JsonPayloadError> for BodyRejection {
    fn from(e: JsonPayloadError) -> Self {
        match e {
            JsonPayloadError::ContentType => Self::UnsupportedMediaType {
                expected: "application/json",
            },
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => Self::TooLarge { limit },
            JsonPayloadError::Deserialize(e) if e.is_data() => Self::NotAnObject,
            // serde_json's syntax errors name what was expected and where (`EOF while parsing an
            // object at line 1 column 13`), never the input, so they are safe to show.
            JsonPayloadError::Deserialize(e) => Self::Malformed(e.to_string()),
            // `Serialize` and `Payload`, and any variant a later actix adds (non-exhaustive).
            _ => Self::Unreadable,
        }
    }
}

/// A JSON object body read as `T`, or why it was refused. Extraction itself never fails: the handler
/// asks for the body with [`JsonBody::into_inner`] after the caller is authenticated, so a bad
/// credential is always reported before a bad body, whatever finishes first.
pub struct JsonBody<T>(Result<T, BodyRejection>);

impl<T> JsonBody<T> {
    /// The body, or the rejection (converted by `?` into the surface's error).
    pub fn into_inner(self) -> Result<T, BodyRejection> {
        self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for JsonBody<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("JsonBody").field(&self.0).finish()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Infallible>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body =
            actix_web::dev::JsonBody::<Value>::new(req, payload, None, true).limit(body_limit(req));
        Box::pin(async move {
            // serde lets a JSON array fill a struct field by field; only an object is a body.
            let parsed = match body.await.map_err(BodyRejection::from) {
                Ok(value @ Value::Object(_)) => {
                    serde_json::from_value(value).map_err(|_| BodyRejection::NotAnObject)
                }
                Ok(_) => Err(BodyRejection::NotAnObject),
                Err(rejection) => Err(rejection),
            };
            Ok(JsonBody(parsed))
        })
    }
}

/// An optional `application/x-www-form-urlencoded` body of type `T`: `None` when the request
/// carries another content type (or none). Like [`JsonBody`], extraction never fails; the
/// handler asks for the result with [`FormBody::into_inner`].
pub struct FormBody<T>(Result<Option<T>, BodyRejection>);

impl<T> FormBody<T> {
    /// The form (if any), or the rejection of a form body.
    pub fn into_inner(self) -> Result<Option<T>, BodyRejection> {
        self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for FormBody<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FormBody").field(&self.0).finish()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for FormBody<T> {
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Infallible>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = UrlEncoded::<T>::new(req, payload).limit(body_limit(req));
        Box::pin(async move {
            Ok(FormBody(match body.await {
                Ok(value) => Ok(Some(value)),
                Err(UrlencodedError::ContentType) => Ok(None),
                Err(UrlencodedError::Overflow { limit, .. }) => {
                    Err(BodyRejection::TooLarge { limit })
                }
                // serde_urlencoded's messages may quote the input (an API key): say less.
                Err(UrlencodedError::Parse(_)) => Err(BodyRejection::Malformed(
                    "the form body cannot be parsed".into(),
                )),
                Err(_) => Err(BodyRejection::Unreadable),
            }))
        })
    }
}
