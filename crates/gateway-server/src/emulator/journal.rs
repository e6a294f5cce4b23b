//! The request journal: the last N requests of each surface with their responses (method, path,
//! query, headers, bodies up to a size limit, status, timing, the fault rule that fired), kept
//! in memory so a test can check what its client sent. Secrets never leave it: credential
//! headers, cookies, secret-looking query parameters and password-like body fields are replaced
//! by `[redacted]` in every entry it hands out.
//!
//! The request path only captures (header maps and body bytes are reference-counted, so a capture
//! is a few pointer copies); parsing, redacting and formatting happen when `/admin/journal` is
//! read, for the entries read. Doing that work on every request cost about 14% of a GET
//! (docs/benchmarks.md).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Instant,
};

use actix_web::{
    body::{BodySize, BoxBody, MessageBody},
    http::{
        Method, Uri,
        header::{CONTENT_TYPE, HeaderMap},
    },
    web::{Bytes, BytesMut},
};
use chrono::{DateTime, Utc};
use gateway_http::faults::FaultFired;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;
use tracing_actix_web::RequestId;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether a header carries a credential or a session: `Authorization`, `Proxy-Authorization`,
/// cookies, `X-API-Key` and any `x-*-key`, `x-*-token` or `*secret*` header.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-api-key"
    ) || (name.starts_with("x-") && (name.ends_with("-key") || name.ends_with("-token")))
        || name.contains("secret")
        || name.contains("password")
}

/// Whether a query parameter or body field holds a secret: its name (case and `_`/`-` ignored)
/// contains `password`, `passwd`, `secret`, `token`, `apikey`, `accesskey`, `credential` or
/// `authorization`, or ends in `key`.
pub fn is_secret_field(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "accesskey",
        "credential",
        "authorization",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n.ends_with("key")
        || n == "pwd"
}

/// Redacts the values of secret parameters in a query string or form body, keeping the rest as
/// sent.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = url_decode(name);
            if is_secret_field(&decoded) && !value.is_empty() {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn url_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let decoded = match (
            b,
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                i += 2;
                hi * 16 + lo
            }
            (b'+', _, _) => b' ',
            (b, _, _) => b,
        };
        out.push(decoded);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces, at any depth, the value of every secret field of a JSON document.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_field(k) && !v.is_null() {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

static JSON_PAIR: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "a constant pattern covered by the unit tests"
    )]
    Regex::new(r#""((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)("|$)"#).expect("valid pattern")
});

/// Redacts `"secret_field": "value"` pairs in JSON text that does not parse (cut at the size
/// limit): every string value after a secret-looking name, even an unterminated one.
pub fn redact_json_text(text: &str) -> String {
    JSON_PAIR
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = c.get(1).map_or("", |m| m.as_str());
            let whole = c.get(0).map_or("", |m| m.as_str());
            if is_secret_field(name) {
                let sep = c.get(2).map_or("", |m| m.as_str());
                let close = c.get(4).map_or("", |m| m.as_str());
                format!("\"{name}\"{sep}\"{REDACTED}{close}")
            } else {
                whole.to_owned()
            }
        })
        .into_owned()
}

/// A body as the journal keeps it: at most `limit` bytes, redacted by content type.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecordedBody {
    /// The (redacted) text; `None` when empty or not text.
    pub text: Option<String>,
    /// Bytes seen (at least; a request body is read only up to the limit).
    pub bytes: usize,
    /// Whether the text was cut at the limit.
    pub truncated: bool,
}

/// Keeps the first `limit` bytes of `raw` (at a character boundary) and redacts them according
/// to `content_type`: JSON fields, form fields, or kept as is for other text.
pub fn record_body(raw: &[u8], total: usize, limit: usize, content_type: &str) -> RecordedBody {
    if raw.is_empty() {
        return RecordedBody {
            text: None,
            bytes: total,
            truncated: false,
        };
    }
    let truncated = total > limit || raw.len() > limit;
    let kept = &raw[..raw.len().min(limit)];
    let text = match std::str::from_utf8(kept) {
        Ok(t) => t.to_owned(),
        Err(e) if truncated && e.error_len().is_none() => {
            String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned()
        }
        Err(_) => {
            return RecordedBody {
                text: Some(format!("<{total} bytes of binary data>")),
                bytes: total,
                truncated,
            };
        }
    };
    let ct = content_type.to_ascii_lowercase();
    let text =
        if ct.contains("json") || (ct.is_empty() && text.trim_start().starts_with(['{', '['])) {
            match serde_json::from_str::<Value>(&text) {
                Ok(mut v) => {
                    redact_json(&mut v);
                    v.to_string()
                }
                Err(_) => redact_json_text(&text),
            }
        } else if ct.starts_with("application/x-www-form-urlencoded") {
            redact_query(&text)
        } else {
            text
        };
    RecordedBody {
        text: Some(text),
        bytes: total,
        truncated,
    }
}

/// Headers with secrets redacted, by lower-case name (repeated headers joined with `, `).
pub fn record_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str().to_ascii_lowercase();
        let value = if is_secret_header(&name) {
            REDACTED.to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.entry(name)
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// The request side of an entry.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string, secrets redacted; `None` when there is none.
    pub query: Option<String>,
    /// Headers, secrets redacted.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: RecordedBody,
}

/// The response side of an entry.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedResponse {
    /// Status; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Headers, secrets redacted.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: RecordedBody,
    /// The connection was closed without an answer (injected fault) or the body failed.
    pub dropped: bool,
}

/// One journal entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Sequence number, increasing over the instance's life (never reused).
    pub id: u64,
    /// Surface name.
    pub surface: &'static str,
    /// Route pattern that matched (`/api/v1/users/{user_id}`), if any.
    pub route: Option<String>,
    /// The request id (`x-request-id`).
    pub request_id: Option<String>,
    /// When the request arrived (RFC 3339, milliseconds).
    pub started_at: String,
    /// Time until the response head, in milliseconds.
    pub duration_ms: f64,
    /// Time until the response body was sent, in milliseconds.
    pub total_ms: f64,
    /// The request.
    pub request: RecordedRequest,
    /// The response.
    pub response: RecordedResponse,
    /// The fault rule that fired, if any.
    pub fault: Option<FaultFired>,
}

/// A body as captured on the request path: its first bytes (up to the journal's body limit),
/// unprocessed.
#[derive(Debug, Clone, Default)]
pub struct CapturedBody {
    /// The first bytes.
    pub head: Bytes,
    /// Bytes seen.
    pub total: usize,
    /// More bytes were seen than kept.
    pub truncated: bool,
}

/// The request side of a capture.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path and query.
    pub uri: Uri,
    /// Headers as received.
    pub headers: HeaderMap,
    /// Body.
    pub body: CapturedBody,
}

/// The response side of a capture.
#[derive(Debug, Clone)]
pub struct CapturedResponse {
    /// Status; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Headers as sent.
    pub headers: HeaderMap,
    /// Body.
    pub body: CapturedBody,
    /// The connection was closed without an answer (injected fault) or the body failed.
    pub dropped: bool,
}

/// What the journal stores of one exchange; rendered (and redacted) into an [`Entry`] when read.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Sequence number, assigned by [`Journal::record`].
    pub id: u64,
    /// Surface name.
    pub surface: &'static str,
    /// Route pattern that matched, if any.
    pub route: Option<String>,
    /// The request id.
    pub request_id: Option<RequestId>,
    /// When the request arrived.
    pub started_at: DateTime<Utc>,
    /// Time until the response head, in milliseconds.
    pub duration_ms: f64,
    /// Time until the response body was sent, in milliseconds.
    pub total_ms: f64,
    /// The request.
    pub request: CapturedRequest,
    /// The response.
    pub response: CapturedResponse,
    /// The fault rule that fired, if any.
    pub fault: Option<FaultFired>,
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn render_body(body: &CapturedBody, limit: usize, headers: &HeaderMap) -> RecordedBody {
    let mut out = record_body(&body.head, body.total, limit, content_type(headers));
    out.truncated |= body.truncated;
    out
}

impl Captured {
    /// The entry as `/admin/journal` shows it: secrets redacted, bodies cut at `body_limit`.
    pub fn render(&self, body_limit: usize) -> Entry {
        let Self {
            id,
            surface,
            route,
            request_id,
            started_at,
            duration_ms,
            total_ms,
            request,
            response,
            fault,
        } = self;
        let query = request.uri.query().filter(|q| !q.is_empty());
        Entry {
            id: *id,
            surface,
            route: route.clone(),
            request_id: request_id.map(|r| r.to_string()),
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: *duration_ms,
            total_ms: *total_ms,
            request: RecordedRequest {
                method: request.method.to_string(),
                path: request.uri.path().to_owned(),
                query: query.map(redact_query),
                headers: record_headers(&request.headers),
                body: render_body(&request.body, body_limit, &request.headers),
            },
            response: RecordedResponse {
                status: response.status,
                headers: record_headers(&response.headers),
                body: render_body(&response.body, body_limit, &response.headers),
                dropped: response.dropped,
            },
            fault: fault.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_surface: HashMap<&'static str, VecDeque<Captured>>,
}

/// The journal, shared by every worker.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
    body_limit: usize,
}

impl Journal {
    /// A journal keeping `capacity` entries per surface (0 = off) and `body_limit` bytes of
    /// each body.
    pub fn new(capacity: usize, body_limit: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity,
            body_limit,
        }
    }

    /// Whether requests are recorded at all.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Bytes kept of each body.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Entries kept per surface.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a capture (its id is assigned here), dropping the oldest of its surface past the
    /// capacity.
    pub fn record(&self, mut entry: Captured) {
        if !self.enabled() {
            return;
        }
        let mut inner = self.lock();
        inner.next_id += 1;
        entry.id = inner.next_id;
        let queue = inner.by_surface.entry(entry.surface).or_default();
        queue.push_back(entry);
        while queue.len() > self.capacity {
            queue.pop_front();
        }
    }

    /// The newest entries first: of one surface or all, only those after `since` (an entry id),
    /// at most `limit`.
    pub fn query(&self, surface: Option<&str>, since: Option<u64>, limit: usize) -> Vec<Entry> {
        let mut selected: Vec<Captured> = {
            let inner = self.lock();
            inner
                .by_surface
                .iter()
                .filter(|(s, _)| surface.is_none_or(|want| want == **s))
                .flat_map(|(_, q)| q.iter())
                .filter(|e| since.is_none_or(|id| e.id > id))
                .cloned()
                .collect()
        };
        selected.sort_by_key(|e| std::cmp::Reverse(e.id));
        selected.truncate(limit);
        selected.iter().map(|c| c.render(self.body_limit)).collect()
    }

    /// Removes the entries of one surface, or all.
    pub fn clear(&self, surface: Option<&str>) {
        let mut inner = self.lock();
        match surface {
            Some(s) => {
                inner.by_surface.remove(s);
            }
            None => inner.by_surface.clear(),
        }
    }

    /// Entries currently kept.
    pub fn len(&self) -> usize {
        self.lock().by_surface.values().map(VecDeque::len).sum()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A capture waiting for its response body.
pub struct Pending {
    /// The capture, without the response body and total time.
    pub entry: Captured,
    /// When the request arrived.
    pub started: Instant,
}

/// A response body that keeps a copy of its first bytes and records the entry when it ends, fails
/// or is dropped (a client that goes away still leaves an entry).
pub struct Recorder {
    inner: BoxBody,
    captured: BytesMut,
    total: usize,
    failed: bool,
    pending: Option<Pending>,
    journal: Journal,
}

impl Recorder {
    /// Wraps `inner`; `pending` is recorded in `journal` at the end.
    pub fn new(inner: BoxBody, pending: Pending, journal: Journal) -> Self {
        Self {
            inner,
            captured: BytesMut::new(),
            total: 0,
            failed: false,
            pending: Some(pending),
            journal,
        }
    }

    fn finish(&mut self) {
        let Some(Pending { mut entry, started }) = self.pending.take() else {
            return;
        };
        entry.total_ms = started.elapsed().as_secs_f64() * 1000.0;
        let head = std::mem::take(&mut self.captured).freeze();
        entry.response.body = CapturedBody {
            truncated: self.total > head.len(),
            head,
            total: self.total,
        };
        if self.failed {
            entry.response.dropped = true;
        }
        self.journal.record(entry);
    }
}

impl MessageBody for Recorder {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let limit = this.journal.body_limit();
                if this.captured.len() < limit {
                    let take = chunk.len().min(limit - this.captured.len());
                    this.captured.extend_from_slice(&chunk[..take]);
                }
                this.total += chunk.len();
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.failed = true;
                this.finish();
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    #[test]
    fn credential_headers_are_redacted() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "set-cookie",
            "X-API-Key",
            "x-stack-access-token",
            "x-stack-secret-server-key",
            "x-hexclave-refresh-token",
            "x-client-secret",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "content-type",
            "user-agent",
            "x-request-id",
            "x-stack-project-id",
            "accept",
        ] {
            assert!(!is_secret_header(name), "{name}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Bearer abc"),
        );
        headers.append(
            HeaderName::from_static("accept"),
            HeaderValue::from_static("a/b"),
        );
        headers.append(
            HeaderName::from_static("accept"),
            HeaderValue::from_static("c/d"),
        );
        let out = record_headers(&headers);
        assert_eq!(out["authorization"], REDACTED);
        assert_eq!(out["accept"], "a/b, c/d");
    }

    #[test]
    fn secret_query_parameters_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_query("access_token=abc&page=2&api%5Fkey=k&flag&refresh_token="),
            "access_token=[redacted]&page=2&api%5Fkey=[redacted]&flag&refresh_token="
        );
        assert_eq!(
            redact_query("username=ada&password=hunter2"),
            "username=ada&password=[redacted]"
        );
    }

    #[test]
    fn password_like_json_fields_are_redacted_at_any_depth() {
        let mut v = serde_json::json!({
            "username": "ada",
            "password": "hunter2",
            "nested": {"currentPassword": "x", "NewPassword": "y", "list": [{"client_secret": "s"}]},
            "access_token": "t",
            "publishable_client_key": "pck",
            "keyboard": "qwerty",
            "password_hash": null
        });
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "username": "ada",
                "password": REDACTED,
                "nested": {"currentPassword": REDACTED, "NewPassword": REDACTED, "list": [{"client_secret": REDACTED}]},
                "access_token": REDACTED,
                "publishable_client_key": REDACTED,
                "keyboard": "qwerty",
                "password_hash": null
            })
        );
    }

    #[test]
    fn cut_json_is_redacted_as_text() {
        let text = r#"{"username":"ada","password":"hunter2","token":"abc"#;
        assert_eq!(
            redact_json_text(text),
            r#"{"username":"ada","password":"[redacted]","token":"[redacted]"#
        );
        let text = r#"{"a": "x\"y", "Secret" : "s\"t", "b": 1}"#;
        assert_eq!(
            redact_json_text(text),
            r#"{"a": "x\"y", "Secret" : "[redacted]", "b": 1}"#
        );
    }

    #[test]
    fn bodies_are_cut_at_the_limit_and_redacted_by_type() {
        let body = br#"{"username":"ada","password":"hunter2"}"#;
        let rec = record_body(body, body.len(), 1024, "application/json");
        assert_eq!(
            rec.text.as_deref(),
            Some(r#"{"password":"[redacted]","username":"ada"}"#)
        );
        assert!(!rec.truncated);

        let rec = record_body(body, body.len(), 32, "application/json");
        assert!(rec.truncated);
        assert_eq!(
            rec.text.as_deref(),
            Some(r#"{"username":"ada","password":"[redacted]"#)
        );

        let form = b"grant_type=password&username=ada&password=hunter2";
        let rec = record_body(form, form.len(), 1024, "application/x-www-form-urlencoded");
        assert_eq!(
            rec.text.as_deref(),
            Some("grant_type=password&username=ada&password=[redacted]")
        );

        let rec = record_body("héllo".as_bytes(), 6, 2, "text/plain");
        assert_eq!(
            rec.text.as_deref(),
            Some("h"),
            "cut at a character boundary"
        );
        let rec = record_body(&[0xff, 0x00, 0xfe], 3, 1024, "application/octet-stream");
        assert_eq!(rec.text.as_deref(), Some("<3 bytes of binary data>"));
        assert_eq!(record_body(b"", 0, 10, "").text, None);
    }

    fn entry(surface: &'static str) -> Captured {
        Captured {
            id: 0,
            surface,
            route: None,
            request_id: None,
            started_at: Utc::now(),
            duration_ms: 0.0,
            total_ms: 0.0,
            request: CapturedRequest {
                method: Method::GET,
                uri: Uri::from_static("/me"),
                headers: HeaderMap::new(),
                body: CapturedBody::default(),
            },
            response: CapturedResponse {
                status: Some(200),
                headers: HeaderMap::new(),
                body: CapturedBody::default(),
                dropped: false,
            },
            fault: None,
        }
    }

    #[test]
    fn captures_are_redacted_when_read() {
        let journal = Journal::new(5, 16);
        let mut captured = entry("me");
        captured.request.method = Method::POST;
        captured.request.uri = Uri::from_static("/me?access_token=abc&page=2");
        captured.request.headers.insert(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Bearer abc"),
        );
        captured
            .request
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"password":"hunter2"}"#;
        captured.request.body = CapturedBody {
            head: Bytes::from_static(&body[..16]),
            total: body.len(),
            truncated: true,
        };
        captured.response.headers.insert(
            HeaderName::from_static("set-cookie"),
            HeaderValue::from_static("s=1"),
        );
        journal.record(captured);
        let [entry] = journal.query(None, None, 10).try_into().unwrap();
        assert_eq!(entry.request.method, "POST");
        assert_eq!(entry.request.path, "/me");
        assert_eq!(
            entry.request.query.as_deref(),
            Some("access_token=[redacted]&page=2")
        );
        assert_eq!(entry.request.headers["authorization"], REDACTED);
        assert_eq!(
            entry.request.body.text.as_deref(),
            Some(r#"{"password":"[redacted]"#)
        );
        assert!(entry.request.body.truncated);
        assert_eq!(entry.request.body.bytes, body.len());
        assert_eq!(entry.response.headers["set-cookie"], REDACTED);
        assert_eq!(entry.response.body.text, None);
        let text = serde_json::to_string(&entry).unwrap();
        assert!(!text.contains("abc") && !text.contains("hunter2"), "{text}");
    }

    #[test]
    fn the_journal_keeps_the_last_n_per_surface_newest_first() {
        let journal = Journal::new(2, 100);
        for s in ["me", "me", "me", "platform"] {
            journal.record(entry(s));
        }
        let ids: Vec<_> = journal.query(None, None, 10).iter().map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        let ids: Vec<_> = journal
            .query(Some("me"), None, 1)
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [3]);
        let ids: Vec<_> = journal
            .query(None, Some(3), 10)
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [4]);
        journal.clear(Some("me"));
        assert_eq!(journal.len(), 1);
        journal.clear(None);
        assert!(journal.is_empty());
        let off = Journal::new(0, 100);
        off.record(entry("me"));
        assert!(off.is_empty());
    }
}
