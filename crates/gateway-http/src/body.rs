//! One body layer for every dialect: a limited reader that returns the bytes or a typed
//! [`BodyRejection`], and parsers for JSON and form bodies that are linear in the body size and
//! capped in keys and depth. The top-level object keeps its members in document order
//! ([`Members`]), so each dialect can apply its vendor's rule for repeated keys; [`Field`] is
//! the absent / null / value distinction a partial update needs.
//!
//! Each dialect maps a [`BodyRejection`] to its own envelope and status in one place; nothing
//! here answers a client.

use std::{
    cell::Cell,
    collections::HashSet,
    fmt,
    future::{Future, Ready, ready},
    pin::Pin,
};

use actix_web::{
    FromRequest, HttpRequest,
    dev::Payload,
    http::header,
    web::{Bytes, BytesMut},
};
use futures_util::StreamExt;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::HttpLimits;

/// Caps on the structure of a parsed body, checked while parsing (before any work that grows
/// with the number of keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCaps {
    /// Object keys in the whole document, at every depth.
    pub max_keys: usize,
    /// Nesting depth of arrays and objects (the top-level value is depth 1).
    pub max_depth: usize,
}

impl Default for BodyCaps {
    fn default() -> Self {
        Self {
            max_keys: 1024,
            max_depth: 64,
        }
    }
}

/// Why a request body was refused. Messages never quote the input (it may hold a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRejection {
    /// Larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A content type the endpoint does not read (`None`: no content type sent).
    UnsupportedMediaType {
        /// The media type sent, lower case, without parameters.
        found: Option<String>,
    },
    /// Not valid JSON or form data; names the position, never the input.
    Malformed(Syntax),
    /// Not valid UTF-8.
    NotUtf8,
    /// Valid JSON, but not the JSON object the endpoint reads.
    NotAnObject,
    /// A top-level key sent twice where the dialect refuses repeats.
    DuplicateKey(String),
    /// Nested deeper than [`BodyCaps::max_depth`].
    TooDeep {
        /// The cap.
        limit: usize,
    },
    /// More keys than [`BodyCaps::max_keys`].
    TooManyKeys {
        /// The cap.
        limit: usize,
    },
    /// The body could not be read (stream error).
    Unreadable,
}

impl fmt::Display for BodyRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "the request body is larger than {limit} bytes"),
            Self::UnsupportedMediaType { found: Some(m) } => {
                write!(f, "unsupported content type {m}")
            }
            Self::UnsupportedMediaType { found: None } => f.write_str("no content type given"),
            Self::Malformed(m) => write!(f, "the request body is malformed: {}", m.message),
            Self::NotUtf8 => f.write_str("the request body is not valid UTF-8"),
            Self::NotAnObject => f.write_str("the request body must be a JSON object"),
            Self::DuplicateKey(k) => write!(f, "the key {k:?} is given more than once"),
            Self::TooDeep { limit } => {
                write!(f, "the request body is nested deeper than {limit} levels")
            }
            Self::TooManyKeys { limit } => {
                write!(f, "the request body has more than {limit} keys")
            }
            Self::Unreadable => f.write_str("the request body could not be read"),
        }
    }
}

impl std::error::Error for BodyRejection {}

/// Where and how a body is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syntax {
    /// The input ended early (else: a syntax error).
    pub eof: bool,
    /// 1-based line (0 when unknown, e.g. a form).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// serde_json's own text (`EOF while parsing an object at line 1 column 13`), which names
    /// what was expected and where, never the input.
    pub message: String,
}

impl Syntax {
    /// `unexpected end of input at line L column C` / `syntax error at line L column C`.
    pub fn short(&self) -> String {
        let what = if self.eof {
            "unexpected end of input"
        } else {
            "syntax error"
        };
        format!("{what} at line {} column {}", self.line, self.column)
    }
}

/// The media type of the request (`type/subtype`, lower case, parameters dropped), if any.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let raw = req.headers().get(header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(raw.as_bytes());
    let media = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// Whether `media` is JSON (`application/json` or any `+json` suffix type).
pub fn is_json(media: &str) -> bool {
    media == "application/json"
        || media
            .strip_prefix("application/")
            .is_some_and(|s| s.ends_with("+json"))
}

/// Reads the whole payload, refusing more than the configured `HttpLimits` body limit (a
/// `Content-Length` over the limit is refused before any byte is read).
pub async fn read_limited(req: &HttpRequest, payload: Payload) -> Result<Bytes, BodyRejection> {
    read_with_limit(req, payload, HttpLimits::body_limit_of(req)).await
}

/// [`read_limited`] with an explicit limit.
pub async fn read_with_limit(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, BodyRejection> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyRejection::TooLarge { limit });
    }
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut buf = BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyRejection::Unreadable)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyRejection::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A request body read with the configured limit, with its media type. Extraction never fails:
/// a handler asks for the result after the caller is authenticated (so a bad credential is
/// reported before a bad body, whatever finishes first).
#[derive(Debug)]
pub struct RawBody(pub Result<Raw, BodyRejection>);

/// The bytes of a body and the media type they were sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    /// Lower-case `type/subtype`, if a content type was sent.
    pub media: Option<String>,
    /// The body.
    pub bytes: Bytes,
}

impl RawBody {
    /// The body, or why it could not be read.
    pub fn into_inner(self) -> Result<Raw, BodyRejection> {
        self.0
    }
}

impl FromRequest for RawBody {
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let media = media_type(&req);
            Ok(Self(
                read_limited(&req, payload)
                    .await
                    .map(|bytes| Raw { media, bytes }),
            ))
        })
    }
}

/// The members of a top-level JSON object (or form) in document order, repeats kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members(pub Vec<(String, Value)>);

impl Members {
    /// The first key that appears more than once, if any (linear: one hash set).
    pub fn first_repeat(&self) -> Option<&str> {
        let mut seen = HashSet::with_capacity(self.0.len());
        self.0
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !seen.insert(*k))
    }

    /// Refuses a repeated key with [`BodyRejection::DuplicateKey`].
    pub fn unique(self) -> Result<Self, BodyRejection> {
        match self.first_repeat() {
            Some(k) => Err(BodyRejection::DuplicateKey(k.to_owned())),
            None => Ok(self),
        }
    }

    /// Keys in the order of their first appearance, each once.
    pub fn keys(&self) -> Vec<String> {
        let mut seen = HashSet::with_capacity(self.0.len());
        self.0
            .iter()
            .filter(|(k, _)| seen.insert(k.as_str()))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The members as a map; the last of a repeated key wins (as in JavaScript and serde_json).
    pub fn into_map(self) -> Map<String, Value> {
        self.0.into_iter().collect()
    }

    /// The (last) value of `key`.
    pub fn get(&self, key: &str) -> Field<&Value> {
        match self.0.iter().rev().find(|(k, _)| k == key) {
            None => Field::Absent,
            Some((_, Value::Null)) => Field::Null,
            Some((_, v)) => Field::Value(v),
        }
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A parsed JSON body: an object keeps its members in order; any other value is kept as is.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// A top-level object.
    Object(Members),
    /// Any other JSON value.
    Other(Value),
}

impl Json {
    /// The body as a `serde_json::Value` (an object's repeated keys: the last wins).
    pub fn into_value(self) -> Value {
        match self {
            Self::Object(m) => Value::Object(m.into_map()),
            Self::Other(v) => v,
        }
    }
}

/// One member of a partial update: not sent, sent as `null`, or sent with a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Field<T> {
    /// The key was not sent.
    #[default]
    Absent,
    /// The key was sent as `null`.
    Null,
    /// The key was sent with a value.
    Value(T),
}

impl<T> Field<T> {
    /// Maps the value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Self::Absent => Field::Absent,
            Self::Null => Field::Null,
            Self::Value(v) => Field::Value(f(v)),
        }
    }

    /// Whether the key was sent (as null or a value).
    pub fn is_sent(&self) -> bool {
        !matches!(self, Self::Absent)
    }

    /// `None` when absent, `Some(None)` for null, `Some(Some(v))` for a value: the shape of a
    /// core patch field that may be cleared.
    pub fn into_patch(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(v) => Some(Some(v)),
        }
    }
}

/// Parses a JSON body in one pass, counting keys and depth as it goes.
pub fn parse_json(bytes: &[u8], caps: BodyCaps) -> Result<Json, BodyRejection> {
    let text = std::str::from_utf8(bytes).map_err(|_| BodyRejection::NotUtf8)?;
    let budget = Budget {
        caps,
        keys: Cell::new(0),
        depth: Cell::new(0),
        hit: Cell::new(None),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = TopLevel(&budget).deserialize(&mut de).and_then(|v| {
        de.end()?;
        Ok(v)
    });
    match (parsed, budget.hit.get()) {
        (_, Some(rejection)) => Err(rejection.into_rejection(caps)),
        (Ok(json), None) => Ok(json),
        (Err(e), None) => Err(BodyRejection::Malformed(Syntax {
            eof: e.is_eof(),
            line: e.line(),
            column: e.column(),
            message: syntax_message(&e),
        })),
    }
}

/// Parses a JSON body that must be an object ([`BodyRejection::NotAnObject`] otherwise).
pub fn parse_object(bytes: &[u8], caps: BodyCaps) -> Result<Members, BodyRejection> {
    match parse_json(bytes, caps)? {
        Json::Object(members) => Ok(members),
        Json::Other(_) => Err(BodyRejection::NotAnObject),
    }
}

/// Reads a JSON body of `req`: a JSON content type (else 415-class
/// [`BodyRejection::UnsupportedMediaType`]), the configured limit and the registered caps.
pub async fn read_json(req: &HttpRequest, payload: Payload) -> Result<Json, BodyRejection> {
    let media = media_type(req);
    if !media.as_deref().is_some_and(is_json) {
        return Err(BodyRejection::UnsupportedMediaType { found: media });
    }
    let bytes = read_limited(req, payload).await?;
    parse_json(&bytes, caps_of(req))
}

/// [`read_json`] of a body that must be a JSON object ([`BodyRejection::NotAnObject`] otherwise).
pub async fn read_object(req: &HttpRequest, payload: Payload) -> Result<Members, BodyRejection> {
    match read_json(req, payload).await? {
        Json::Object(members) => Ok(members),
        Json::Other(_) => Err(BodyRejection::NotAnObject),
    }
}

/// The caps registered as `web::Data<BodyCaps>`, else the defaults.
pub fn caps_of(req: &HttpRequest) -> BodyCaps {
    req.app_data::<actix_web::web::Data<BodyCaps>>()
        .map_or_else(BodyCaps::default, |c| *c.get_ref())
}

/// A stock extractor's JSON rejection (a `JsonConfig` safety net) as a [`BodyRejection`], so a
/// dialect maps one type.
impl From<&actix_web::error::JsonPayloadError> for BodyRejection {
    fn from(e: &actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError as E;
        match e {
            E::ContentType => Self::UnsupportedMediaType { found: None },
            E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
                Self::TooLarge { limit: *limit }
            }
            E::Deserialize(e) if e.is_data() => Self::NotAnObject,
            E::Deserialize(e) => Self::Malformed(Syntax {
                eof: e.is_eof(),
                line: e.line(),
                column: e.column(),
                message: syntax_message(e),
            }),
            _ => Self::Unreadable,
        }
    }
}

/// Parses an `application/x-www-form-urlencoded` body: every value a JSON string, in order,
/// repeats kept, at most [`BodyCaps::max_keys`] pairs.
pub fn parse_form(bytes: &[u8], caps: BodyCaps) -> Result<Members, BodyRejection> {
    std::str::from_utf8(bytes).map_err(|_| BodyRejection::NotUtf8)?;
    let mut members = Vec::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        if members.len() == caps.max_keys {
            return Err(BodyRejection::TooManyKeys {
                limit: caps.max_keys,
            });
        }
        members.push((k.into_owned(), Value::String(v.into_owned())));
    }
    Ok(Members(members))
}

/// serde_json's syntax error, which names what was expected and where, never the input.
fn syntax_message(e: &serde_json::Error) -> String {
    let what = e.to_string();
    // `… at line 1 column 13`: keep the text; serde_json quotes no input in syntax errors, but
    // data errors may quote a key, so those get a fixed text.
    if e.is_syntax() || e.is_eof() {
        what
    } else {
        format!("invalid JSON at line {} column {}", e.line(), e.column())
    }
}

#[derive(Debug, Clone, Copy)]
enum Hit {
    Keys,
    Depth,
}

impl Hit {
    fn into_rejection(self, caps: BodyCaps) -> BodyRejection {
        match self {
            Self::Keys => BodyRejection::TooManyKeys {
                limit: caps.max_keys,
            },
            Self::Depth => BodyRejection::TooDeep {
                limit: caps.max_depth,
            },
        }
    }
}

struct Budget {
    caps: BodyCaps,
    keys: Cell<usize>,
    depth: Cell<usize>,
    hit: Cell<Option<Hit>>,
}

impl Budget {
    fn enter<E: de::Error>(&self) -> Result<(), E> {
        let depth = self.depth.get() + 1;
        if depth > self.caps.max_depth {
            self.hit.set(Some(Hit::Depth));
            return Err(E::custom("too deep"));
        }
        self.depth.set(depth);
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    fn key<E: de::Error>(&self) -> Result<(), E> {
        let keys = self.keys.get() + 1;
        if keys > self.caps.max_keys {
            self.hit.set(Some(Hit::Keys));
            return Err(E::custom("too many keys"));
        }
        self.keys.set(keys);
        Ok(())
    }
}

/// The top-level value: an object becomes [`Members`], anything else a [`Value`].
struct TopLevel<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        self.0.enter()?;
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0.key()?;
            members.push((key, map.next_value_seed(Node(self.0))?));
        }
        self.0.leave();
        Ok(Json::Object(Members(members)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Json, A::Error> {
        Node(self.0).visit_seq(seq).map(Json::Other)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Other(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Other(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Other(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Other(
            Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Other(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Other(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Other(Value::Null))
    }
}

/// A nested value, counted against the budget.
struct Node<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.enter()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0.key()?;
            let value = map.next_value_seed(Node(self.0))?;
            object.insert(key, value);
        }
        self.0.leave();
        Ok(Value::Object(object))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node(self.0))? {
            items.push(item);
        }
        self.0.leave();
        Ok(Value::Array(items))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// Extractor of the caps registered as `web::Data<BodyCaps>` (the default when none is).
impl FromRequest for BodyCaps {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(caps_of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(keys: usize, depth: usize) -> BodyCaps {
        BodyCaps {
            max_keys: keys,
            max_depth: depth,
        }
    }

    #[test]
    fn objects_keep_order_and_repeats() {
        let Json::Object(m) =
            parse_json(br#"{"z":1,"a":{"c":2},"z":3}"#, BodyCaps::default()).expect("valid")
        else {
            panic!("an object")
        };
        assert_eq!(m.keys(), vec!["z".to_owned(), "a".to_owned()]);
        assert_eq!(m.first_repeat(), Some("z"));
        assert_eq!(m.get("z"), Field::Value(&Value::from(3)));
        assert_eq!(m.get("q"), Field::Absent);
        assert_eq!(
            m.clone().unique(),
            Err(BodyRejection::DuplicateKey("z".into()))
        );
        assert_eq!(m.into_map()["a"]["c"], 2);
    }

    #[test]
    fn null_and_other_values() {
        let Json::Object(m) = parse_json(br#"{"a":null}"#, BodyCaps::default()).expect("valid")
        else {
            panic!("an object")
        };
        assert_eq!(m.get("a"), Field::Null);
        assert_eq!(
            parse_json(b"[1,2]", BodyCaps::default()),
            Ok(Json::Other(serde_json::json!([1, 2])))
        );
        assert_eq!(
            parse_json(b"\"x\"", BodyCaps::default()),
            Ok(Json::Other(Value::from("x")))
        );
    }

    #[test]
    fn caps_hold_at_every_depth() {
        assert_eq!(
            parse_json(br#"{"a":{"b":{"c":1}}}"#, caps(10, 2)),
            Err(BodyRejection::TooDeep { limit: 2 })
        );
        assert_eq!(
            parse_json(b"[[[[1]]]]", caps(10, 3)),
            Err(BodyRejection::TooDeep { limit: 3 })
        );
        assert_eq!(
            parse_json(br#"{"a":1,"b":{"c":1,"d":2}}"#, caps(3, 5)),
            Err(BodyRejection::TooManyKeys { limit: 3 })
        );
        assert!(parse_json(br#"{"a":1,"b":{"c":1}}"#, caps(3, 5)).is_ok());
        assert_eq!(
            parse_form(b"a=1&b=2&c=3", caps(2, 5)),
            Err(BodyRejection::TooManyKeys { limit: 2 })
        );
    }

    #[test]
    fn malformed_and_non_utf8() {
        assert!(matches!(
            parse_json(b"{\"a\":", BodyCaps::default()),
            Err(BodyRejection::Malformed(_))
        ));
        assert!(matches!(
            parse_json(b"{} x", BodyCaps::default()),
            Err(BodyRejection::Malformed(_))
        ));
        assert_eq!(
            parse_json(b"\xff", BodyCaps::default()),
            Err(BodyRejection::NotUtf8)
        );
        let secret = parse_json(br#"{"password": hunter2}"#, BodyCaps::default())
            .expect_err("malformed")
            .to_string();
        assert!(!secret.contains("hunter2"), "{secret}");
    }

    #[test]
    fn forms_keep_order_and_decode() {
        let m = parse_form(b"b=a%2Bb&a=1&b=2", BodyCaps::default()).expect("valid");
        assert_eq!(m.keys(), vec!["b".to_owned(), "a".to_owned()]);
        assert_eq!(m.get("b"), Field::Value(&Value::from("2")));
        assert_eq!(m.0[0].1, Value::from("a+b"));
    }

    /// Many keys in a body cost time linear in their number: a body of the largest allowed
    /// size with 9,500 keys (the issue's attack) is refused after `max_keys` of them.
    #[test]
    fn many_keys_are_refused_at_the_cap() {
        let form: String = (0..9_500).map(|i| format!("k{i}=v&")).collect();
        assert_eq!(
            parse_form(form.as_bytes(), BodyCaps::default()),
            Err(BodyRejection::TooManyKeys { limit: 1024 })
        );
        let json = format!(
            "{{{}}}",
            (0..9_500)
                .map(|i| format!("\"k{i}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(
            parse_json(json.as_bytes(), BodyCaps::default()),
            Err(BodyRejection::TooManyKeys { limit: 1024 })
        );
    }

    #[test]
    fn field_into_patch() {
        assert_eq!(Field::<u8>::Absent.into_patch(), None);
        assert_eq!(Field::<u8>::Null.into_patch(), Some(None));
        assert_eq!(Field::Value(1).into_patch(), Some(Some(1)));
        assert!(Field::<u8>::Null.is_sent());
    }
}
