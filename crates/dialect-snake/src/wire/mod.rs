//! Wire types of both surfaces (serde + utoipa + garde), and [`Sent`], the request-field wrapper
//! that keeps "absent", `null`, a value, and a value of the wrong JSON type apart so that every
//! field error can name its field.

pub mod platform;
pub mod platform_account;
pub mod users_me;
pub mod users_me_account;

use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::Value;

/// One request field as the client sent it. Deserialising a `Sent<T>` never fails: a value of the
/// wrong JSON type is kept as [`Sent::Invalid`] (with the JSON type that was sent), so the
/// request's validation can report it against the field's wire name.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Sent<T> {
    /// The field is not in the body.
    #[default]
    Absent,
    /// The field is JSON `null`.
    Null,
    /// A value of the expected type.
    Value(T),
    /// A value of another JSON type (`"integer"`, `"string"`, `"array"`, ...).
    Invalid(&'static str),
}

impl<T> Sent<T> {
    /// The value, if one of the expected type was sent.
    pub fn into_value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null | Self::Invalid(_) => None,
        }
    }

    /// The JSON type that was sent instead of the expected one, if any.
    pub fn invalid(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(sent) => Some(sent),
            Self::Absent | Self::Null | Self::Value(_) => None,
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

/// garde rule: a sent string has `MIN..=MAX` characters (absent, `null` and wrongly typed values
/// are not checked here). Messages follow the core's wording.
pub fn chars<const MIN: usize, const MAX: usize>(value: &Sent<String>, _: &()) -> garde::Result {
    let Sent::Value(text) = value else {
        return Ok(());
    };
    let n = text.chars().count();
    if n < MIN {
        Err(garde::Error::new(match MIN {
            1 => "must not be empty".to_owned(),
            _ => format!("must be at least {MIN} characters"),
        }))
    } else if n > MAX {
        Err(garde::Error::new(format!(
            "must be at most {MAX} characters"
        )))
    } else {
        Ok(())
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
        serde_json::from_str::<Probe>(body)
            .map(|p| p.name)
            .unwrap_or(Sent::Invalid("unparsed"))
    }

    #[test]
    fn chars_checks_only_sent_strings() {
        let check = chars::<1, 3>;
        assert!(check(&Sent::Absent, &()).is_ok());
        assert!(check(&Sent::Null, &()).is_ok());
        assert!(check(&Sent::Invalid("integer"), &()).is_ok());
        assert!(check(&Sent::Value("abc".into()), &()).is_ok());
        assert!(check(&Sent::Value("äöü".into()), &()).is_ok());
        let message = |r: garde::Result| r.err().map(|e| e.message().to_owned());
        assert_eq!(
            message(check(&Sent::Value(String::new()), &())).as_deref(),
            Some("must not be empty")
        );
        assert_eq!(
            message(check(&Sent::Value("abcd".into()), &())).as_deref(),
            Some("must be at most 3 characters")
        );
        assert_eq!(
            message(chars::<2, 3>(&Sent::Value("a".into()), &())).as_deref(),
            Some("must be at least 2 characters")
        );
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
