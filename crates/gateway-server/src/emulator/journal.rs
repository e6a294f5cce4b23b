//! The request journal: the last N requests of each surface with their responses (method, path,
//! query, headers, bodies up to a size limit, status, timing, the fault rule that fired), kept
//! in memory so a test can check what its client sent. Secrets never leave it: credential
//! headers, cookies, secret-looking query parameters and password-like body fields (and one-time
//! codes: [`is_secret_code`]) are replaced by `[redacted]`, and a body that cannot be redacted (unknown or no content type, binary, JSON
//! that does not parse) keeps only its length and SHA-256.
//!
//! Bounded by bytes as well as by entries: a capture copies what it keeps into owned values, each
//! capped ([`MAX_HEADER_VALUE`], [`MAX_HEADERS`], [`MAX_HEADER_BYTES`], [`MAX_PATH`],
//! [`MAX_QUERY`], the body limit), so an entry never pins the request's read buffer; every entry's
//! size is accounted ([`Captured::bytes`]) and the oldest entries are dropped past the byte budget
//! (`emulator.journal_budget_bytes`).
//!
//! The request path copies, redacts headers and the query, and keeps a body of at most the limit
//! as received; parsing and redacting such a body and formatting the entry happen when
//! `/admin/journal` is read, for the entries read (doing that on every request cost about 14% of
//! a GET, docs/benchmarks.md). A body over the limit is redacted from the whole body when
//! captured, then cut, so no raw prefix of it is kept.

use std::{
    borrow::Cow,
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
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tracing_actix_web::RequestId;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";
/// Bytes kept of one header value; a longer value is cut and ends in `...[N bytes]`.
pub const MAX_HEADER_VALUE: usize = 2048;
/// Bytes kept of one header name.
pub const MAX_HEADER_NAME: usize = 128;
/// Headers kept of one request or response; the others are counted in `headers_omitted`.
pub const MAX_HEADERS: usize = 64;
/// Header bytes (names and values, as kept) of one request or response.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Bytes kept of the path.
pub const MAX_PATH: usize = 2048;
/// Bytes kept of the (redacted) query string.
pub const MAX_QUERY: usize = 2048;
/// Bytes kept of the method and of the content type.
const MAX_METHOD: usize = 32;
const MAX_CONTENT_TYPE: usize = 256;
/// Parts of a multipart body parsed; a body with more keeps only its length and hash.
const MAX_PARTS: usize = 64;
/// What an entry costs beyond its own size: its `Arc`, its queue slot, allocator headers.
const ENTRY_OVERHEAD: usize = 64;

/// Whether a header carries a credential or a session: `Authorization`, `Proxy-Authorization`,
/// cookies, `X-API-Key`, `Api-Key`, and any header whose name ends in `key` or contains `token`,
/// `secret`, `password`, `passwd`, `auth`, `cookie`, `session` or `credential` (`X-Stack-*` and
/// `X-Hexclave-*` keys and tokens, `X-Stack-Auth`), except `WWW-Authenticate` and CORS headers.
pub fn is_secret_header(name: &str) -> bool {
    let lower;
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    if name == "www-authenticate" || name.starts_with("access-control-") {
        return false;
    }
    name.ends_with("key") || name == super::PREVIEW_HEADER || contains_secret_word(name)
}

/// Whether `name` (lower case) contains one of the words [`is_secret_header`] looks for. One pass
/// over the name, trying only the words that start with the byte at hand: this runs for every
/// header of every journaled request and response, and `str::contains` with eight needles cost
/// about 11,000 instructions per request (callgrind, docs/benchmarks.md).
fn contains_secret_word(name: &str) -> bool {
    let bytes = name.as_bytes();
    (0..bytes.len()).any(|i| {
        let rest = bytes.get(i..).unwrap_or_default();
        match rest.first() {
            Some(b't') => rest.starts_with(b"token"),
            Some(b's') => rest.starts_with(b"secret") || rest.starts_with(b"session"),
            Some(b'p') => rest.starts_with(b"password") || rest.starts_with(b"passwd"),
            Some(b'a') => rest.starts_with(b"auth"),
            Some(b'c') => rest.starts_with(b"cookie") || rest.starts_with(b"credential"),
            _ => false,
        }
    })
}

/// Whether a query parameter or body field holds a secret: its name (case and `_`/`-` ignored)
/// contains `password`, `passwd`, `secret`, `token`, `apikey`, `accesskey`, `credential`,
/// `authorization`, `nonce`, `devicecode` or `ticket`, or ends in `key`.
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
        "nonce",
        "devicecode",
        "ticket",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n.ends_with("key")
        || n == "pwd"
}

/// Paths whose next segment is a secret (a device code in the platform's poll URL).
const SECRET_PATH_PREFIXES: [&str; 1] = ["/api/v1/auth/device/code/"];

/// `path` with the segment after a [`SECRET_PATH_PREFIXES`] entry replaced by `[redacted]`:
/// what the journal and the logs keep of a request's path.
pub fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_PATH_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}{REDACTED}{tail}").into();
        }
    }
    path.into()
}

/// Whether a field named `code` holds a secret: a one-time code or an OAuth authorization code
/// (any value with a lower-case letter or a digit), not an error code (`UPPER_SNAKE`) or a
/// number. `value` is the field's text as sent (a JSON string with its quotes, or a form value).
pub fn is_secret_code(name: &str, value: &str) -> bool {
    name == "code"
        && value
            .trim_matches('"')
            .bytes()
            .any(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !value
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
}

/// Redacts the values of secret parameters in a query string or form body (names are
/// percent-decoded before they are matched), keeping the rest as sent.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = url_decode(name);
            if (is_secret_field(&decoded) || is_secret_code(&decoded, &url_decode(value)))
                && !value.is_empty()
            {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-decodes a query-string name or value (`+` is a space; invalid UTF-8 is replaced).
pub fn url_decode(s: &str) -> String {
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
                let code = v.as_str().is_some_and(|s| is_secret_code(k, s));
                if (is_secret_field(k) || code) && !v.is_null() {
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

/// Most nested arrays and objects walked (`serde_json`'s own recursion limit); a deeper document
/// is not redacted (it keeps only its length and hash).
const MAX_JSON_DEPTH: usize = 128;

/// Walks a JSON text that `serde_json` accepted and notes the span of every secret field's value.
/// Field names are decoded (`"pass\u0077ord"` is `password`) before they are matched.
struct JsonSpans<'a> {
    text: &'a str,
    spans: Vec<(usize, usize)>,
}

impl JsonSpans<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.text.as_bytes().get(i).copied()
    }

    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }

    /// The end of the string that opens at `i`.
    fn string_end(&self, mut i: usize) -> usize {
        i += 1;
        while let Some(b) = self.at(i) {
            match b {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        i
    }

    /// The end of the value at `i`, without looking inside.
    fn value_end(&self, i: usize) -> usize {
        match self.at(i) {
            Some(b'"') => self.string_end(i),
            Some(b'{' | b'[') => {
                let (mut i, mut depth) = (i, 0usize);
                while let Some(b) = self.at(i) {
                    match b {
                        b'"' => {
                            i = self.string_end(i);
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return i + 1;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i
            }
            _ => {
                let mut i = i;
                while self.at(i).is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    i += 1;
                }
                i
            }
        }
    }

    /// Walks the value at `i`; returns its end, `None` past [`MAX_JSON_DEPTH`].
    fn walk(&mut self, i: usize, depth: usize) -> Option<usize> {
        let mut i = self.ws(i);
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        match self.at(i) {
            Some(b'{') => {
                i = self.ws(i + 1);
                if self.at(i) == Some(b'}') {
                    return Some(i + 1);
                }
                loop {
                    let key_end = self.string_end(i);
                    let key = self
                        .text
                        .get(i..key_end)
                        .and_then(|k| serde_json::from_str::<Cow<'_, str>>(k).ok());
                    let named = key.as_deref().is_some_and(is_secret_field);
                    i = self.ws(key_end);
                    i = self.ws(i + 1);
                    let secret = named
                        || (key.as_deref() == Some("code")
                            && self.at(i) == Some(b'"')
                            && self
                                .text
                                .get(i..self.value_end(i))
                                .is_some_and(|v| is_secret_code("code", v)));
                    let null = self
                        .text
                        .get(i..)
                        .is_some_and(|rest| rest.starts_with("null"));
                    let end = if secret && !null {
                        let end = self.value_end(i);
                        self.spans.push((i, end));
                        end
                    } else {
                        self.walk(i, depth + 1)?
                    };
                    i = self.ws(end);
                    match self.at(i) {
                        Some(b',') => i = self.ws(i + 1),
                        _ => return Some(i + 1),
                    }
                }
            }
            Some(b'[') => {
                i = self.ws(i + 1);
                if self.at(i) == Some(b']') {
                    return Some(i + 1);
                }
                loop {
                    let end = self.walk(i, depth + 1)?;
                    i = self.ws(end);
                    match self.at(i) {
                        Some(b',') => i += 1,
                        _ => return Some(i + 1),
                    }
                }
            }
            _ => Some(self.value_end(i)),
        }
    }
}

/// The JSON text with the value of every secret field (at any depth, names decoded) replaced by
/// `"[redacted]"`, the rest kept as sent (order, spacing, escapes); `None` when it is not JSON or
/// nests deeper than [`MAX_JSON_DEPTH`].
pub fn redact_json_text(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let mut walker = JsonSpans {
        text,
        spans: Vec::new(),
    };
    walker.walk(0, 0)?;
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (start, end) in walker.spans {
        out.push_str(text.get(from..start)?);
        out.push('"');
        out.push_str(REDACTED);
        out.push('"');
        from = end;
    }
    out.push_str(text.get(from..)?);
    Some(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `key=value; key="quoted; value"` parameters (after the first `;`-separated item), names in
/// lower case, quotes and backslash escapes removed.
fn header_params(value: &str) -> Vec<(String, String)> {
    let mut items = Vec::new();
    let (mut current, mut quoted, mut escaped) = (String::new(), false, false);
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .skip(1)
        .filter_map(|item| {
            let (k, v) = item.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect()
}

/// `<N bytes, sha256 ...>`: what stands for content that is not kept.
fn digest_note(content: &[u8]) -> String {
    format!("<{} bytes, sha256 {}>", content.len(), sha256_hex(content))
}

/// One part of a multipart body: its field name (`name`, or `name*` percent-decoded) decides.
fn redact_part(head: &str, content: &[u8]) -> String {
    let mut name = None;
    let mut file = false;
    let mut part_type = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        let header = header.trim();
        if header.eq_ignore_ascii_case("content-type") {
            part_type = Some(value.trim().to_owned());
        } else if header.eq_ignore_ascii_case("content-disposition") {
            for (k, v) in header_params(value) {
                match k.as_str() {
                    "name" => name = Some(v),
                    "name*" => name = Some(url_decode(v.rsplit("''").next().unwrap_or(&v))),
                    "filename" | "filename*" => file = true,
                    _ => {}
                }
            }
        }
    }
    let Some(name) = name else {
        return digest_note(content);
    };
    if is_secret_field(&name) {
        return REDACTED.to_owned();
    }
    match part_type {
        Some(ct) if !ct.to_ascii_lowercase().starts_with("multipart/") => {
            redact(content, &ct).unwrap_or_else(|_| digest_note(content))
        }
        Some(_) => digest_note(content),
        None if file => digest_note(content),
        None => match std::str::from_utf8(content) {
            Ok(text) if text.trim_start().starts_with(['{', '[']) => {
                redact_json_text(text).unwrap_or_else(|| text.to_owned())
            }
            Ok(text) => text.to_owned(),
            Err(_) => digest_note(content),
        },
    }
}

/// A `multipart/form-data` body with the value of every secret field replaced by `[redacted]`,
/// file and binary parts by their length and hash, the rest kept; `None` when it does not parse
/// (no boundary, a malformed part, more than [`MAX_PARTS`] parts). Preamble and epilogue are
/// dropped.
fn redact_multipart(body: &[u8], content_type: &str) -> Option<String> {
    let boundary = header_params(content_type)
        .into_iter()
        .find(|(k, _)| k == "boundary")
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty() && b.len() <= 200)?;
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n{delimiter}");
    let mut pos = find(body, delimiter.as_bytes())? + delimiter.len();
    let mut out = String::new();
    for _ in 0..=MAX_PARTS {
        let rest = body.get(pos..)?;
        out.push_str(&delimiter);
        if rest.starts_with(b"--") {
            out.push_str("--");
            return Some(out);
        }
        let rest = rest.strip_prefix(b"\r\n")?;
        let head_len = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(rest.get(..head_len)?).ok()?;
        let content = rest.get(head_len + 4..)?;
        let content_len = find(content, next_delimiter.as_bytes())?;
        let content = content.get(..content_len)?;
        out.push_str("\r\n");
        for line in head.split("\r\n") {
            match line.split_once(':') {
                Some((h, _)) if is_secret_header(h.trim()) => {
                    out.push_str(h);
                    out.push_str(": ");
                    out.push_str(REDACTED);
                }
                _ => out.push_str(line),
            }
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&redact_part(head, content));
        out.push_str("\r\n");
        pos = body.len() - rest.len() + head_len + 4 + content_len + next_delimiter.len();
    }
    None
}

/// Why a body's text is not kept (its length and hash are).
pub mod omitted {
    /// Not UTF-8 and not multipart.
    pub const BINARY: &str = "binary";
    /// Declared JSON but does not parse.
    pub const INVALID_JSON: &str = "invalid_json";
    /// `multipart/form-data` that does not parse.
    pub const UNPARSED_MULTIPART: &str = "unparsed_multipart";
    /// Not JSON, not a form, not multipart (or no content type at all).
    pub const UNKNOWN_CONTENT_TYPE: &str = "unknown_content_type";
    /// Larger than the bytes read to redact a body (the server's body limit): neither text nor
    /// hash.
    pub const TOO_LARGE: &str = "too_large";
}

/// The body as text with its secrets redacted, or why it cannot be: JSON (whatever the declared
/// type) by field, forms by parameter, multipart by field; anything else is refused.
fn redact(body: &[u8], content_type: &str) -> Result<String, &'static str> {
    let ct = content_type.trim().to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    if essence == "multipart/form-data" {
        return redact_multipart(body, content_type).ok_or(omitted::UNPARSED_MULTIPART);
    }
    let text = std::str::from_utf8(body).map_err(|_| omitted::BINARY)?;
    let declared_json = essence.ends_with("json") || essence.contains("+json");
    if declared_json || text.trim_start().starts_with(['{', '[']) {
        match redact_json_text(text) {
            Some(redacted) => return Ok(redacted),
            None if declared_json => return Err(omitted::INVALID_JSON),
            None => {}
        }
    }
    if essence == "application/x-www-form-urlencoded" {
        return Ok(redact_query(text));
    }
    Err(omitted::UNKNOWN_CONTENT_TYPE)
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut_str(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// The first `max` bytes of `bytes` as owned text (lossy), ending in `...[N bytes]` when cut.
fn capped_text(bytes: &[u8], max: usize) -> Box<str> {
    if bytes.len() <= max {
        return String::from_utf8_lossy(bytes).into();
    }
    let head = String::from_utf8_lossy(bytes.get(..max).unwrap_or_default());
    format!("{}...[{} bytes]", cut_str(&head, max), bytes.len()).into()
}

/// A body as the journal shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecordedBody {
    /// The redacted text, at most the body limit when the body was longer; `None` when empty or
    /// not kept (see `omitted`).
    pub text: Option<String>,
    /// Bytes of the body (at least: a body longer than the server's body limit is not read to its
    /// end).
    pub bytes: usize,
    /// Whether the body was longer than the body limit.
    pub truncated: bool,
    /// SHA-256 (hex) of the whole body when its text is not kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why the text is not kept: one of [`omitted`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted: Option<&'static str>,
}

impl RecordedBody {
    fn heap_bytes(&self) -> usize {
        self.text.as_ref().map_or(0, String::capacity)
            + self.sha256.as_ref().map_or(0, String::capacity)
    }
}

/// Redacts a whole body according to `content_type` (see [`redact`]) and cuts the result at
/// `limit` bytes when the body is longer than that; a body that cannot be redacted keeps only its
/// length and SHA-256.
pub fn record_body(body: &[u8], limit: usize, content_type: &str) -> RecordedBody {
    let bytes = body.len();
    let truncated = bytes > limit;
    if body.is_empty() {
        return RecordedBody::default();
    }
    match redact(body, content_type) {
        Ok(text) => {
            let text = if truncated {
                cut_str(&text, limit).to_owned()
            } else {
                text
            };
            RecordedBody {
                text: Some(text),
                bytes,
                truncated,
                sha256: None,
                omitted: None,
            }
        }
        Err(why) => RecordedBody {
            text: None,
            bytes,
            truncated,
            sha256: Some(sha256_hex(body)),
            omitted: Some(why),
        },
    }
}

/// Headers as the journal keeps them: owned copies, secrets already redacted, each value cut at
/// [`MAX_HEADER_VALUE`], at most [`MAX_HEADERS`] of them and [`MAX_HEADER_BYTES`] in all. Names
/// and values are kept back to back in one buffer (two allocations per capture, not two per
/// header: the capture runs on every journaled request).
#[derive(Debug, Clone, Default)]
pub struct CapturedHeaders {
    /// Every kept name and value, back to back.
    text: String,
    /// Where each kept header's name and value end in `text`, in the order received.
    ends: Vec<(u32, u32)>,
    /// Headers left out past the caps.
    pub omitted: usize,
}

impl CapturedHeaders {
    /// Copies (and redacts) what the caps allow of `headers`.
    pub fn capture(headers: &HeaderMap) -> Self {
        let mut out = Self {
            text: String::with_capacity(
                headers
                    .iter()
                    .map(|(n, v)| n.as_str().len() + v.len())
                    .sum::<usize>()
                    .min(MAX_HEADER_BYTES),
            ),
            ends: Vec::with_capacity(headers.len().min(MAX_HEADERS)),
            omitted: 0,
        };
        for (name, value) in headers {
            let full = name.as_str();
            let name = cut_str(full, MAX_HEADER_NAME);
            let bytes = value.as_bytes();
            // The common case without an allocation: a short, valid UTF-8, non-secret value.
            let value: Cow<'_, str> = if is_secret_header(full) {
                Cow::Borrowed(REDACTED)
            } else {
                match std::str::from_utf8(bytes) {
                    Ok(text) if bytes.len() <= MAX_HEADER_VALUE => Cow::Borrowed(text),
                    _ => Cow::Owned(capped_text(bytes, MAX_HEADER_VALUE).into_string()),
                }
            };
            let cost = name.len() + value.len();
            if out.ends.len() >= MAX_HEADERS || out.text.len() + cost > MAX_HEADER_BYTES {
                out.omitted += 1;
                continue;
            }
            out.text.push_str(name);
            let name_end = out.text.len();
            out.text.push_str(&value);
            // Both fit in u32: `text` never exceeds MAX_HEADER_BYTES.
            out.ends.push((
                u32::try_from(name_end).unwrap_or(u32::MAX),
                u32::try_from(out.text.len()).unwrap_or(u32::MAX),
            ));
        }
        out
    }

    /// The kept headers, name and value, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let (name_end, end) = (name_end as usize, end as usize);
            let pair = (
                self.text.get(start..name_end).unwrap_or_default(),
                self.text.get(name_end..end).unwrap_or_default(),
            );
            start = end;
            pair
        })
    }

    /// How many headers were kept.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no header was kept.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    /// By name (repeated headers joined with `, `).
    pub fn render(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in self.iter() {
            out.entry(name.to_string())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_string());
        }
        out
    }
}

/// Headers with secrets redacted, by lower-case name (repeated headers joined with `, `), within
/// the journal's caps.
pub fn record_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    CapturedHeaders::capture(headers).render()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The request side of an entry.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query (at most [`MAX_PATH`] bytes).
    pub path: String,
    /// Query string, secrets redacted (at most [`MAX_QUERY`] bytes); `None` when there is none.
    pub query: Option<String>,
    /// Headers, secrets redacted.
    pub headers: BTreeMap<String, String>,
    /// Headers left out past the journal's caps.
    #[serde(skip_serializing_if = "is_zero")]
    pub headers_omitted: usize,
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
    /// Headers left out past the journal's caps.
    #[serde(skip_serializing_if = "is_zero")]
    pub headers_omitted: usize,
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

/// A body as the journal keeps it.
#[derive(Debug, Clone, Default)]
pub enum CapturedBody {
    /// No body.
    #[default]
    Empty,
    /// The whole body, at most the body limit, as received: redacted when read.
    Whole(Bytes),
    /// A body longer than the body limit: redacted from the whole body, then cut, when captured.
    Cut(RecordedBody),
}

impl CapturedBody {
    /// Captures a body of `total` bytes of which `seen` were read (all of them when `complete`):
    /// kept as is up to `limit`, else redacted and cut now (or, when not read to its end, only
    /// counted). `seen` is copied when kept (it may be part of the request's read buffer).
    pub fn capture(
        seen: &[u8],
        total: usize,
        complete: bool,
        limit: usize,
        content_type: &str,
    ) -> Self {
        Self::capture_owned(
            seen,
            total,
            complete,
            limit,
            content_type,
            Bytes::copy_from_slice,
        )
    }

    /// [`Self::capture`] of bytes the journal owns already (the copy of a response body the
    /// recorder made): kept without another copy.
    pub fn capture_bytes(
        seen: Bytes,
        total: usize,
        complete: bool,
        limit: usize,
        content_type: &str,
    ) -> Self {
        let bytes = seen.clone();
        Self::capture_owned(&seen, total, complete, limit, content_type, move |_| bytes)
    }

    fn capture_owned(
        seen: &[u8],
        total: usize,
        complete: bool,
        limit: usize,
        content_type: &str,
        keep: impl FnOnce(&[u8]) -> Bytes,
    ) -> Self {
        if seen.is_empty() && total == 0 {
            Self::Empty
        } else if complete && seen.len() <= limit {
            Self::Whole(keep(seen))
        } else if complete {
            Self::Cut(record_body(seen, limit, content_type))
        } else {
            Self::Cut(RecordedBody {
                text: None,
                bytes: total.max(seen.len()),
                truncated: true,
                sha256: None,
                omitted: Some(omitted::TOO_LARGE),
            })
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Whole(raw) => raw.len(),
            Self::Cut(recorded) => recorded.heap_bytes(),
        }
    }

    fn render(&self, limit: usize, content_type: &str) -> RecordedBody {
        match self {
            Self::Empty => RecordedBody::default(),
            Self::Whole(raw) => record_body(raw, limit.max(raw.len()), content_type),
            Self::Cut(recorded) => recorded.clone(),
        }
    }
}

/// The request side of a capture: owned, capped copies.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// HTTP method (at most 32 bytes).
    pub method: Box<str>,
    /// Path (at most [`MAX_PATH`] bytes).
    pub path: Box<str>,
    /// Query, redacted, then cut at [`MAX_QUERY`] bytes.
    pub query: Option<Box<str>>,
    /// Headers, redacted.
    pub headers: CapturedHeaders,
    /// The content type (at most 256 bytes), to redact the body when it is read.
    pub content_type: Box<str>,
    /// Body.
    pub body: CapturedBody,
}

impl CapturedRequest {
    /// Copies what the journal keeps of a request head; `body` is captured by the caller.
    pub fn capture(method: &Method, uri: &Uri, headers: &HeaderMap, body: CapturedBody) -> Self {
        Self {
            method: cut_str(method.as_str(), MAX_METHOD).into(),
            path: cut_str(&redact_path(uri.path()), MAX_PATH).into(),
            query: uri
                .query()
                .filter(|q| !q.is_empty())
                .map(|q| cut_str(&redact_query(q), MAX_QUERY).into()),
            headers: CapturedHeaders::capture(headers),
            content_type: cut_str(content_type(headers), MAX_CONTENT_TYPE).into(),
            body,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, |q| q.len())
            + self.headers.heap_bytes()
            + self.content_type.len()
            + self.body.heap_bytes()
    }
}

/// The response side of a capture.
#[derive(Debug, Clone, Default)]
pub struct CapturedResponse {
    /// Status; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Headers, redacted.
    pub headers: CapturedHeaders,
    /// The content type (at most 256 bytes).
    pub content_type: Box<str>,
    /// Body.
    pub body: CapturedBody,
    /// The connection was closed without an answer (injected fault) or the body failed.
    pub dropped: bool,
}

impl CapturedResponse {
    /// Copies what the journal keeps of a response head; the body is captured as it is sent.
    pub fn capture(status: Option<u16>, headers: &HeaderMap, dropped: bool) -> Self {
        Self {
            status,
            headers: CapturedHeaders::capture(headers),
            content_type: cut_str(content_type(headers), MAX_CONTENT_TYPE).into(),
            body: CapturedBody::Empty,
            dropped,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.headers.heap_bytes() + self.content_type.len() + self.body.heap_bytes()
    }
}

/// What the journal stores of one exchange; rendered into an [`Entry`] when read.
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

impl Captured {
    /// The memory the entry holds, as the journal's budget counts it: its own size, every owned
    /// string and body, and a fixed overhead.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + ENTRY_OVERHEAD
            + self.route.as_ref().map_or(0, String::capacity)
            + self.request.heap_bytes()
            + self.response.heap_bytes()
    }

    /// The request body as `/admin/journal` shows it (redacted, cut at `body_limit`), without
    /// rendering the rest of the entry.
    pub fn request_body(&self, body_limit: usize) -> RecordedBody {
        self.request
            .body
            .render(body_limit, &self.request.content_type)
    }

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
                path: request.path.to_string(),
                query: request.query.as_ref().map(ToString::to_string),
                headers: request.headers.render(),
                headers_omitted: request.headers.omitted,
                body: request.body.render(body_limit, &request.content_type),
            },
            response: RecordedResponse {
                status: response.status,
                headers: response.headers.render(),
                headers_omitted: response.headers.omitted,
                body: response.body.render(body_limit, &response.content_type),
                dropped: response.dropped,
            },
            fault: fault.clone(),
        }
    }
}

/// The journal's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLimits {
    /// Entries kept per surface; 0 turns the journal off.
    pub capacity: usize,
    /// Bytes kept of each body.
    pub body_limit: usize,
    /// Bytes ([`Captured::bytes`]) kept in all; the oldest entries go first past it.
    pub budget_bytes: usize,
    /// Bytes of a body read to redact it whole before it is cut (the server's body limit: a
    /// longer body is refused anyway); at least `body_limit`.
    pub read_limit: usize,
}

impl Default for JournalLimits {
    fn default() -> Self {
        Self {
            capacity: 200,
            body_limit: 16 * 1024,
            budget_bytes: 8 << 20,
            read_limit: 64 * 1024,
        }
    }
}

#[derive(Debug)]
struct Stored {
    entry: Arc<Captured>,
    bytes: usize,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    bytes: usize,
    by_surface: HashMap<&'static str, VecDeque<Stored>>,
}

impl Inner {
    /// Drops the oldest entry of all surfaces; `false` when there is none.
    fn evict_oldest(&mut self) -> bool {
        let oldest = self
            .by_surface
            .values_mut()
            .filter_map(|q| Some((q.front()?.entry.id, q)))
            .min_by_key(|(id, _)| *id)
            .and_then(|(_, q)| q.pop_front());
        match oldest {
            Some(old) => {
                self.bytes -= old.bytes;
                true
            }
            None => false,
        }
    }
}

/// The journal, shared by every worker.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    limits: JournalLimits,
}

impl Journal {
    /// A journal within `limits`.
    pub fn new(limits: JournalLimits) -> Self {
        Self {
            inner: Arc::default(),
            limits: JournalLimits {
                read_limit: limits.read_limit.max(limits.body_limit),
                ..limits
            },
        }
    }

    /// Whether requests are recorded at all.
    pub fn enabled(&self) -> bool {
        self.limits.capacity > 0
    }

    /// Bytes kept of each body.
    pub fn body_limit(&self) -> usize {
        self.limits.body_limit
    }

    /// Bytes of a body read to redact it before it is cut.
    pub fn read_limit(&self) -> usize {
        self.limits.read_limit
    }

    /// Entries kept per surface.
    pub fn capacity(&self) -> usize {
        self.limits.capacity
    }

    /// The bounds.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a capture (its id is assigned here), dropping the oldest of its surface past the
    /// capacity and the oldest of all past the byte budget. A capture larger than the whole
    /// budget is not kept.
    pub fn record(&self, mut entry: Captured) {
        if !self.enabled() {
            return;
        }
        let bytes = entry.bytes();
        let mut inner = self.lock();
        inner.next_id += 1;
        entry.id = inner.next_id;
        if bytes > self.limits.budget_bytes {
            return;
        }
        let queue = inner.by_surface.entry(entry.surface).or_default();
        queue.push_back(Stored {
            entry: Arc::new(entry),
            bytes,
        });
        let mut freed = 0;
        while queue.len() > self.limits.capacity {
            freed += queue.pop_front().map_or(0, |old| old.bytes);
        }
        inner.bytes = inner.bytes + bytes - freed;
        while inner.bytes > self.limits.budget_bytes && inner.evict_oldest() {}
    }

    /// The kept captures, newest first: of one surface or all, only those after `since` (an
    /// entry id). The lock is held only to clone their `Arc`s; sorting, matching and rendering
    /// happen after it is released.
    pub fn snapshot(&self, surface: Option<&str>, since: Option<u64>) -> Vec<Arc<Captured>> {
        let mut selected: Vec<Arc<Captured>> = {
            let inner = self.lock();
            inner
                .by_surface
                .iter()
                .filter(|(s, _)| surface.is_none_or(|want| want == **s))
                .flat_map(|(_, q)| q.iter())
                .filter(|s| since.is_none_or(|id| s.entry.id > id))
                .map(|s| Arc::clone(&s.entry))
                .collect()
        };
        selected.sort_by_key(|e| std::cmp::Reverse(e.id));
        selected
    }

    /// The newest entries first: of one surface or all, only those after `since` (an entry id),
    /// at most `limit`.
    pub fn query(&self, surface: Option<&str>, since: Option<u64>, limit: usize) -> Vec<Entry> {
        let mut selected = self.snapshot(surface, since);
        selected.truncate(limit);
        selected
            .iter()
            .map(|c| c.render(self.limits.body_limit))
            .collect()
    }

    /// Removes the entries of one surface, or all.
    pub fn clear(&self, surface: Option<&str>) {
        let mut inner = self.lock();
        match surface {
            Some(s) => {
                let freed: usize = inner
                    .by_surface
                    .remove(s)
                    .map_or(0, |q| q.iter().map(|e| e.bytes).sum());
                inner.bytes -= freed;
            }
            None => {
                inner.by_surface.clear();
                inner.bytes = 0;
            }
        }
    }

    /// Entries currently kept.
    pub fn len(&self) -> usize {
        self.lock().by_surface.values().map(VecDeque::len).sum()
    }

    /// Bytes currently kept, as [`Captured::bytes`] counts them (at most the budget).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
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

/// A response body that keeps a copy of its first bytes (up to the journal's read limit, so a
/// body over the body limit is redacted whole before it is cut) and records the entry when it
/// ends, fails or is dropped (a client that goes away still leaves an entry).
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
        // One allocation of the right size when the body's length is known (the usual case).
        let captured = match inner.size() {
            BodySize::Sized(n) => {
                BytesMut::with_capacity(usize::try_from(n).unwrap_or(0).min(journal.read_limit()))
            }
            _ => BytesMut::new(),
        };
        Self {
            inner,
            captured,
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
        let captured = std::mem::take(&mut self.captured).freeze();
        let complete = self.total <= captured.len();
        entry.response.body = CapturedBody::capture_bytes(
            captured,
            self.total,
            complete,
            self.journal.body_limit(),
            &entry.response.content_type,
        );
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
                let limit = this.journal.read_limit();
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
    fn the_secret_word_scan_agrees_with_substring_search() {
        const WORDS: [&str; 8] = [
            "token",
            "secret",
            "password",
            "passwd",
            "auth",
            "cookie",
            "session",
            "credential",
        ];
        let mut names = vec![
            String::new(),
            "t".to_owned(),
            "tok".to_owned(),
            "x-tokens".to_owned(),
            "passw".to_owned(),
            "x-pass-wd".to_owned(),
            "sessio".to_owned(),
            "ccookie".to_owned(),
            "credentia".to_owned(),
            "aauth".to_owned(),
            "au-th".to_owned(),
        ];
        for w in WORDS {
            for (pre, post) in [("", ""), ("x-", ""), ("", "-id"), ("x-my", "s"), ("a", "a")] {
                names.push(format!("{pre}{w}{post}"));
                names.push(format!("{pre}{}{post}", &w[..w.len() - 1]));
            }
        }
        for name in &names {
            let expected = WORDS.iter().any(|w| name.contains(w));
            assert_eq!(contains_secret_word(name), expected, "{name:?}");
        }
    }

    #[test]
    fn credential_headers_are_redacted() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "set-cookie",
            "X-API-Key",
            "api-key",
            "x-stack-access-token",
            "x-stack-refresh-token",
            "x-stack-secret-server-key",
            "x-stack-publishable-client-key",
            "x-stack-super-secret-admin-key",
            "x-stack-admin-access-token",
            "x-stack-auth",
            "x-hexclave-refresh-token",
            "x-client-secret",
            "x-session-id",
            "x-gateway-console-preview",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "content-type",
            "user-agent",
            "x-request-id",
            "x-stack-project-id",
            "x-stack-access-type",
            "x-stack-known-error",
            "www-authenticate",
            "access-control-allow-credentials",
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
    fn headers_are_copied_within_their_caps() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-huge"),
            HeaderValue::from_str(&"v".repeat(100_000)).unwrap(),
        );
        let long_name = format!("x-{}-token", "n".repeat(300));
        headers.insert(
            HeaderName::from_bytes(long_name.as_bytes()).unwrap(),
            HeaderValue::from_static("secret-value"),
        );
        let rendered = CapturedHeaders::capture(&headers).render();
        let value = &rendered["x-huge"];
        assert!(value.len() <= MAX_HEADER_VALUE + 32, "{}", value.len());
        assert!(value.ends_with("...[100000 bytes]"), "{value}");
        assert_eq!(
            rendered[&long_name[..MAX_HEADER_NAME]],
            REDACTED,
            "matched on the whole name, kept cut"
        );

        // At most MAX_HEADERS headers and MAX_HEADER_BYTES bytes; the rest are counted.
        for (count, len) in [(100, 1), (40, MAX_HEADER_VALUE)] {
            let mut headers = HeaderMap::new();
            for i in 0..count {
                headers.insert(
                    HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
                    HeaderValue::from_str(&"f".repeat(len)).unwrap(),
                );
            }
            let kept = CapturedHeaders::capture(&headers);
            let total: usize = kept.iter().map(|(n, v)| n.len() + v.len()).sum();
            assert!(kept.len() <= MAX_HEADERS, "{}", kept.len());
            assert!(total <= MAX_HEADER_BYTES, "{total}");
            assert!(kept.omitted > 0);
            assert_eq!(kept.len() + kept.omitted, count);
        }
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
    fn one_time_codes_and_nonces_are_redacted_but_error_codes_kept() {
        let request = br#"{"code":"k3v9q0x7...","password":"new-password"}"#;
        let rec = record_body(request, 1024, "application/json");
        assert_eq!(
            rec.text.as_deref(),
            Some(r#"{"code":"[redacted]","password":"[redacted]"}"#)
        );
        let answer = br#"{"nonce":"abcdefghjk"}"#;
        assert_eq!(
            record_body(answer, 1024, "application/json")
                .text
                .as_deref(),
            Some(r#"{"nonce":"[redacted]"}"#)
        );
        let error = br#"{"code":"VERIFICATION_CODE_NOT_FOUND","error":"x","errors":[{"code":2}]}"#;
        assert_eq!(
            record_body(error, 1024, "application/json").text.as_deref(),
            Some(std::str::from_utf8(error).unwrap()),
            "vendor error codes stay readable"
        );
        assert_eq!(
            redact_query("grant_type=authorization_code&code=Zx8k&state=s"),
            "grant_type=authorization_code&code=[redacted]&state=s"
        );
        let mut v = serde_json::json!({"a": {"code": "abc123", "other": "VALUE_CODE"}});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": {"code": REDACTED, "other": "VALUE_CODE"}})
        );
    }

    #[test]
    fn device_codes_are_redacted_in_paths_bodies_and_forms() {
        assert_eq!(
            redact_path("/api/v1/auth/device/code/Xy-z_09"),
            "/api/v1/auth/device/code/[redacted]"
        );
        assert_eq!(
            redact_path("/api/v1/auth/device/code/abc/more"),
            "/api/v1/auth/device/code/[redacted]/more"
        );
        assert_eq!(
            redact_path("/api/v1/auth/device/code"),
            "/api/v1/auth/device/code"
        );
        assert_eq!(redact_path("/api/v1/user"), "/api/v1/user");
        let rec = record_body(br#"{"device_code":"Xy-z_09"}"#, 1024, "application/json");
        assert_eq!(rec.text.as_deref(), Some(r#"{"device_code":"[redacted]"}"#));
        assert_eq!(
            redact_query(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=c&device_code=Xy"
            ),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=c&device_code=[redacted]"
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
        let text = v.to_string();
        redact_json(&mut v);
        let expected = serde_json::json!({
            "username": "ada",
            "password": REDACTED,
            "nested": {"currentPassword": REDACTED, "NewPassword": REDACTED, "list": [{"client_secret": REDACTED}]},
            "access_token": REDACTED,
            "publishable_client_key": REDACTED,
            "keyboard": "qwerty",
            "password_hash": null
        });
        assert_eq!(v, expected);
        let redacted: Value = serde_json::from_str(&redact_json_text(&text).unwrap()).unwrap();
        assert_eq!(redacted, expected);
    }

    #[test]
    fn json_text_is_redacted_as_sent_with_names_decoded() {
        let text = r#" { "a" : "x\"y", "pass\u0077ord" : {"deep": ["s", 1]}, "Secret":"s\"t" ,"b":[1, {"api_key" :7}], "token": null } "#;
        assert_eq!(
            redact_json_text(text).unwrap(),
            r#" { "a" : "x\"y", "pass\u0077ord" : "[redacted]", "Secret":"[redacted]" ,"b":[1, {"api_key" :"[redacted]"}], "token": null } "#
        );
        assert_eq!(redact_json_text("[]").unwrap(), "[]");
        assert_eq!(redact_json_text("{}").unwrap(), "{}");
        assert_eq!(redact_json_text("12").unwrap(), "12");
        assert_eq!(redact_json_text(r#"{"password":"x""#), None, "cut JSON");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(redact_json_text(&deep).is_none(), "over the depth limit");
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert!(redact_json_text(&ok).is_some(), "at the depth limit");
    }

    #[test]
    fn bodies_are_redacted_by_content_or_kept_as_a_hash() {
        let json = br#"{"username":"ada","password":"hunter2"}"#;
        let rec = record_body(json, 1024, "application/json");
        assert_eq!(
            rec.text.as_deref(),
            Some(r#"{"username":"ada","password":"[redacted]"}"#)
        );
        assert!(!rec.truncated);
        for ct in [
            "text/plain",
            "",
            "application/octet-stream",
            "text/html; charset=utf-8",
        ] {
            let rec = record_body(json, 1024, ct);
            assert_eq!(
                rec.text.as_deref(),
                Some(r#"{"username":"ada","password":"[redacted]"}"#),
                "JSON sent as {ct:?}"
            );
        }

        let form = b"grant_type=password&username=ada&password=hunter2";
        let rec = record_body(form, 1024, "application/x-www-form-urlencoded");
        assert_eq!(
            rec.text.as_deref(),
            Some("grant_type=password&username=ada&password=[redacted]")
        );
        for ct in ["", "text/plain", "application/xml"] {
            let rec = record_body(form, 1024, ct);
            assert_eq!(rec.text, None, "{ct:?}");
            assert_eq!(rec.omitted, Some(omitted::UNKNOWN_CONTENT_TYPE));
            assert_eq!(rec.bytes, form.len());
            assert_eq!(rec.sha256.as_deref(), Some(sha256_hex(form).as_str()));
            assert_eq!(rec.sha256.as_ref().map(String::len), Some(64));
        }
        let rec = record_body(br#"{"password":"hunter2""#, 1024, "application/json");
        assert_eq!((rec.text, rec.omitted), (None, Some(omitted::INVALID_JSON)));
        let rec = record_body(&[0xff, 0x00, 0xfe], 1024, "application/octet-stream");
        assert_eq!((rec.text, rec.omitted), (None, Some(omitted::BINARY)));
        assert_eq!(record_body(b"", 10, ""), RecordedBody::default());
    }

    #[test]
    fn bodies_over_the_limit_are_redacted_whole_then_cut() {
        let body = format!(
            r#"{{"pass\u0077ord": "hunter2-hunter2", "bio": "{}"}}"#,
            "é".repeat(100)
        );
        let rec = record_body(body.as_bytes(), 40, "application/json");
        assert!(rec.truncated);
        assert_eq!(rec.bytes, body.len());
        let text = rec.text.unwrap();
        assert!(text.len() <= 40);
        assert!(
            text.starts_with(r#"{"pass\u0077ord": "[redacted]""#),
            "{text}"
        );
        let rec = record_body(body.as_bytes(), 40, "text/plain");
        assert!(!rec.text.unwrap().contains("hunter2"));

        let form = format!("bio={}&password=hunter2", "b".repeat(50));
        let rec = record_body(form.as_bytes(), 60, "application/x-www-form-urlencoded");
        assert!(!rec.text.unwrap().contains("hunter2"));

        // A cut body of unknown type keeps the hash of the whole body, never a prefix.
        let captured = CapturedBody::capture(form.as_bytes(), form.len(), true, 8, "");
        let CapturedBody::Cut(rec) = captured else {
            panic!("{captured:?}")
        };
        assert_eq!(rec.text, None);
        assert_eq!(
            rec.sha256.as_deref(),
            Some(sha256_hex(form.as_bytes()).as_str())
        );
        // A body not read to its end keeps only its length.
        let captured = CapturedBody::capture(b"password=hun", 5000, false, 8, "");
        let CapturedBody::Cut(rec) = captured else {
            panic!("{captured:?}")
        };
        assert_eq!(
            (rec.text, rec.sha256, rec.bytes, rec.omitted),
            (None, None, 5000, Some(omitted::TOO_LARGE))
        );
    }

    #[test]
    fn multipart_fields_are_parsed_and_secret_ones_redacted() {
        let ct = "multipart/form-data; boundary=\"b0und\"";
        let body = "preamble\r\n--b0und\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAda\r\n\
                    --b0und\r\nContent-Disposition: form-data; name=\"api;key\"\r\n\r\nk-1\r\n\
                    --b0und\r\ncontent-disposition: form-data; name*=utf-8''pass%77ord\r\n\r\npw-1\r\n\
                    --b0und\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{\"token\": \"t-1\", \"a\": 1}\r\n\
                    --b0und\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.env\"\r\nContent-Type: application/octet-stream\r\n\r\nSECRET=s-1\r\n\
                    --b0und\r\nContent-Disposition: form-data; name=\"note\"\r\nX-Api-Key: h-1\r\n\r\nhi\r\n\
                    --b0und--\r\nepilogue";
        let rec = record_body(body.as_bytes(), 4096, ct);
        let text = rec.text.unwrap();
        for secret in ["k-1", "pw-1", "t-1", "s-1", "h-1", "preamble", "epilogue"] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert!(text.starts_with(
            "--b0und\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAda\r\n--b0und\r\n"
        ));
        assert!(text.contains("\r\n\r\n[redacted]\r\n--b0und"), "{text}");
        assert!(
            text.contains(r#"{"token": "[redacted]", "a": 1}"#),
            "{text}"
        );
        assert!(text.contains("<10 bytes, sha256 "), "{text}");
        assert!(
            text.contains("X-Api-Key: [redacted]\r\n\r\nhi\r\n"),
            "{text}"
        );
        assert!(text.ends_with("--b0und--"), "{text}");

        for (ct, body) in [
            ("multipart/form-data", "--x\r\n\r\nv\r\n--x--"),
            (
                "multipart/form-data; boundary=x",
                "--x\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw-2",
            ),
            ("multipart/form-data; boundary=y", "password=pw-2"),
        ] {
            let rec = record_body(body.as_bytes(), 4096, ct);
            assert_eq!(rec.text, None, "{body}");
            assert_eq!(rec.omitted, Some(omitted::UNPARSED_MULTIPART));
        }
        let many: String = (0..=MAX_PARTS)
            .map(|i| format!("--x\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n"))
            .collect::<String>()
            + "--x--";
        let rec = record_body(many.as_bytes(), 1 << 20, "multipart/form-data; boundary=x");
        assert_eq!(rec.omitted, Some(omitted::UNPARSED_MULTIPART));
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
            request: CapturedRequest::capture(
                &Method::GET,
                &Uri::from_static("/me"),
                &HeaderMap::new(),
                CapturedBody::Empty,
            ),
            response: CapturedResponse::capture(Some(200), &HeaderMap::new(), false),
            fault: None,
        }
    }

    fn limits(capacity: usize, body_limit: usize) -> JournalLimits {
        JournalLimits {
            capacity,
            body_limit,
            ..JournalLimits::default()
        }
    }

    #[test]
    fn captures_are_redacted_and_owned() {
        let journal = Journal::new(limits(5, 16));
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Bearer abc"),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"password":"hunter2","bio":"long enough"}"#;
        let mut captured = entry("me");
        captured.request = CapturedRequest::capture(
            &Method::POST,
            &Uri::from_static("/me?access_token=abc&page=2"),
            &headers,
            CapturedBody::capture(body, body.len(), true, 16, "application/json"),
        );
        let mut response_headers = HeaderMap::new();
        response_headers.insert(
            HeaderName::from_static("set-cookie"),
            HeaderValue::from_static("s=1"),
        );
        captured.response = CapturedResponse::capture(Some(200), &response_headers, false);
        let stored = format!("{captured:?}");
        assert!(
            !stored.contains("abc") && !stored.contains("hunter2"),
            "secrets are redacted when captured: {stored}"
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
            Some(r#"{"password":"[re"#),
            "redacted whole, then cut at the limit"
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
        let journal = Journal::new(limits(2, 100));
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
        assert_eq!(journal.bytes(), 3 * entry("me").bytes());
        journal.clear(Some("me"));
        assert_eq!(journal.len(), 1);
        assert_eq!(journal.bytes(), entry("me").bytes());
        journal.clear(None);
        assert!(journal.is_empty());
        assert_eq!(journal.bytes(), 0);
        let off = Journal::new(limits(0, 100));
        off.record(entry("me"));
        assert!(off.is_empty());
    }

    #[test]
    fn accounted_bytes_never_exceed_the_budget() {
        let budget = 256 * 1024;
        let journal = Journal::new(JournalLimits {
            capacity: 200,
            body_limit: 16 * 1024,
            budget_bytes: budget,
            read_limit: 64 * 1024,
        });
        let surfaces = ["me", "platform", "users", "users-me", "account-profile"];
        let mut seed = 7u64;
        let mut recorded = 0usize;
        for i in 0..2000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let size = usize::try_from(seed >> 48).unwrap() % (40 * 1024);
            let mut headers = HeaderMap::new();
            headers.insert(
                HeaderName::from_static("x-filler"),
                HeaderValue::from_str(&"h".repeat(size)).unwrap(),
            );
            let body = vec![b'b'; size];
            let mut e = entry(surfaces[i % surfaces.len()]);
            e.request = CapturedRequest::capture(
                &Method::PUT,
                &Uri::from_static("/me"),
                &headers,
                CapturedBody::capture(&body, size, true, 16 * 1024, "text/plain"),
            );
            let bytes = e.bytes();
            assert!(bytes < 64 * 1024, "an entry is capped: {bytes}");
            recorded += bytes;
            journal.record(e);
            assert!(journal.bytes() <= budget, "{} > {budget}", journal.bytes());
        }
        assert!(recorded > 10 * budget);
        // What is kept is exactly what is accounted, and the newest entries are the ones kept.
        let kept = journal.query(None, None, 10_000);
        assert!(!kept.is_empty() && kept[0].id == 2000);
        assert!(
            kept.windows(2).all(|w| w[0].id == w[1].id + 1),
            "oldest evicted first"
        );
        let inner = journal.lock();
        let sum: usize = inner
            .by_surface
            .values()
            .flatten()
            .map(|s| s.entry.bytes())
            .sum();
        assert_eq!(sum, inner.bytes);
        drop(inner);
        // A budget smaller than one entry keeps nothing.
        let tiny = Journal::new(JournalLimits {
            budget_bytes: 100,
            ..JournalLimits::default()
        });
        tiny.record(entry("me"));
        assert!(tiny.is_empty() && tiny.bytes() == 0);
    }
}
