//! Request bodies as the vendor parses them (`smart-request.tsx` `parseBody`): by content type,
//! before authentication, ignored on GET. Reading and parsing are the shared body layer's
//! (`gateway_http::body`: linear in the body, capped in keys and depth before any work that grows
//! with them); what stays here are the vendor's quirks: the four content types it reads, no
//! content type meaning no body, repeated keys where the last wins (as `JSON.parse` and
//! `Object.fromEntries` do) and its `BODY_PARSING_ERROR` texts. [`rejection`] is the one place a
//! [`BodyRejection`] becomes an answer of this surface.

use actix_web::{
    HttpRequest,
    dev::Payload,
    http::{Method, StatusCode},
    web::Bytes,
};
use gateway_http::body::{self as shared, BodyCaps, BodyRejection, Json, Members};
use serde_json::Value;

use crate::{error::TieredError, known::KnownError};

/// A parsed request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No content type (or a GET): no body.
    Absent,
    /// `application/json`.
    Json(Json),
    /// `application/x-www-form-urlencoded`: fields as strings, in order, repeats kept.
    Form(Members),
    /// `text/plain`.
    Text(String),
    /// `application/octet-stream`.
    Bytes(Bytes),
}

impl Body {
    /// The body as a JSON value (`undefined` → `None`; an object's repeated keys: the last
    /// wins), and the keys of a top-level object in the order they first appear.
    pub fn as_json(&self) -> (Option<Value>, Vec<String>) {
        match self {
            Self::Absent => (None, Vec::new()),
            Self::Json(Json::Object(members)) | Self::Form(members) => (
                Some(Value::Object(members.clone().into_map())),
                members.keys(),
            ),
            Self::Json(Json::Other(value)) => (Some(value.clone()), Vec::new()),
            Self::Text(text) => (Some(Value::String(text.clone())), Vec::new()),
            Self::Bytes(bytes) => (
                Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
                Vec::new(),
            ),
        }
    }
}

/// A refused body in this surface's envelope: the vendor's `BODY_PARSING_ERROR` texts for what
/// it refuses itself, the same code with the cap for the gateway's key and depth caps, and plain
/// text for the transport failures (413 over the body limit, 400 for a broken stream).
pub fn rejection(r: BodyRejection) -> TieredError {
    let parsing = |message: &str| TieredError::from(KnownError::body_parsing_error(message));
    match r {
        BodyRejection::TooLarge { limit } => TieredError::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is too large (limit: {limit} bytes)"),
        ),
        BodyRejection::Unreadable => {
            TieredError::text(StatusCode::BAD_REQUEST, "Request body could not be read")
        }
        BodyRejection::UnsupportedMediaType { found } => parsing(&format!(
            "Unknown content type in request body: {}",
            found.as_deref().unwrap_or("undefined")
        )),
        BodyRejection::NotUtf8 => parsing("Request body cannot be parsed as UTF-8"),
        // Only JSON bodies are refused as malformed (the vendor's form parser accepts anything).
        BodyRejection::Malformed(_) => parsing("Invalid JSON in request body"),
        // Not produced here (any JSON value is read, and repeats are allowed: the last wins);
        // named so that a new rejection is a decision here.
        BodyRejection::NotAnObject | BodyRejection::DuplicateKey(_) => {
            parsing("Invalid JSON in request body")
        }
        BodyRejection::TooManyKeys { limit } => {
            parsing(&format!("Request body has too many keys (limit: {limit})"))
        }
        BodyRejection::TooDeep { limit } => parsing(&format!(
            "Request body is nested too deeply (limit: {limit} levels)"
        )),
    }
}

/// Parses `bytes` according to the request's content type, within `caps`.
pub fn parse(req: &HttpRequest, bytes: Bytes, caps: BodyCaps) -> Result<Body, BodyRejection> {
    if req.method() == Method::GET {
        return Ok(Body::Absent);
    }
    let Some(media) = shared::media_type(req) else {
        return Ok(Body::Absent);
    };
    match media.as_str() {
        "application/json" => shared::parse_json(&bytes, caps).map(Body::Json),
        "application/x-www-form-urlencoded" => shared::parse_form(&bytes, caps).map(Body::Form),
        "text/plain" => std::str::from_utf8(&bytes)
            .map(|text| Body::Text(text.to_owned()))
            .map_err(|_| BodyRejection::NotUtf8),
        "application/octet-stream" => Ok(Body::Bytes(bytes)),
        _ => Err(BodyRejection::UnsupportedMediaType { found: Some(media) }),
    }
}

/// Reads the payload (the gateway's body limit) and parses it (the registered [`BodyCaps`]).
pub async fn read_and_parse(req: &HttpRequest, payload: Payload) -> Result<Body, TieredError> {
    let bytes = shared::read_limited(req, payload)
        .await
        .map_err(rejection)?;
    parse(req, bytes, shared::caps_of(req)).map_err(rejection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{http::header, test::TestRequest};

    fn with_type(ct: &str) -> HttpRequest {
        TestRequest::patch()
            .insert_header((header::CONTENT_TYPE, ct))
            .to_http_request()
    }

    fn refused(ct: &str, body: &'static [u8]) -> String {
        let r = parse(
            &with_type(ct),
            Bytes::from_static(body),
            BodyCaps::default(),
        )
        .expect_err("refused");
        let e = rejection(r);
        e.known().map(|k| k.message.clone()).unwrap_or_default()
    }

    #[test]
    fn json_keeps_the_key_order_and_the_last_repeat_wins() {
        let body = parse(
            &with_type("application/json"),
            Bytes::from_static(br#"{"z":1,"a":{"c":2},"z":3}"#),
            BodyCaps::default(),
        )
        .unwrap();
        let (value, order) = body.as_json();
        assert_eq!(order, vec!["z".to_owned(), "a".to_owned()]);
        let value = value.unwrap();
        assert_eq!(value["a"]["c"], 2);
        assert_eq!(value["z"], 3);
    }

    #[test]
    fn content_types_follow_the_vendor() {
        let form = parse(
            &with_type("application/x-www-form-urlencoded;charset=UTF-8"),
            Bytes::from_static(b"refresh_token=a%2Bb&grant_type=refresh_token&refresh_token=c"),
            BodyCaps::default(),
        )
        .unwrap();
        let (value, order) = form.as_json();
        assert_eq!(value.unwrap()["refresh_token"], "c");
        assert_eq!(order, vec!["refresh_token", "grant_type"]);
        assert_eq!(
            refused("application/xml", b"<a/>"),
            "Unknown content type in request body: application/xml"
        );
        // `+json` types are not JSON to the vendor.
        assert_eq!(
            refused("application/merge-patch+json", b"{}"),
            "Unknown content type in request body: application/merge-patch+json"
        );
        assert_eq!(
            refused("application/json", b"{\"a\":"),
            "Invalid JSON in request body"
        );
        assert_eq!(
            refused("application/json", b"\xff\xfe"),
            "Request body cannot be parsed as UTF-8"
        );
        assert_eq!(
            refused("text/plain", b"\xff"),
            "Request body cannot be parsed as UTF-8"
        );
        let text = parse(
            &with_type("Text/Plain; charset=utf-8"),
            Bytes::from_static(b"hi"),
            BodyCaps::default(),
        )
        .unwrap();
        assert_eq!(text, Body::Text("hi".into()));
        let none = parse(
            &TestRequest::patch().to_http_request(),
            Bytes::from_static(b"x"),
            BodyCaps::default(),
        )
        .unwrap();
        assert_eq!(none, Body::Absent);
        let get = TestRequest::get()
            .insert_header((header::CONTENT_TYPE, "application/xml"))
            .to_http_request();
        assert_eq!(
            parse(&get, Bytes::new(), BodyCaps::default()).unwrap(),
            Body::Absent
        );
    }

    /// The issue's attack: a body of the largest allowed size with ~9,500 distinct keys is
    /// refused once the cap is passed, as a `BODY_PARSING_ERROR` that names the cap.
    #[test]
    fn many_keys_and_deep_nesting_are_parsing_errors() {
        let form: String = (0..9_500).map(|i| format!("{i:x}=&")).collect();
        assert!(form.len() <= 64 * 1024);
        let r = parse(
            &with_type("application/x-www-form-urlencoded"),
            Bytes::from(form),
            BodyCaps::default(),
        )
        .unwrap_err();
        assert_eq!(r, BodyRejection::TooManyKeys { limit: 1024 });
        let e = rejection(r);
        let known = e.known().expect("a known error");
        assert_eq!(known.code, "BODY_PARSING_ERROR");
        assert_eq!(
            known.message,
            "Request body has too many keys (limit: 1024)"
        );

        let json = format!(
            "{{{}}}",
            (0..2_000)
                .map(|i| format!("\"{i:x}\":0"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let r = parse(
            &with_type("application/json"),
            Bytes::from(json),
            BodyCaps::default(),
        )
        .unwrap_err();
        assert_eq!(r, BodyRejection::TooManyKeys { limit: 1024 });

        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let r = parse(
            &with_type("application/json"),
            Bytes::from(deep),
            BodyCaps::default(),
        )
        .unwrap_err();
        assert_eq!(
            rejection(r).known().map(|k| k.message.clone()),
            Some("Request body is nested too deeply (limit: 64 levels)".to_owned())
        );

        // The registered caps apply.
        let small = BodyCaps {
            max_keys: 2,
            max_depth: 64,
        };
        assert!(
            parse(
                &with_type("application/x-www-form-urlencoded"),
                Bytes::from_static(b"a=1&b=2"),
                small,
            )
            .is_ok()
        );
        assert_eq!(
            parse(
                &with_type("application/x-www-form-urlencoded"),
                Bytes::from_static(b"a=1&b=2&c=3"),
                small,
            ),
            Err(BodyRejection::TooManyKeys { limit: 2 })
        );
    }

    #[test]
    fn transport_failures_are_plain_text() {
        let e = rejection(BodyRejection::TooLarge { limit: 10 });
        assert_eq!(
            e.to_string(),
            "413 Payload Too Large Request body is too large (limit: 10 bytes)"
        );
        assert!(e.known().is_none());
        let e = rejection(BodyRejection::Unreadable);
        assert!(e.known().is_none());
    }
}
