//! Reading and binding the PUT body the way ASP.NET Core's System.Text.Json input formatter does
//! [inferred]: a JSON content type is required (else 415), the body limit comes from the server's
//! `HttpLimits` at request time (else 413), property names match case-insensitively (`userName`
//! binds `UserName`; when a property appears more than once the last one wins), unknown
//! properties are ignored, and a value of the wrong JSON type is a 400 naming the property.
//!
//! Every failure goes through [`crate::error`]; nothing here answers a client directly.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, dev::Payload};
use gateway_http::body::{self, Members};
use serde_json::Value;

use crate::{
    error::PascalError,
    wire::{Message, MessageType, Severity, TARGET, UpdateAccountProfileRequest},
};

/// A JSON object's members in document order (repeats kept), so binding can apply "last one
/// wins" across spellings: the shared body layer's [`Members`].
pub type JsonObject = Members;

/// Reads the body of `req` as a JSON object (content type, size limit, caps, syntax) through the
/// shared body layer.
pub async fn read_object(req: &HttpRequest, payload: Payload) -> Result<JsonObject, PascalError> {
    body::read_object(req, payload)
        .await
        .map_err(|e| PascalError::from_body(&e, req))
}

fn wrong_type(property: &str) -> Message {
    Message {
        code: "InvalidType".to_owned(),
        message: format!("{property} must be a string or null."),
        target: Some(TARGET.to_owned()),
        field: Some(property.to_owned()),
        metadata: BTreeMap::from([("ExpectedType".to_owned(), Some("String".to_owned()))]),
        message_type: MessageType::Validation,
        severity: Severity::Error,
    }
}

/// Binds the members to the request: case-insensitive names, last one wins, unknown ones
/// ignored; every documented property whose (last) value is not a string or null is an error.
pub fn bind(object: JsonObject) -> Result<UpdateAccountProfileRequest, Vec<Message>> {
    let mut bound: [Option<Value>; 4] = Default::default();
    for (key, value) in object.0 {
        if let Some(index) = UpdateAccountProfileRequest::PROPERTIES
            .iter()
            .position(|p| p.eq_ignore_ascii_case(&key))
        {
            bound[index] = Some(value);
        }
    }
    let mut errors = Vec::new();
    let mut values: [Option<String>; 4] = Default::default();
    for (index, value) in bound.into_iter().enumerate() {
        match value {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => values[index] = Some(s),
            Some(_) => errors.push(wrong_type(UpdateAccountProfileRequest::PROPERTIES[index])),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let [user_name, email, first_name, last_name] = values;
    Ok(UpdateAccountProfileRequest {
        user_name,
        email,
        first_name,
        last_name,
    })
}

/// Reads and binds the PUT body of `req`.
pub async fn read_update(
    req: &HttpRequest,
    payload: Payload,
) -> Result<UpdateAccountProfileRequest, PascalError> {
    let object = read_object(req, payload).await?;
    bind(object).map_err(|errors| PascalError::invalid(errors, req))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_http::body::BodyCaps;

    fn object(json: &str) -> JsonObject {
        body::parse_object(json.as_bytes(), BodyCaps::default()).expect("a JSON object")
    }

    #[test]
    fn names_bind_case_insensitively_and_unknown_ones_are_ignored() {
        let request = bind(object(
            r#"{"userName":"ada","EMAIL":"a@b.co","firstname":"Ada","Nickname":"x"}"#,
        ))
        .expect("binds");
        assert_eq!(request.user_name.as_deref(), Some("ada"));
        assert_eq!(request.email.as_deref(), Some("a@b.co"));
        assert_eq!(request.first_name.as_deref(), Some("Ada"));
        assert_eq!(request.last_name, None);
    }

    #[test]
    fn the_last_spelling_wins_in_document_order() {
        let request = bind(object(r#"{"UserName":"first","userName":"second"}"#)).expect("binds");
        assert_eq!(request.user_name.as_deref(), Some("second"));
        let request = bind(object(r#"{"userName":"first","UserName":"second"}"#)).expect("binds");
        assert_eq!(request.user_name.as_deref(), Some("second"));
    }

    #[test]
    fn null_is_unchanged_and_wrong_types_name_every_property() {
        assert_eq!(
            bind(object(r#"{"FirstName":null}"#))
                .expect("binds")
                .first_name,
            None
        );
        let errors = bind(object(
            r#"{"FirstName":42,"LastName":["x"],"Email":"ok@x.io"}"#,
        ))
        .expect_err("wrong types");
        let fields: Vec<_> = errors.iter().map(|m| m.field.as_deref()).collect();
        assert_eq!(fields, [Some("FirstName"), Some("LastName")]);
        assert!(errors.iter().all(|m| m.code == "InvalidType"));
    }

    #[test]
    fn only_objects_are_bodies() {
        for json in ["[]", "\"x\"", "null", "42"] {
            let error = body::parse_object(json.as_bytes(), BodyCaps::default())
                .expect_err("not an object");
            assert_eq!(error, body::BodyRejection::NotAnObject, "{json}");
        }
        let syntax =
            body::parse_object(br#"{"FirstName":"#, BodyCaps::default()).expect_err("truncated");
        assert!(matches!(syntax, body::BodyRejection::Malformed(s) if s.eof));
    }
}
