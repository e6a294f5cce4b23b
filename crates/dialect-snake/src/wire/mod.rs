//! Wire types of both surfaces (serde + utoipa + garde), and [`Sent`], the request-field wrapper
//! that keeps "absent", `null`, a value, and a value of the wrong JSON type apart so that every
//! field error can name its field.

pub mod platform;
pub mod users_me;

use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::Value;

/// One request field as the client sent it. Deserialising a `Sent<T>` never fails: a value of the
/// wrong JSON type is kept as [`Sent::Invalid`] (with the JSON type that was sent), so the
/// request's validation can report it against the field's wire name.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent<T> {
    /// The field is not in the body.
    Absent,
    /// The field is JSON `null`.
    Null,
    /// A value of the expected type.
    Value(T),
    /// A value of another JSON type (`"integer"`, `"string"`, `"array"`, ...).
    Invalid(&'static str),
}

impl<T> Default for Sent<T> {
    fn default() -> Self {
        Self::Absent
    }
}

impl<T> Sent<T> {
    /// The value, if one of the expected type was sent.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null | Self::Invalid(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Sent<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Self::Null);
        }
        let sent = json_type(&value);
        Ok(serde_json::from_value(value).map_or(Self::Invalid(sent), Self::Value))
    }
}

/// The JSON type name of `value`, as used in error messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<T: garde::rules::length::chars::Chars> garde::rules::length::chars::Chars for Sent<T> {
    fn validate_num_chars(&self, min: usize, max: usize) -> Result<(), garde::Error> {
        match self {
            Self::Value(v) => v.validate_num_chars(min, max),
            Self::Absent | Self::Null | Self::Invalid(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default)]
        name: Sent<String>,
    }

    fn probe(body: &str) -> Sent<String> {
        serde_json::from_str::<Probe>(body).map(|p| p.name).unwrap_or(Sent::Invalid("unparsed"))
    }

    #[test]
    fn sent_keeps_absent_null_value_and_wrong_types_apart() {
        assert_eq!(probe("{}"), Sent::Absent);
        assert_eq!(probe(r#"{"name":null}"#), Sent::Null);
        assert_eq!(probe(r#"{"name":"x"}"#), Sent::Value("x".to_owned()));
        assert_eq!(probe(r#"{"name":1}"#), Sent::Invalid("integer"));
        assert_eq!(probe(r#"{"name":1.5}"#), Sent::Invalid("number"));
        assert_eq!(probe(r#"{"name":[]}"#), Sent::Invalid("array"));
        assert_eq!(probe(r#"{"name":{}}"#), Sent::Invalid("object"));
        assert_eq!(probe(r#"{"name":true}"#), Sent::Invalid("boolean"));
    }
}
