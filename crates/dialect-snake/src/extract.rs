//! Request body extractors over the shared body layer (`gateway_http::body`): the body limit is
//! the gateway's `HttpLimits` at request time, parsing is linear and capped, and every rejection
//! is a [`BodyRejection`] that each surface's error type renders in its own envelope: no
//! plain-text actix error reaches a client.

use std::{convert::Infallible, future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
pub use gateway_http::body::BodyRejection;
use gateway_http::body::{self, Syntax};
use serde::de::DeserializeOwned;
use serde_json::Value;

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
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let parsed = body::read_object(&req, payload).await.and_then(|members| {
                // Only an object is a body (serde would let an array fill a struct).
                serde_json::from_value(Value::Object(members.into_map()))
                    .map_err(|_| BodyRejection::NotAnObject)
            });
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

/// A form that does not bind to its type: say less than serde (its text may quote the input, an
/// API key).
fn unparsable_form() -> BodyRejection {
    BodyRejection::Malformed(Syntax {
        eof: false,
        line: 0,
        column: 0,
        message: "the form body cannot be parsed".into(),
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for FormBody<T> {
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Infallible>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if body::media_type(&req).as_deref() != Some("application/x-www-form-urlencoded") {
                return Ok(FormBody(Ok(None)));
            }
            let parsed = async {
                let bytes = body::read_limited(&req, payload).await?;
                let members =
                    body::parse_form(&bytes, body::caps_of(&req)).map_err(|e| match e {
                        BodyRejection::NotUtf8 => unparsable_form(),
                        other => other,
                    })?;
                serde_json::from_value(Value::Object(members.into_map()))
                    .map(Some)
                    .map_err(|_| unparsable_form())
            };
            Ok(FormBody(parsed.await))
        })
    }
}
