//! The wire types of the camel dialect, as the Bird Accounts API names them: the `User` answer
//! (with its `UserEmail`, `UserIdentity` and `UserPhoneNumber` items), the `PATCH /me` body and
//! the error envelope. serde + utoipa schemas + garde rules; conversions live in `convert.rs`.

use garde::Validate;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// The status of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Created, not yet confirmed (the default of a new account).
    Pending,
    /// Usable.
    Active,
    /// Deleted (documented by the vendor; a deleted user is gone from the gateway, so never sent).
    Deleted,
    /// Invited, not yet signed up.
    Invited,
    /// Locked by an operator.
    Banned,
}

/// A user on the platform.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// ID of the user.
    pub id: Uuid,
    /// The status of the user.
    pub status: UserStatus,
    /// The display name for the user (the username when no display name is set).
    pub name: String,
    /// The user's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub bio: Option<String>,
    /// The number of logged in session for the user.
    pub active_sessions: i64,
    /// When the user was created (RFC 3339, UTC, milliseconds).
    #[schema(format = DateTime, example = "2025-11-27T03:25:07.541Z")]
    pub created_at: String,
    /// When the user was last updated (RFC 3339, UTC, milliseconds).
    #[schema(format = DateTime, example = "2025-11-27T03:25:07.541Z")]
    pub updated_at: String,
    /// Email addresses associated with user.
    pub emails: Vec<UserEmail>,
    /// The default email of the user in the list of emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub default_email: Option<String>,
    /// Third-party identities associated with user.
    pub identities: Vec<UserIdentity>,
    /// URL to the user's profile picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar_url: Option<String>,
    /// The user's phone number in E.164 form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "+31201234567")]
    pub phone_number: Option<String>,
    /// The phone numbers associated with the user.
    pub phone_numbers: Vec<UserPhoneNumber>,
    /// BCP 47 language tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "en-US")]
    pub locale: Option<String>,
    /// The default timezone for the user (IANA time zone name).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "Europe/Amsterdam")]
    pub timezone: Option<String>,
    /// Badges of the user (none are issued by the gateway).
    pub badges: Vec<String>,
}

/// An email address of a user.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserEmail {
    /// ID of the email entry (stable for the user and address).
    pub id: Uuid,
    /// ID of the user.
    pub user_id: Uuid,
    /// The address, lower-case.
    pub email: String,
    /// Whether the address is verified.
    pub verified: bool,
    /// Whether the user has a password.
    pub password_set: bool,
    /// Whether a verification or reset token is pending (never, on the gateway).
    pub token_set: bool,
    /// When the entry was created (the user's creation time).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the entry was last updated (the user's last update).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A third-party identity of a user.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// The account's id at the provider.
    pub id: String,
    /// The user's display name.
    pub name: String,
    /// The user's email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    /// URL to the user's profile picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar_url: Option<String>,
    /// The provider's name.
    pub provider: String,
    /// When the identity was linked (the user's creation time).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the identity was last updated (the user's last update).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A phone number of a user.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPhoneNumber {
    /// ID of the phone number entry (stable for the user and number).
    pub id: Uuid,
    /// ID of the user.
    pub user_id: Uuid,
    /// The number in E.164 form.
    pub phone_number: String,
    /// Whether the number is verified (never, on the gateway).
    pub verified: bool,
    /// Whether this is the user's primary number.
    pub primary: bool,
    /// When the entry was created (the user's creation time).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the entry was last updated (the user's last update).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The message for an `avatarUrl` that is not an absolute http(s) URL.
pub const HTTP_URL_MESSAGE: &str = "must be an absolute http or https URL";

/// Longest `name`, in characters.
pub const NAME_MAX: usize = 256;
/// Longest `bio`, in characters.
pub const BIO_MAX: usize = 1024;
/// Longest `avatarUrl`, in characters.
pub const AVATAR_URL_MAX: usize = 2048;

/// The body of `PATCH /me`. Every field is optional; an absent field is left unchanged, and
/// `null` clears `bio`, `avatarUrl`, `locale` and `timezone` (`name` cannot be cleared).
#[derive(Debug, Clone, Default, PartialEq, Validate, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    /// The display name for the user: 1-256 characters, not only whitespace.
    #[garde(length(chars, min = 1, max = NAME_MAX), custom(not_blank))]
    #[schema(min_length = 1, max_length = 256, nullable = false)]
    pub name: Option<String>,
    /// The user's description: at most 1024 characters; `null` clears it.
    #[garde(length(chars, max = BIO_MAX))]
    #[schema(max_length = 1024)]
    pub bio: Option<Option<String>>,
    /// URL to the user's profile picture: an absolute http or https URL of at most 2048
    /// characters; `null` clears it.
    #[garde(length(chars, max = AVATAR_URL_MAX), url, custom(http_url))]
    #[schema(max_length = 2048, format = "uri")]
    pub avatar_url: Option<Option<String>>,
    /// A well-formed BCP 47 language tag, stored in canonical case (`en-us` becomes `en-US`);
    /// `null` clears it.
    #[garde(skip)]
    #[schema(example = "en-US")]
    pub locale: Option<Option<String>>,
    /// The default timezone for the user, a name from the IANA time zone database; `null`
    /// clears it.
    #[garde(skip)]
    #[schema(example = "Europe/Amsterdam")]
    pub timezone: Option<Option<String>>,
}

fn not_blank(value: &Option<String>, _: &()) -> garde::Result {
    match value {
        Some(v) if !v.is_empty() && v.trim().is_empty() => {
            Err(garde::Error::new("must not be blank"))
        }
        _ => Ok(()),
    }
}

fn http_url(value: &Option<Option<String>>, _: &()) -> garde::Result {
    match value {
        Some(Some(v)) => {
            let lower = v.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
                _ => Err(garde::Error::new(HTTP_URL_MESSAGE)),
            }
        }
        _ => Ok(()),
    }
}

/// The fields of `User` that `PATCH /me` may not set.
pub const READ_ONLY_FIELDS: [&str; 12] = [
    "id",
    "status",
    "activeSessions",
    "createdAt",
    "updatedAt",
    "emails",
    "defaultEmail",
    "identities",
    "phoneNumber",
    "phoneNumbers",
    "badges",
    "userFraudInformation",
];

impl UpdateUserRequest {
    /// Decodes and validates a `PATCH /me` body: the problems [`Self::decode`] finds and the
    /// garde rules of the fields that decoded, one detail per field, ordered by field name.
    pub fn parse(body: &Value) -> Result<Self, Vec<ErrorDetail>> {
        let (request, mut details) = Self::decode(body);
        if let Err(report) = request.validate() {
            details.extend(crate::error::garde_details(&report));
        }
        if details.is_empty() {
            return Ok(request);
        }
        details.sort_by(|a, b| a.param.cmp(&b.param));
        details.dedup_by(|a, b| a.param == b.param);
        Err(details)
    }

    /// Reads a `PATCH /me` body field by field: the fields that decode, and one detail per
    /// problem (a body that is not an object, an unknown or read-only field, a wrongly typed
    /// value, a `null` name). Fields are read in name order, so the details are in a stable order.
    pub fn decode(body: &Value) -> (Self, Vec<ErrorDetail>) {
        let mut request = Self::default();
        let Some(object) = body.as_object() else {
            return (
                request,
                vec![ErrorDetail::new("body", "must be a JSON object")],
            );
        };
        let mut details = Vec::new();
        let mut keys: Vec<&String> = object.keys().collect();
        keys.sort();
        for key in keys {
            let value = &object[key.as_str()];
            let result = match key.as_str() {
                "name" => required_string(value).map(|v| request.name = Some(v)),
                "bio" => nullable_string(value).map(|v| request.bio = Some(v)),
                "avatarUrl" => nullable_string(value).map(|v| request.avatar_url = Some(v)),
                "locale" => nullable_string(value).map(|v| request.locale = Some(v)),
                "timezone" => nullable_string(value).map(|v| request.timezone = Some(v)),
                other if READ_ONLY_FIELDS.contains(&other) => Err("is read-only"),
                _ => Err("is not a known field"),
            };
            if let Err(message) = result {
                details.push(ErrorDetail::new(key, message));
            }
        }
        (request, details)
    }
}

fn required_string(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err("must not be null"),
        _ => Err("must be a string"),
    }
}

fn nullable_string(value: &Value) -> Result<Option<String>, &'static str> {
    match value {
        Value::String(s) => Ok(Some(s.clone())),
        Value::Null => Ok(None),
        _ => Err("must be a string or null"),
    }
}

/// The canonical text of a JSON value (object keys sorted, no whitespace), so that two bodies
/// that differ only in key order or spacing are the same request.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k.as_str()]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// One problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The field, by its wire name (`body` for the body as a whole).
    pub param: String,
    /// What is wrong with it.
    pub message: String,
}

impl ErrorDetail {
    /// A detail.
    pub fn new(param: &str, message: &str) -> Self {
        Self {
            param: param.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// An error, as a bare object the Bird SDK reads fully.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error category: `auth_error`, `permission_error`, `not_found_error`,
    /// `bad_request_error`, `conflict_error`, `payload_too_large_error`, `validation_error`,
    /// `rate_limit_error`, `internal_error` or `service_unavailable_error`.
    #[serde(rename = "type")]
    #[schema(example = "validation_error")]
    pub kind: String,
    /// A stable machine code, e.g. `ValidationFailed`, `Unauthorized`, `IdempotencyKeyReused`.
    #[schema(example = "ValidationFailed")]
    pub code: String,
    /// A human-readable message.
    #[schema(example = "Request validation failed")]
    pub message: String,
    /// The id of this request, also sent as `X-Request-Id`.
    pub request_id: String,
    /// One item per offending field; validation errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<ErrorDetail>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decode_reads_known_fields_and_nulls() {
        let r = UpdateUserRequest::parse(&json!({"name": "Jane", "bio": null, "locale": "en-US"}))
            .expect("valid body");
        assert_eq!(r.name.as_deref(), Some("Jane"));
        assert_eq!(r.bio, Some(None));
        assert_eq!(r.locale, Some(Some("en-US".into())));
        assert_eq!(r.timezone, None);
        assert_eq!(r.avatar_url, None);
    }

    #[test]
    fn decode_reports_every_bad_field_once() {
        let details = UpdateUserRequest::parse(
            &json!({"status": "active", "nickname": "x", "name": null, "bio": 3, "avatarUrl": "x"}),
        )
        .expect_err("invalid body");
        let params: Vec<_> = details
            .iter()
            .map(|d| (d.param.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            params,
            [
                ("avatarUrl", HTTP_URL_MESSAGE),
                ("bio", "must be a string or null"),
                ("name", "must not be null"),
                ("nickname", "is not a known field"),
                ("status", "is read-only"),
            ]
        );
        assert_eq!(
            UpdateUserRequest::parse(&json!([1])).expect_err("not an object"),
            [ErrorDetail::new("body", "must be a JSON object")]
        );
    }

    #[test]
    fn garde_rules_hold() {
        let ok = UpdateUserRequest {
            name: Some("x".repeat(NAME_MAX)),
            bio: Some(Some("b".repeat(BIO_MAX))),
            avatar_url: Some(Some("https://example.com/a.png".into())),
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        for bad in [
            UpdateUserRequest {
                name: Some(String::new()),
                ..Default::default()
            },
            UpdateUserRequest {
                name: Some("   ".into()),
                ..Default::default()
            },
            UpdateUserRequest {
                name: Some("x".repeat(NAME_MAX + 1)),
                ..Default::default()
            },
            UpdateUserRequest {
                bio: Some(Some("b".repeat(BIO_MAX + 1))),
                ..Default::default()
            },
            UpdateUserRequest {
                avatar_url: Some(Some("not a url".into())),
                ..Default::default()
            },
            UpdateUserRequest {
                avatar_url: Some(Some("ftp://x.org/a".into())),
                ..Default::default()
            },
            UpdateUserRequest {
                avatar_url: Some(Some("mailto:a@b.c".into())),
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let cleared = UpdateUserRequest {
            avatar_url: Some(None),
            bio: Some(None),
            ..Default::default()
        };
        assert!(cleared.validate().is_ok());
    }

    #[test]
    fn canonical_json_ignores_key_order_and_spacing() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": 2, "x": [3, {"q": 1, "p": 2}]}}"#)
                .expect("json");
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":[3,{"p":2,"q":1}],"y":2},"b":1}"#).expect("json");
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&b),
            r#"{"a":{"x":[3,{"p":2,"q":1}],"y":2},"b":1}"#
        );
    }
}
