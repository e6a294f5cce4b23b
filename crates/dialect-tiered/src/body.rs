//! Request bodies as the vendor parses them (`smart-request.tsx` `parseBody`): by content type,
//! before authentication, ignored on GET. Unknown content types, invalid JSON and invalid UTF-8
//! are `BODY_PARSING_ERROR`s.

use actix_web::{
    HttpRequest,
    http::{Method, StatusCode, header},
    web::{Bytes, BytesMut},
};
use futures_util::StreamExt;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::{error::TieredError, known::KnownError};

/// A parsed request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No content type (or a GET): no body.
    Absent,
    /// `application/json`: the value, and the keys of a top-level object in wire order.
    Json {
        /// The parsed value.
        value: Value,
        /// Top-level keys in the order they were sent (empty unless the value is an object).
        order: Vec<String>,
    },
    /// `application/x-www-form-urlencoded`: fields as strings (the last of repeated names wins).
    Form(Map<String, Value>, Vec<String>),
    /// `text/plain`.
    Text(String),
    /// `application/octet-stream`.
    Bytes(Bytes),
}

impl Body {
    /// The body as a JSON value (`undefined` → `None`), and the wire order of its top-level keys.
    pub fn as_json(&self) -> (Option<Value>, Vec<String>) {
        match self {
            Self::Absent => (None, Vec::new()),
            Self::Json { value, order } => (Some(value.clone()), order.clone()),
            Self::Form(map, order) => (Some(Value::Object(map.clone())), order.clone()),
            Self::Text(text) => (Some(Value::String(text.clone())), Vec::new()),
            Self::Bytes(bytes) => (
                Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
                Vec::new(),
            ),
        }
    }
}

/// The keys of a top-level JSON object in wire order (values are skipped).
struct TopLevelKeys(Vec<String>);

impl<'de> Deserialize<'de> for TopLevelKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = TopLevelKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevelKeys, A::Error> {
                let mut keys: Vec<String> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                Ok(TopLevelKeys(keys))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<TopLevelKeys, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<TopLevelKeys, E> {
                Ok(TopLevelKeys(Vec::new()))
            }
        }
        d.deserialize_any(Keys)
    }
}

fn parsing(message: &str) -> TieredError {
    KnownError::body_parsing_error(message).into()
}

fn utf8(bytes: &Bytes) -> Result<&str, TieredError> {
    std::str::from_utf8(bytes).map_err(|_| parsing("Request body cannot be parsed as UTF-8"))
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

/// Parses `bytes` according to the request's content type.
pub fn parse(req: &HttpRequest, bytes: Bytes) -> Result<Body, TieredError> {
    if req.method() == Method::GET {
        return Ok(Body::Absent);
    }
    let Some(media) = media_type(req) else {
        return Ok(Body::Absent);
    };
    match media.as_str() {
        "application/json" => {
            let text = utf8(&bytes)?;
            let value: Value =
                serde_json::from_str(text).map_err(|_| parsing("Invalid JSON in request body"))?;
            let order = serde_json::from_str::<TopLevelKeys>(text)
                .map(|k| k.0)
                .unwrap_or_default();
            Ok(Body::Json { value, order })
        }
        "application/x-www-form-urlencoded" => {
            let text = utf8(&bytes)?;
            let mut map = Map::new();
            let mut order = Vec::new();
            for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
                let key = k.into_owned();
                if !order.contains(&key) {
                    order.push(key.clone());
                }
                map.insert(key, Value::String(v.into_owned()));
            }
            Ok(Body::Form(map, order))
        }
        "text/plain" => Ok(Body::Text(utf8(&bytes)?.to_owned())),
        "application/octet-stream" => Ok(Body::Bytes(bytes)),
        other => Err(parsing(&format!(
            "Unknown content type in request body: {other}"
        ))),
    }
}

/// Reads the whole payload, refusing more than `limit` bytes with a plain-text 413.
pub async fn read(
    mut payload: actix_web::dev::Payload,
    limit: usize,
) -> Result<Bytes, TieredError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            TieredError::text(StatusCode::BAD_REQUEST, "Request body could not be read")
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(TieredError::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body is too large (limit: {limit} bytes)"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with_type(ct: &str) -> HttpRequest {
        TestRequest::patch()
            .insert_header((header::CONTENT_TYPE, ct))
            .to_http_request()
    }

    #[test]
    fn json_keeps_the_key_order() {
        let body = parse(
            &with_type("application/json"),
            Bytes::from_static(br#"{"z":1,"a":{"c":2}}"#),
        )
        .unwrap();
        let (value, order) = body.as_json();
        assert_eq!(order, vec!["z".to_owned(), "a".to_owned()]);
        assert_eq!(value.unwrap()["a"]["c"], 2);
    }

    #[test]
    fn content_types_follow_the_vendor() {
        let form = parse(
            &with_type("application/x-www-form-urlencoded;charset=UTF-8"),
            Bytes::from_static(b"refresh_token=a%2Bb&grant_type=refresh_token"),
        )
        .unwrap();
        let (value, order) = form.as_json();
        assert_eq!(value.unwrap()["refresh_token"], "a+b");
        assert_eq!(order[0], "refresh_token");
        let err = parse(&with_type("application/xml"), Bytes::from_static(b"<a/>")).unwrap_err();
        assert_eq!(
            err.known().map(|k| k.message.as_str()),
            Some("Unknown content type in request body: application/xml")
        );
        let err = parse(
            &with_type("application/json"),
            Bytes::from_static(b"{\"a\":"),
        )
        .unwrap_err();
        assert_eq!(
            err.known().map(|k| k.message.as_str()),
            Some("Invalid JSON in request body")
        );
        let err = parse(
            &with_type("application/json"),
            Bytes::from_static(b"\xff\xfe"),
        )
        .unwrap_err();
        assert_eq!(
            err.known().map(|k| k.message.as_str()),
            Some("Request body cannot be parsed as UTF-8")
        );
        let none = parse(
            &TestRequest::patch().to_http_request(),
            Bytes::from_static(b"x"),
        )
        .unwrap();
        assert_eq!(none, Body::Absent);
        let get = TestRequest::get()
            .insert_header((header::CONTENT_TYPE, "application/xml"))
            .to_http_request();
        assert_eq!(parse(&get, Bytes::new()).unwrap(), Body::Absent);
    }
}
