//! The verification API's request patterns (`POST /admin/journal/count` and `/find`), like
//! WireMock's request verification: a [`Pattern`] parsed from JSON and checked, and its test of
//! one journal entry ([`Pattern::matches`]).
//!
//! A pattern's parts are all optional and must all hold: `surface`, `method`, `path` (exact) or
//! `path_pattern` (a regular expression), `route` (the matched route template), `status`,
//! `headers` and `query` (`{name: matcher}`), `body` (a list of body matchers) and `since` (an
//! entry id). A matcher is one of `{"equal_to": "x"}`, `{"contains": "x"}`, `{"matches": "re"}`
//! or `{"absent": true}` (`false`: present). A body matcher is a matcher, or `equal_to_json` /
//! `contains_json`, optionally under an RFC 6901 `pointer` into the JSON body.
//!
//! Everything is matched against what the journal keeps, as `GET /admin/journal` shows it:
//! secret headers, query parameters and body fields read as `[redacted]`, values and bodies cut
//! at the journal's caps. Regular expressions use the `regex` crate (linear time, no
//! look-around or back-references), are anchored (the whole value must match) and are capped in
//! length ([`MAX_REGEX_LEN`]) and compiled size ([`REGEX_SIZE_LIMIT`]); a pattern holds at most
//! [`MAX_MATCHERS`] header, query and body matchers. `contains_json` walks the body once (an
//! array holds the given elements as an ordered subsequence, matched greedily), so matching an
//! entry is linear in its size.

use std::{collections::BTreeMap, sync::Arc};

use gateway_core::Surface;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::journal::{Captured, Journal, RecordedBody, url_decode};
use crate::dialects::REGISTRY;

/// Bytes of one regular expression's text.
pub const MAX_REGEX_LEN: usize = 1024;
/// Bytes of one compiled regular expression (the `regex` crate's `size_limit`, and the limit of
/// its lazy DFA's cache). `\w+` and `\p{L}+` fit; a counted repetition of a Unicode class
/// (`\w{100}`: several MiB) does not, `(?-u:\w){100}` or `[a-z]{100}` do.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Header, query and body matchers of one pattern, together.
pub const MAX_MATCHERS: usize = 32;

/// Why a pattern is refused: the field (`headers.accept.matches`, `body[1].pointer`) and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Where in the pattern.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Refused {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A test of one text value (a header, a query parameter).
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The value is exactly this.
    EqualTo(String),
    /// The value contains this.
    Contains(String),
    /// The whole value matches this (anchored) regular expression.
    Matches(Regex),
    /// `true`: there is no such value; `false`: there is one, whatever it is.
    Absent(bool),
}

impl Matcher {
    /// Whether `value` (`None`: there is none) passes.
    pub fn test(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Self::Absent(absent), v) => *absent == v.is_none(),
            (_, None) => false,
            (Self::EqualTo(want), Some(v)) => v == want,
            (Self::Contains(want), Some(v)) => v.contains(want.as_str()),
            (Self::Matches(re), Some(v)) => re.is_match(v),
        }
    }
}

/// What a body matcher checks.
#[derive(Debug, Clone)]
pub enum BodyTest {
    /// Without a pointer, the body text is exactly this string; with one, the value is equal
    /// JSON (as [`BodyTest::EqualToJson`]).
    EqualTo(Value),
    /// The text (the body's, or the pointed value's: a string's own text, another value's JSON
    /// text) contains this.
    Contains(String),
    /// That text matches this (anchored) regular expression.
    Matches(Regex),
    /// The pointer resolves to nothing (`true`) or to something (`false`).
    Absent(bool),
    /// The JSON value equals this one (numbers compared by value: `1` equals `1.0`).
    EqualToJson(Value),
    /// The JSON value contains this one (see [`contains_json`]).
    ContainsJson(Value),
}

/// One test of the request body: a [`BodyTest`], optionally under an RFC 6901 pointer into the
/// JSON body.
#[derive(Debug, Clone)]
pub struct BodyMatcher {
    /// `""` is the whole document, `/a/0/b~1c` a path into it; `None`: the body itself.
    pub pointer: Option<String>,
    /// The test.
    pub test: BodyTest,
}

/// The request body of one entry, rendered and parsed at most once, and only when a body
/// matcher asks.
struct Body<'a> {
    entry: &'a Captured,
    body_limit: usize,
    recorded: Option<RecordedBody>,
    json: Option<Option<Value>>,
}

impl Body<'_> {
    fn recorded(&mut self) -> &RecordedBody {
        let (entry, limit) = (self.entry, self.body_limit);
        self.recorded
            .get_or_insert_with(|| entry.request_body(limit))
    }

    /// The text as the journal shows it; `None` when empty or not kept.
    fn text(&mut self) -> Option<&str> {
        self.recorded().text.as_deref()
    }

    /// The body as a JSON document; `None` when it is not one (or was cut at the body limit).
    fn json(&mut self) -> Option<&Value> {
        if self.json.is_none() {
            let recorded = self.recorded();
            let parsed = recorded
                .text
                .as_deref()
                .filter(|_| !recorded.truncated)
                .and_then(|t| serde_json::from_str(t).ok());
            self.json = Some(parsed);
        }
        self.json.as_ref().and_then(Option::as_ref)
    }
}

impl BodyMatcher {
    fn test(&self, body: &mut Body<'_>) -> bool {
        let Some(pointer) = &self.pointer else {
            return match &self.test {
                BodyTest::EqualTo(Value::String(want)) => body.text() == Some(want.as_str()),
                BodyTest::Contains(want) => body.text().is_some_and(|t| t.contains(want.as_str())),
                BodyTest::Matches(re) => body.text().is_some_and(|t| re.is_match(t)),
                BodyTest::EqualToJson(want) => body.json().is_some_and(|v| json_equal(v, want)),
                BodyTest::ContainsJson(want) => body.json().is_some_and(|v| contains_json(v, want)),
                // Refused when parsed: `equal_to` a non-string and `absent` need a pointer.
                BodyTest::EqualTo(_) | BodyTest::Absent(_) => false,
            };
        };
        let Some(document) = body.json() else {
            return false;
        };
        let value = document.pointer(pointer);
        match (&self.test, value) {
            (BodyTest::Absent(absent), v) => *absent == v.is_none(),
            (_, None) => false,
            (BodyTest::EqualTo(want) | BodyTest::EqualToJson(want), Some(v)) => json_equal(v, want),
            (BodyTest::ContainsJson(want), Some(v)) => contains_json(v, want),
            (BodyTest::Contains(want), Some(v)) => value_text(v).contains(want.as_str()),
            (BodyTest::Matches(re), Some(v)) => re.is_match(&value_text(v)),
        }
    }
}

/// A string's own text; any other value's JSON text.
fn value_text(value: &Value) -> std::borrow::Cow<'_, str> {
    match value {
        Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

/// JSON equality with numbers compared by value (`1`, `1.0` and `1e0` are equal).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64()) {
            (Some(x), Some(y), _) => x == y,
            (_, _, Some(x)) if y.as_u64().is_some() => Some(x) == y.as_u64(),
            _ => x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `actual` contains `wanted`: an object holds every key of the wanted object with a
/// value that contains the wanted value (other keys ignored); an array holds the wanted array's
/// elements in that order, each contained by one of its elements, others allowed between (an
/// ordered subsequence, matched greedily: linear in the size of `actual`); any other value is
/// [`json_equal`].
pub fn contains_json(actual: &Value, wanted: &Value) -> bool {
    match (actual, wanted) {
        (Value::Object(actual), Value::Object(wanted)) => wanted
            .iter()
            .all(|(k, w)| actual.get(k).is_some_and(|a| contains_json(a, w))),
        (Value::Array(actual), Value::Array(wanted)) => {
            let mut items = actual.iter();
            wanted
                .iter()
                .all(|w| items.by_ref().any(|a| contains_json(a, w)))
        }
        _ => json_equal(actual, wanted),
    }
}

/// A parsed, checked request pattern.
#[derive(Debug, Clone, Default)]
pub struct Pattern {
    /// A surface name as the journal records it.
    pub surface: Option<&'static str>,
    /// The HTTP method (compared without regard to case).
    pub method: Option<String>,
    /// The exact path (without the query).
    pub path: Option<String>,
    /// A regular expression the whole path matches.
    pub path_pattern: Option<Regex>,
    /// The route template that matched (`/api/v1/users/{user_id}`).
    pub route: Option<String>,
    /// The response status.
    pub status: Option<u16>,
    /// Header matchers by lower-case name.
    pub headers: Vec<(String, Matcher)>,
    /// Query parameter matchers by (decoded) name.
    pub query: Vec<(String, Matcher)>,
    /// Body matchers.
    pub body: Vec<BodyMatcher>,
    /// Only entries with a larger id.
    pub since: Option<u64>,
}

/// The pattern as sent, before its parts are checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    surface: Option<String>,
    method: Option<String>,
    path: Option<String>,
    path_pattern: Option<String>,
    route: Option<String>,
    status: Option<u16>,
    headers: Option<BTreeMap<String, Value>>,
    query: Option<BTreeMap<String, Value>>,
    body: Option<Vec<Value>>,
    since: Option<u64>,
}

/// Compiles a regular expression within the caps.
fn build(text: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(text)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Compiles `text` anchored at both ends, within the caps. `text` must be a regular expression
/// on its own first, so it cannot close the wrapping group (`a)|(b` is refused, not read as
/// `^(?:a)|(b)$`).
fn regex(field: &str, text: &str) -> Result<Regex, Refused> {
    if text.len() > MAX_REGEX_LEN {
        return Err(Refused::new(
            field,
            format!("a regular expression is at most {MAX_REGEX_LEN} bytes"),
        ));
    }
    let refuse = |e: regex::Error| {
        Refused::new(
            field,
            format!("not a valid regular expression: {}", reason(&e)),
        )
    };
    build(text).map_err(refuse)?;
    build(&format!("^(?:{text})$")).map_err(|e| match e {
        // A verbose-mode comment at the very end swallows the closing group.
        regex::Error::Syntax(_) => Refused::new(
            field,
            "not a valid regular expression: it must not end in a (?x) comment",
        ),
        other => refuse(other),
    })
}

/// The last line of a `regex` error (a syntax error is drawn over several lines: the
/// expression, a caret under the fault, then `error: <what>`).
fn reason(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or_default().trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

/// The only key of a matcher object and its value.
fn single_key<'a>(field: &str, value: &'a Value) -> Result<(&'a str, &'a Value), Refused> {
    let Some(object) = value.as_object() else {
        return Err(Refused::new(
            field,
            "must be an object with one matcher: equal_to, contains, matches or absent",
        ));
    };
    let mut keys = object.iter();
    match (keys.next(), keys.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        _ => Err(Refused::new(
            field,
            "must have exactly one matcher: equal_to, contains, matches or absent",
        )),
    }
}

fn string<'a>(field: &str, value: &'a Value) -> Result<&'a str, Refused> {
    value
        .as_str()
        .ok_or_else(|| Refused::new(field, "must be a string"))
}

fn absent(field: &str, value: &Value) -> Result<bool, Refused> {
    value
        .as_bool()
        .ok_or_else(|| Refused::new(field, "must be true or false"))
}

impl Matcher {
    /// Parses `{"equal_to"|"contains"|"matches": "..."}` or `{"absent": bool}`.
    fn parse(field: &str, value: &Value) -> Result<Self, Refused> {
        let (key, arg) = single_key(field, value)?;
        let at = format!("{field}.{key}");
        Ok(match key {
            "equal_to" => Self::EqualTo(string(&at, arg)?.to_owned()),
            "contains" => Self::Contains(string(&at, arg)?.to_owned()),
            "matches" => Self::Matches(regex(&at, string(&at, arg)?)?),
            "absent" => Self::Absent(absent(&at, arg)?),
            other => {
                return Err(Refused::new(
                    field,
                    format!(
                        "unknown matcher `{other}`, expected one of equal_to, contains, matches, absent"
                    ),
                ));
            }
        })
    }
}

impl BodyMatcher {
    /// Parses `{"pointer"?: "/a/b", <one test>}`.
    fn parse(field: &str, value: &Value) -> Result<Self, Refused> {
        let Some(object) = value.as_object() else {
            return Err(Refused::new(
                field,
                "must be an object: an optional pointer and one of equal_to, contains, matches, absent, equal_to_json, contains_json",
            ));
        };
        let mut rest: Map<String, Value> = object.clone();
        let pointer = match rest.remove("pointer") {
            None => None,
            Some(Value::String(p)) if p.is_empty() || p.starts_with('/') => Some(p),
            Some(Value::String(_)) => {
                return Err(Refused::new(
                    format!("{field}.pointer"),
                    "a JSON pointer (RFC 6901) is empty or starts with `/`",
                ));
            }
            Some(_) => {
                return Err(Refused::new(format!("{field}.pointer"), "must be a string"));
            }
        };
        let mut keys = rest.iter();
        let (key, arg) = match (keys.next(), keys.next()) {
            (Some((k, v)), None) => (k.as_str(), v),
            _ => {
                return Err(Refused::new(
                    field,
                    "must have exactly one of equal_to, contains, matches, absent, equal_to_json, contains_json (and optionally pointer)",
                ));
            }
        };
        let at = format!("{field}.{key}");
        let test = match key {
            "equal_to" if pointer.is_some() => BodyTest::EqualTo(arg.clone()),
            "equal_to" => BodyTest::EqualTo(Value::String(string(&at, arg)?.to_owned())),
            "contains" => BodyTest::Contains(string(&at, arg)?.to_owned()),
            "matches" => BodyTest::Matches(regex(&at, string(&at, arg)?)?),
            "absent" if pointer.is_none() => {
                return Err(Refused::new(at, "absent needs a pointer"));
            }
            "absent" => BodyTest::Absent(absent(&at, arg)?),
            "equal_to_json" => BodyTest::EqualToJson(arg.clone()),
            "contains_json" => BodyTest::ContainsJson(arg.clone()),
            other => {
                return Err(Refused::new(
                    field,
                    format!(
                        "unknown key `{other}`, expected pointer and one of equal_to, contains, matches, absent, equal_to_json, contains_json"
                    ),
                ));
            }
        };
        Ok(Self { pointer, test })
    }
}

/// The registered surface called `name`, as the journal records it.
fn registered_surface(name: &str) -> Result<&'static str, Refused> {
    REGISTRY
        .surfaces()
        .filter_map(|s| s.name.parse::<Surface>().ok())
        .map(Surface::as_str)
        .find(|s| *s == name)
        .ok_or_else(|| {
            let known: Vec<&str> = REGISTRY.surfaces().map(|s| s.name).collect();
            Refused::new(
                "surface",
                format!(
                    "unknown surface {name:?} (registered: {})",
                    known.join(", ")
                ),
            )
        })
}

impl Pattern {
    /// Parses and checks a pattern: unknown keys, a wrong type, an unknown surface, a bad or
    /// oversized regular expression, `path` with `path_pattern`, or more than [`MAX_MATCHERS`]
    /// matchers are refused, with the field they concern.
    pub fn parse(value: Value) -> Result<Self, Refused> {
        if !value.is_object() {
            return Err(Refused::new("pattern", "must be a JSON object"));
        }
        let raw: RawPattern =
            serde_json::from_value(value).map_err(|e| Refused::new("pattern", e.to_string()))?;
        let RawPattern {
            surface,
            method,
            path,
            path_pattern,
            route,
            status,
            headers,
            query,
            body,
            since,
        } = raw;
        if path.is_some() && path_pattern.is_some() {
            return Err(Refused::new(
                "path_pattern",
                "give path or path_pattern, not both",
            ));
        }
        let (headers, query, body) = (
            headers.unwrap_or_default(),
            query.unwrap_or_default(),
            body.unwrap_or_default(),
        );
        let matchers = headers.len() + query.len() + body.len();
        if matchers > MAX_MATCHERS {
            return Err(Refused::new(
                "pattern",
                format!("at most {MAX_MATCHERS} header, query and body matchers, not {matchers}"),
            ));
        }
        let mut header_matchers: Vec<(String, Matcher)> = Vec::with_capacity(headers.len());
        for (name, m) in &headers {
            let lower = name.to_ascii_lowercase();
            if header_matchers.iter().any(|(n, _)| *n == lower) {
                return Err(Refused::new(
                    format!("headers.{name}"),
                    "the same header twice (names are case-insensitive)",
                ));
            }
            let matcher = Matcher::parse(&format!("headers.{name}"), m)?;
            header_matchers.push((lower, matcher));
        }
        Ok(Self {
            surface: surface.as_deref().map(registered_surface).transpose()?,
            method,
            path,
            path_pattern: path_pattern
                .as_deref()
                .map(|p| regex("path_pattern", p))
                .transpose()?,
            route,
            status,
            headers: header_matchers,
            query: query
                .iter()
                .map(|(name, m)| Ok((name.clone(), Matcher::parse(&format!("query.{name}"), m)?)))
                .collect::<Result<_, Refused>>()?,
            body: body
                .iter()
                .enumerate()
                .map(|(i, m)| BodyMatcher::parse(&format!("body[{i}]"), m))
                .collect::<Result<_, _>>()?,
            since,
        })
    }

    /// Whether the journaled `entry` matches (its request body rendered, cut at `body_limit`,
    /// only when a body matcher needs it and every cheaper part held).
    pub fn matches(&self, entry: &Captured, body_limit: usize) -> bool {
        let request = &entry.request;
        self.since.is_none_or(|id| entry.id > id)
            && self.surface.is_none_or(|s| s == entry.surface)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&request.method))
            && self.status.is_none_or(|s| entry.response.status == Some(s))
            && self
                .route
                .as_deref()
                .is_none_or(|r| entry.route.as_deref() == Some(r))
            && self.path.as_deref().is_none_or(|p| *p == *request.path)
            && self
                .path_pattern
                .as_ref()
                .is_none_or(|re| re.is_match(&request.path))
            && self
                .headers
                .iter()
                .all(|(name, m)| m.test(header(entry, name).as_deref()))
            && self
                .query
                .iter()
                .all(|(name, m)| query_holds(entry, name, m))
            && {
                let mut body = Body {
                    entry,
                    body_limit,
                    recorded: None,
                    json: None,
                };
                self.body.iter().all(|m| m.test(&mut body))
            }
    }
}

/// A request header as the journal shows it (repeated headers joined with `, `).
fn header(entry: &Captured, name: &str) -> Option<String> {
    let mut values = entry
        .request
        .headers
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v);
    let first = values.next()?;
    Some(values.fold(first.to_owned(), |mut joined, v| {
        joined.push_str(", ");
        joined.push_str(v);
        joined
    }))
}

/// Whether a query parameter matcher holds: `absent` when the parameter does not occur; any
/// other matcher when one of its occurrences (percent-decoded) passes.
fn query_holds(entry: &Captured, name: &str, matcher: &Matcher) -> bool {
    let query = entry.request.query.as_deref().unwrap_or_default();
    let mut values = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .filter(|(n, _)| url_decode(n) == name)
        .map(|(_, v)| url_decode(v));
    match matcher {
        Matcher::Absent(absent) => *absent == values.next().is_none(),
        _ => values.any(|v| matcher.test(Some(&v))),
    }
}

/// The journal's entries that match `pattern`, newest first. The journal is locked only to
/// clone the entries' `Arc`s ([`Journal::snapshot`]); matching happens after.
pub fn matching(journal: &Journal, pattern: &Pattern) -> Vec<Arc<Captured>> {
    let body_limit = journal.body_limit();
    journal
        .snapshot(pattern.surface, pattern.since)
        .into_iter()
        .filter(|entry| pattern.matches(entry, body_limit))
        .collect()
}

#[cfg(test)]
mod tests {
    use actix_web::http::{
        Method, Uri,
        header::{HeaderMap, HeaderName, HeaderValue},
    };
    use serde_json::json;

    use super::*;
    use crate::emulator::journal::{CapturedBody, CapturedRequest, CapturedResponse};

    /// A journaled request of `surface` (body as JSON when it parses, else text/plain).
    fn captured(
        surface: &'static str,
        method: Method,
        uri: &'static str,
        headers: &[(&'static str, &'static str)],
        body: &str,
    ) -> Captured {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        let content_type = if serde_json::from_str::<Value>(body).is_ok() {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        map.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static(content_type),
        );
        let uri = Uri::from_static(uri);
        Captured {
            id: 7,
            surface,
            route: Some("/api/v1/users/{user_id}".into()),
            request_id: None,
            started_at: chrono::Utc::now(),
            duration_ms: 1.0,
            total_ms: 1.0,
            request: CapturedRequest::capture(
                &method,
                &uri,
                &map,
                CapturedBody::capture(body.as_bytes(), body.len(), true, 1024, content_type),
            ),
            response: CapturedResponse::capture(Some(200), &HeaderMap::new(), false),
            fault: None,
        }
    }

    fn sample() -> Captured {
        captured(
            "users",
            Method::PATCH,
            "/api/v1/users/42?page=2&tag=a&tag=b%20c&api_key=s3",
            &[
                ("accept", "a/b"),
                ("accept", "c/d"),
                ("authorization", "Bearer hunter2"),
                ("x-client", "sdk/1.2.3"),
            ],
            r#"{"first_name":"Ada","age":36,"ratio":0.5,"admin":false,"password":"pw","tags":["x","y","z"],"profile":{"city":"London","zip":"N1"}}"#,
        )
    }

    fn pattern(value: Value) -> Pattern {
        Pattern::parse(value).unwrap_or_else(|e| panic!("refused: {e}"))
    }

    fn holds(value: Value) -> bool {
        pattern(value).matches(&sample(), 1024)
    }

    fn refused(value: Value) -> Refused {
        match Pattern::parse(value) {
            Ok(p) => panic!("accepted: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn text_matchers_test_a_value_or_its_absence() {
        let m = |v: Value| Matcher::parse("m", &v).unwrap();
        assert!(m(json!({"equal_to": "abc"})).test(Some("abc")));
        assert!(!m(json!({"equal_to": "abc"})).test(Some("abcd")));
        assert!(!m(json!({"equal_to": "abc"})).test(None));
        assert!(m(json!({"contains": "bc"})).test(Some("abcd")));
        assert!(!m(json!({"contains": "x"})).test(Some("abcd")));
        assert!(m(json!({"matches": "a.c"})).test(Some("abc")));
        assert!(
            !m(json!({"matches": "b"})).test(Some("abc")),
            "anchored: the whole value must match"
        );
        assert!(!m(json!({"matches": ".*"})).test(None));
        assert!(m(json!({"absent": true})).test(None));
        assert!(!m(json!({"absent": true})).test(Some("")));
        assert!(m(json!({"absent": false})).test(Some("")));
        assert!(!m(json!({"absent": false})).test(None));
    }

    #[test]
    fn the_request_line_parts_match_exactly_or_by_anchored_regex() {
        assert!(holds(json!({})));
        assert!(holds(
            json!({"surface": "users", "method": "patch", "status": 200})
        ));
        assert!(!holds(json!({"surface": "me"})));
        assert!(!holds(json!({"method": "GET"})));
        assert!(!holds(json!({"status": 404})));
        assert!(holds(json!({"path": "/api/v1/users/42"})));
        assert!(!holds(json!({"path": "/api/v1/users"})), "path is exact");
        assert!(holds(json!({"path_pattern": "/api/v1/users/\\d+"})));
        assert!(!holds(json!({"path_pattern": "/api/v1/users"})), "anchored");
        assert!(holds(json!({"route": "/api/v1/users/{user_id}"})));
        assert!(!holds(json!({"route": "/api/v1/users/42"})));
        assert!(holds(json!({"since": 6})));
        assert!(!holds(json!({"since": 7})), "only entries after `since`");
    }

    #[test]
    fn headers_match_by_case_insensitive_name_as_journaled() {
        assert!(holds(
            json!({"headers": {"X-Client": {"matches": "sdk/1\\..*"}}})
        ));
        assert!(holds(
            json!({"headers": {"accept": {"equal_to": "a/b, c/d"}}})
        ));
        assert!(holds(
            json!({"headers": {"Authorization": {"equal_to": "[redacted]"}}})
        ));
        assert!(
            !holds(json!({"headers": {"authorization": {"contains": "hunter2"}}})),
            "secrets are matched in their redacted form"
        );
        assert!(holds(json!({"headers": {"x-missing": {"absent": true}}})));
        assert!(!holds(json!({"headers": {"x-client": {"absent": true}}})));
        assert!(holds(json!({"headers": {"x-client": {"absent": false}}})));
        let e =
            refused(json!({"headers": {"Accept": {"contains": "a"}, "accept": {"contains": "b"}}}));
        assert!(e.field.starts_with("headers."), "{e}");
    }

    #[test]
    fn query_parameters_are_decoded_and_any_occurrence_matches() {
        assert!(holds(json!({"query": {"page": {"equal_to": "2"}}})));
        assert!(holds(json!({"query": {"tag": {"equal_to": "b c"}}})));
        assert!(holds(json!({"query": {"tag": {"equal_to": "a"}}})));
        assert!(!holds(json!({"query": {"tag": {"equal_to": "d"}}})));
        assert!(holds(
            json!({"query": {"api_key": {"equal_to": "[redacted]"}}})
        ));
        assert!(holds(json!({"query": {"sort": {"absent": true}}})));
        assert!(!holds(json!({"query": {"page": {"absent": true}}})));
        assert!(!holds(json!({"query": {"sort": {"contains": ""}}})));
    }

    #[test]
    fn pointer_matchers_compare_json_values() {
        assert!(holds(
            json!({"body": [{"pointer": "/first_name", "equal_to": "Ada"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/age", "equal_to": 36}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/age", "equal_to": 36.0}]})
        ));
        assert!(!holds(
            json!({"body": [{"pointer": "/age", "equal_to": "36"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/ratio", "equal_to": 0.5}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/admin", "equal_to": false}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/tags/1", "equal_to": "y"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/profile/city", "contains": "Lond"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/age", "matches": "3\\d"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/password", "equal_to": "[redacted]"}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/nope", "absent": true}]})
        ));
        assert!(!holds(
            json!({"body": [{"pointer": "/age", "absent": true}]})
        ));
        assert!(!holds(
            json!({"body": [{"pointer": "/nope", "equal_to": null}]})
        ));
        assert!(holds(
            json!({"body": [{"pointer": "/profile", "contains_json": {"zip": "N1"}}]})
        ));
    }

    #[test]
    fn whole_body_matchers_see_the_text_or_the_document() {
        assert!(holds(
            json!({"body": [{"contains": "\"first_name\":\"Ada\""}]})
        ));
        assert!(holds(json!({"body": [{"matches": "\\{.*London.*\\}"}]})));
        assert!(!holds(json!({"body": [{"contains": "\"pw\""}]})));
        assert!(holds(json!({"body": [
            {"contains_json": {"profile": {"city": "London"}, "tags": ["x", "z"]}},
            {"pointer": "", "contains_json": {"age": 36}},
        ]})));
        assert!(!holds(
            json!({"body": [{"contains_json": {"profile": {"city": "Paris"}}}]})
        ));
        assert!(!holds(json!({"body": [{"equal_to_json": {"age": 36}}]})));
        let whole = serde_json::from_str::<Value>(
            r#"{"first_name":"Ada","age":36.0,"ratio":0.5,"admin":false,"password":"[redacted]","tags":["x","y","z"],"profile":{"zip":"N1","city":"London"}}"#,
        )
        .unwrap();
        assert!(holds(json!({"body": [{"equal_to_json": whole}]})));

        let form = captured("me", Method::POST, "/me", &[], "a=1&password=pw");
        let p = pattern(json!({"body": [{"equal_to": "a=1&password=[redacted]"}]}));
        assert!(p.matches(&form, 1024));
        let p = pattern(json!({"body": [{"pointer": "/a", "absent": true}]}));
        assert!(!p.matches(&form, 1024), "JSON matchers need a JSON body");
        let p = pattern(json!({"body": [{"contains_json": {}}]}));
        assert!(!p.matches(&form, 1024));
        let mut cut = sample();
        let text = r#"{"age": 36, "bio": "a long text"}"#;
        cut.request.body =
            CapturedBody::capture(text.as_bytes(), text.len(), true, 16, "application/json");
        let p = pattern(json!({"body": [{"contains": "\"age\": 36"}]}));
        assert!(p.matches(&cut, 1024), "text matchers see the cut text");
        let p = pattern(json!({"body": [{"contains_json": {"age": 36}}]}));
        assert!(
            !p.matches(&cut, 1024),
            "a body cut at the limit is not a JSON document"
        );
    }

    #[test]
    fn contains_json_is_a_recursive_subset_with_ordered_arrays() {
        let doc = json!({"a": 1, "b": {"c": [1, {"d": 2, "e": 3}, 4], "f": null}});
        assert!(contains_json(&doc, &json!({})));
        assert!(contains_json(&doc, &json!({"a": 1.0})));
        assert!(contains_json(&doc, &json!({"b": {"c": [{"e": 3}]}})));
        assert!(contains_json(&doc, &json!({"b": {"c": [1, 4]}})));
        assert!(
            !contains_json(&doc, &json!({"b": {"c": [4, 1]}})),
            "order kept"
        );
        assert!(!contains_json(&doc, &json!({"b": {"c": [1, 1]}})));
        assert!(contains_json(&doc, &json!({"b": {"f": null}})));
        assert!(
            !contains_json(&doc, &json!({"b": {"g": null}})),
            "absent is not null"
        );
        assert!(!contains_json(&doc, &json!({"a": "1"})));
        assert!(!contains_json(&doc, &json!([1])));
        assert!(json_equal(&json!([1, {"x": 2}]), &json!([1.0, {"x": 2e0}])));
        assert!(!json_equal(&json!({"x": 1}), &json!({"x": 1, "y": 2})));
        assert!(!json_equal(&json!(u64::MAX), &json!(-1)));
        assert!(json_equal(&json!(u64::MAX), &json!(u64::MAX)));
    }

    #[test]
    fn realistic_regexes_fit_the_caps() {
        for re in [
            r"[\w.+-]+@example\.com",
            r"(?i)bearer [\w.-]+",
            r".*\p{L}+.*",
            r"/api/v1/users/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            r"[a-z0-9]{100}",
            r"(?-u:\w){100}",
            "(?x) /api  # the prefix\n /v1/.*",
        ] {
            assert!(regex("m", re).is_ok(), "{re}");
        }
        let verbose = regex("m", "(?x) /api  # the prefix\n /v1/.*").unwrap();
        assert!(verbose.is_match("/api/v1/user") && !verbose.is_match("x/api/v1/user"));
    }

    #[test]
    fn bad_patterns_are_refused_with_their_field() {
        let cases = [
            (json!({"colour": "red"}), "pattern"),
            (json!({"surface": "nowhere"}), "surface"),
            (json!({"path_pattern": "(unclosed"}), "path_pattern"),
            (json!({"path": "/a", "path_pattern": "/a"}), "path_pattern"),
            (
                json!({"path_pattern": "a".repeat(MAX_REGEX_LEN + 1)}),
                "path_pattern",
            ),
            (
                json!({"path_pattern": "\\w{1000}\\w{1000}"}),
                "path_pattern",
            ),
            (json!({"path_pattern": "(a)\\1"}), "path_pattern"),
            (json!({"path_pattern": "/a)|(.*"}), "path_pattern"),
            (
                json!({"path_pattern": "(?x)/a # a comment"}),
                "path_pattern",
            ),
            (json!({"status": "200"}), "pattern"),
            (json!({"headers": {"accept": "a/b"}}), "headers.accept"),
            (json!({"headers": {"accept": {}}}), "headers.accept"),
            (
                json!({"headers": {"accept": {"equal_to": "a", "contains": "b"}}}),
                "headers.accept",
            ),
            (
                json!({"headers": {"accept": {"like": "a"}}}),
                "headers.accept",
            ),
            (
                json!({"query": {"q": {"matches": "[z-a]"}}}),
                "query.q.matches",
            ),
            (json!({"query": {"q": {"equal_to": 2}}}), "query.q.equal_to"),
            (json!({"query": {"q": {"absent": "yes"}}}), "query.q.absent"),
            (
                json!({"body": [{"pointer": "first_name", "equal_to": "Ada"}]}),
                "body[0].pointer",
            ),
            (json!({"body": [{"pointer": "/a"}]}), "body[0]"),
            (json!({"body": [{"absent": true}]}), "body[0].absent"),
            (json!({"body": [{"equal_to": 3}]}), "body[0].equal_to"),
            (
                json!({"body": [{"contains_json": {}, "extra": 1}]}),
                "body[0]",
            ),
            (json!({"body": ["x"]}), "body[0]"),
            (json!([]), "pattern"),
        ];
        for (value, field) in cases {
            let e = refused(value.clone());
            assert_eq!(e.field, field, "{value}: {e}");
            assert!(!e.message.contains('\n'), "{e}");
        }
        assert_eq!(
            refused(json!({"path_pattern": "(unclosed"})).message,
            "not a valid regular expression: unclosed group"
        );
        let e = refused(json!({"surface": "nowhere"}));
        assert!(
            e.message.contains("\"nowhere\"") && e.message.contains("account-profile"),
            "{e}"
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_MATCHERS)
            .map(|i| (format!("x-{i}"), json!({"absent": true})))
            .collect();
        assert_eq!(refused(json!({"headers": many})).field, "pattern");
    }

    #[test]
    fn the_journal_is_matched_newest_first() {
        let journal = Journal::new(crate::emulator::journal::JournalLimits::default());
        journal.record(sample());
        journal.record(captured("me", Method::GET, "/me", &[], ""));
        journal.record(sample());
        let ids = |p: Value| -> Vec<u64> {
            matching(&journal, &pattern(p))
                .iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(ids(json!({})), [3, 2, 1]);
        assert_eq!(ids(json!({"surface": "users"})), [3, 1]);
        assert_eq!(ids(json!({"method": "GET"})), [2]);
        assert_eq!(ids(json!({"surface": "users", "since": 1})), [3]);
        assert_eq!(
            ids(json!({"body": [{"pointer": "/age", "equal_to": 36}]})),
            [3, 1]
        );
    }
}
