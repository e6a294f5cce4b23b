//! One HTTP exchange, read whole: the [`Answer`] every end-to-end test asserts on, and [`send`]
//! (errors returned) / [`fetch`] (errors panic) to get one.

use anyhow::Context as _;
use reqwest::{
    RequestBuilder, StatusCode,
    header::{AsHeaderName, HeaderMap},
};
use serde_json::Value;

/// A response, read whole: status, headers and the body as text (lossy UTF-8).
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text (lossy).
    pub text: String,
}

impl Answer {
    /// The status as a [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The body as JSON, `Null` when it is not JSON (or empty).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The body as JSON; panics (failing the test) when it is not JSON.
    pub fn expect_json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{} body is not JSON ({e}): {}", self.status, self.text))
    }

    /// The body as JSON, `Null` when it is empty, an error when it is not JSON.
    pub fn try_json(&self) -> anyhow::Result<Value> {
        if self.text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&self.text)
            .with_context(|| format!("{} body is not JSON: {}", self.status, self.text))
    }

    /// A header value, `""` when absent (or not visible ASCII).
    pub fn header(&self, name: impl AsHeaderName) -> String {
        self.header_opt(name).unwrap_or_default().to_owned()
    }

    /// A header value, `None` when absent (or not visible ASCII).
    pub fn header_opt(&self, name: impl AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `STATUS [content-type] body` for messages (body cut at 600 characters).
    pub fn describe(&self) -> String {
        let cut: String = self.text.chars().take(600).collect();
        format!("{} [{}] {cut}", self.status, self.header("content-type"))
    }
}

/// Sends a request and reads the whole answer.
pub async fn send(rb: RequestBuilder) -> anyhow::Result<Answer> {
    let res = rb.send().await?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await?;
    Ok(Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Sends a request and reads the whole answer; a transport error panics (fails the test).
pub async fn fetch(rb: RequestBuilder) -> Answer {
    match send(rb).await {
        Ok(a) => a,
        Err(e) => panic!("the request got no answer: {e:#}"),
    }
}

/// Sends a request and reads the whole answer; an error when the body is neither empty nor JSON.
pub async fn send_json(rb: RequestBuilder) -> anyhow::Result<Answer> {
    let a = send(rb).await?;
    a.try_json()?;
    Ok(a)
}
