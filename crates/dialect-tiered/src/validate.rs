//! Request validation with the vendor's (yup 1.x) wording: every failure is listed
//! (`abortEarly: false`), field errors in schema order, then unknown properties in wire order.
//! Types are strict (spec §5.3 choice): a JSON value of the wrong type is an error, never coerced.
//!
//! A hand-written validator rather than serde + garde: the vendor's messages name wire paths
//! (`body.display_name`), distinguish absent from `null`, print the offending value the way yup
//! does, and report unknown keys per caller tier, none of which a derive can reproduce.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{
    body::Body,
    wire::{RiskScores, SignUpRiskScores, UserUpdate},
};

/// Longest display name (UTF-16 code units, as JavaScript counts).
pub const DISPLAY_NAME_MAX: usize = 256;
/// Longest profile image URL (`MAX_IMAGE_SIZE_BASE64_BYTES`).
pub const PROFILE_IMAGE_URL_MAX: usize = 1_000_000;
/// Longest password.
pub const PASSWORD_MAX: usize = 70;

#[expect(
    clippy::expect_used,
    reason = "constant patterns, covered by the unit tests"
)]
pub(crate) static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    // yup 1.x `rEmail` (the WHATWG definition).
    Regex::new(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
        .expect("email pattern")
});
#[expect(
    clippy::expect_used,
    reason = "constant patterns, covered by the unit tests"
)]
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    // yup 1.x `rUUID`.
    Regex::new(r"(?i)^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000)$")
        .expect("uuid pattern")
});
#[expect(
    clippy::expect_used,
    reason = "constant patterns, covered by the unit tests"
)]
static BASE64: LazyLock<Regex> = LazyLock::new(|| {
    // stack-shared `isBase64`.
    Regex::new(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
        .expect("base64 pattern")
});
#[expect(
    clippy::expect_used,
    reason = "constant patterns, covered by the unit tests"
)]
static BASE64_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    // stack-shared `validateBase64Image`.
    Regex::new(r"^data:image/(png|jpg|jpeg|gif|bmp|webp);base64,[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9+/]+={0,2}$")
        .expect("base64 image pattern")
});

/// Whether `value` is a base64 image as client writes of `profile_image_url` must be.
pub fn is_base64_image(value: &str) -> bool {
    BASE64_IMAGE.is_match(value)
}

/// Whether `value` looks like a UUID to the vendor (`params.user_id`, `selected_team_id`).
pub fn is_uuid(value: &str) -> bool {
    UUID.is_match(value)
}

/// The caller's tier, which decides the accepted keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Client callers on `/users/me`.
    Client,
    /// Server and admin callers.
    Server,
}

/// The update fields in the server schema's order.
const SERVER_FIELDS: [&str; 20] = [
    "display_name",
    "profile_image_url",
    "client_metadata",
    "client_read_only_metadata",
    "server_metadata",
    "primary_email",
    "primary_email_verified",
    "primary_email_auth_enabled",
    "passkey_auth_enabled",
    "password",
    "password_hash",
    "otp_auth_enabled",
    "totp_secret_base64",
    "selected_team_id",
    "is_anonymous",
    "restricted_by_admin",
    "restricted_by_admin_reason",
    "restricted_by_admin_private_details",
    "country_code",
    "risk_scores",
];

/// The client update fields, in the client schema's order (`pick` keeps the list's order).
const CLIENT_FIELDS: [&str; 8] = [
    "display_name",
    "profile_image_url",
    "client_metadata",
    "selected_team_id",
    "totp_secret_base64",
    "otp_auth_enabled",
    "passkey_auth_enabled",
    "primary_email",
];

impl Tier {
    /// The accepted update keys, in schema order.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Client => &CLIENT_FIELDS,
            Self::Server => &SERVER_FIELDS,
        }
    }
}

/// JavaScript's `String.prototype.length` (UTF-16 code units).
pub(crate) fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn js_number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// yup's `printValue(value, true)`: simple values as text (strings quoted), objects and arrays
/// as 2-space JSON whose leaves went through the same printer.
pub fn print_value(value: &Value) -> String {
    fn leaves(v: &Value) -> Value {
        match v {
            Value::Null => Value::String("null".into()),
            Value::Bool(b) => Value::String(b.to_string()),
            Value::Number(n) => Value::String(js_number(n)),
            Value::String(s) => Value::String(format!("\"{s}\"")),
            Value::Array(items) => Value::Array(items.iter().map(leaves).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), leaves(v))).collect())
            }
        }
    }
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number(n),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) | Value::Object(_) => {
            serde_json::to_string_pretty(&leaves(value)).unwrap_or_default()
        }
    }
}

/// yup's `notType` message.
pub fn type_error(path: &str, ty: &str, value: &Value) -> String {
    format!(
        "{path} must be a `{ty}` type, but the final value was: `{}`.",
        print_value(value)
    )
}

/// A query string as the vendor reads it: its pairs, decoded, in order (a repeated key keeps its
/// last value: see [`QueryPairs::get`]).
#[derive(Debug, Clone)]
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    /// Decodes `raw` (the part after `?`).
    pub fn parse(raw: &str) -> Self {
        Self(
            url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `query contains unknown properties: a, b` for the keys not in `known`, in wire order.
    pub fn unknown_keys(&self, known: &[&str]) -> Option<String> {
        let mut unknown: Vec<&str> = Vec::new();
        for (k, _) in &self.0 {
            if !known.contains(&k.as_str()) && !unknown.contains(&k.as_str()) {
                unknown.push(k);
            }
        }
        (!unknown.is_empty())
            .then(|| format!("query contains unknown properties: {}", unknown.join(", ")))
    }
}

/// A body that is a JSON object: its members and the order of their keys on the wire.
#[derive(Debug)]
pub struct BodyObject {
    /// The members.
    pub map: Map<String, Value>,
    /// The keys in wire order.
    pub order: Vec<String>,
}

/// The body as an object, or the vendor's failure line (`body must be defined`, `body cannot be
/// null`, or the type error).
pub fn body_object(body: &Body) -> Result<BodyObject, Vec<String>> {
    let (value, order) = body.as_json();
    match value {
        None => Err(vec!["body must be defined".into()]),
        Some(Value::Null) => Err(vec!["body cannot be null".into()]),
        Some(Value::Object(map)) => Ok(BodyObject { map, order }),
        Some(other) => Err(vec![type_error("body", "object", &other)]),
    }
}

/// Collects the failures of one request.
#[derive(Debug, Default)]
pub struct Issues(pub Vec<String>);

impl Issues {
    pub(crate) fn push(&mut self, line: String) {
        self.0.push(line);
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A nullable string field: `Some(None)` = null.
fn nullable_string(path: &str, v: &Value, issues: &mut Issues) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        other => {
            issues.push(type_error(path, "string", other));
            None
        }
    }
}

pub(crate) fn string(path: &str, v: &Value, issues: &mut Issues) -> Option<String> {
    match v {
        Value::Null => {
            issues.push(format!("{path} cannot be null"));
            None
        }
        Value::String(s) => Some(s.clone()),
        other => {
            issues.push(type_error(path, "string", other));
            None
        }
    }
}

pub(crate) fn boolean(path: &str, v: &Value, issues: &mut Issues) -> Option<bool> {
    match v {
        Value::Null => {
            issues.push(format!("{path} cannot be null"));
            None
        }
        Value::Bool(b) => Some(*b),
        other => {
            issues.push(type_error(path, "boolean", other));
            None
        }
    }
}

fn max_len(path: &str, s: &str, max: usize, issues: &mut Issues) -> bool {
    if js_len(s) > max {
        issues.push(format!("{path} must be at most {max} characters"));
        false
    } else {
        true
    }
}

/// The vendor's `urlSchema`: no spaces, a URL `new URL()` accepts.
pub(crate) fn url_checks(path: &str, s: &str, issues: &mut Issues) -> bool {
    let mut ok = true;
    if s.contains(' ') {
        issues.push(format!("{path} contains spaces"));
        ok = false;
    }
    if url::Url::parse(s).is_err() {
        issues.push(format!("{path} is not a valid URL"));
        ok = false;
    }
    ok
}

/// Reports keys of `map` that are not in `known`, in wire order (`order`, then any others).
pub(crate) fn unknown_keys(
    path: &str,
    map: &Map<String, Value>,
    order: &[String],
    known: &[&str],
    issues: &mut Issues,
) {
    // One pass with a set: an object may have up to the body layer's key cap.
    let mut seen = std::collections::HashSet::with_capacity(map.len());
    let unknown: Vec<&str> = order
        .iter()
        .map(String::as_str)
        .chain(map.keys().map(String::as_str))
        .filter(|k| map.contains_key(*k) && !known.contains(k) && seen.insert(*k))
        .collect();
    if !unknown.is_empty() {
        issues.push(format!(
            "{path} contains unknown properties: {}",
            unknown.join(", ")
        ));
    }
}

fn score(path: &str, v: Option<&Value>, issues: &mut Issues) -> Option<i64> {
    let Some(v) = v else {
        issues.push(format!("{path} must be defined"));
        return None;
    };
    let Value::Number(n) = v else {
        if v.is_null() {
            issues.push(format!("{path} cannot be null"));
        } else {
            issues.push(type_error(path, "number", v));
        }
        return None;
    };
    let f = n.as_f64().unwrap_or(f64::NAN);
    let mut ok = true;
    if f.fract() != 0.0 {
        issues.push(format!("{path} must be an integer"));
        ok = false;
    }
    if f < 0.0 {
        issues.push(format!("{path} must be greater than or equal to 0"));
        ok = false;
    }
    if f > 100.0 {
        issues.push(format!("{path} must be less than or equal to 100"));
        ok = false;
    }
    // In range and integral, so the cast is exact.
    ok.then_some(f as i64)
}

fn risk_scores(path: &str, v: &Value, issues: &mut Issues) -> Option<RiskScores> {
    let Value::Object(map) = v else {
        if v.is_null() {
            issues.push(format!("{path} cannot be null"));
        } else {
            issues.push(type_error(path, "object", v));
        }
        return None;
    };
    let sign_up_path = format!("{path}.sign_up");
    let sign_up = match map.get("sign_up") {
        None => {
            issues.push(format!("{sign_up_path} must be defined"));
            None
        }
        Some(Value::Object(inner)) => {
            let bot = score(&format!("{sign_up_path}.bot"), inner.get("bot"), issues);
            let abuse = score(
                &format!("{sign_up_path}.free_trial_abuse"),
                inner.get("free_trial_abuse"),
                issues,
            );
            unknown_keys(
                &sign_up_path,
                inner,
                &[],
                &["bot", "free_trial_abuse"],
                issues,
            );
            bot.zip(abuse)
                .map(|(bot, free_trial_abuse)| SignUpRiskScores {
                    bot,
                    free_trial_abuse,
                })
        }
        Some(Value::Null) => {
            issues.push(format!("{sign_up_path} cannot be null"));
            None
        }
        Some(other) => {
            issues.push(type_error(&sign_up_path, "object", other));
            None
        }
    };
    unknown_keys(path, map, &[], &["sign_up"], issues);
    sign_up.map(|sign_up| RiskScores { sign_up })
}

/// Validates an update body for `tier`. Returns the typed update, or every failure.
pub fn user_update(body: &Body, tier: Tier) -> Result<UserUpdate, Vec<String>> {
    user_fields(body, tier.fields(), false).map(|(update, _)| update)
}

/// The fields of `POST /users` (`usersCrudServerCreateSchema`): the server update fields
/// without `selected_team_id`, plus `oauth_providers`; `is_anonymous` may be `true`.
const CREATE_FIELDS: [&str; 20] = [
    "display_name",
    "profile_image_url",
    "client_metadata",
    "client_read_only_metadata",
    "server_metadata",
    "primary_email",
    "primary_email_verified",
    "primary_email_auth_enabled",
    "passkey_auth_enabled",
    "password",
    "password_hash",
    "otp_auth_enabled",
    "totp_secret_base64",
    "is_anonymous",
    "restricted_by_admin",
    "restricted_by_admin_reason",
    "restricted_by_admin_private_details",
    "country_code",
    "risk_scores",
    "oauth_providers",
];

/// One entry of `oauth_providers` in a create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthProviderCreate {
    /// The provider id (`github`, ...).
    pub id: String,
    /// The account id at the provider.
    pub account_id: String,
}

/// Validates a `POST /users` body. Returns the fields (as an update whose `is_anonymous` may
/// be `true`) and the OAuth providers, or every failure.
pub fn user_create(body: &Body) -> Result<(UserUpdate, Vec<OAuthProviderCreate>), Vec<String>> {
    user_fields(body, &CREATE_FIELDS, true)
}

fn oauth_providers(path: &str, v: &Value, issues: &mut Issues) -> Vec<OAuthProviderCreate> {
    let Value::Array(items) = v else {
        if v.is_null() {
            issues.push(format!("{path} cannot be null"));
        } else {
            issues.push(type_error(path, "array", v));
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Value::Object(map) = item else {
            issues.push(type_error(&item_path, "object", item));
            continue;
        };
        let mut field = |name: &str| match map.get(name) {
            None => {
                issues.push(format!("{item_path}.{name} must be defined"));
                None
            }
            Some(v) => string(&format!("{item_path}.{name}"), v, issues),
        };
        let (id, account_id) = (field("id"), field("account_id"));
        if let Some(email) = map.get("email")
            && !email.is_null()
        {
            string(&format!("{item_path}.email"), email, issues);
        }
        if let (Some(id), Some(account_id)) = (id, account_id) {
            out.push(OAuthProviderCreate { id, account_id });
        }
    }
    out
}

fn user_fields(
    body: &Body,
    fields: &[&str],
    create: bool,
) -> Result<(UserUpdate, Vec<OAuthProviderCreate>), Vec<String>> {
    let mut issues = Issues::default();
    let BodyObject { map, order } = body_object(body)?;
    let mut update = UserUpdate::default();
    let mut providers = Vec::new();
    for &field in fields {
        let Some(v) = map.get(field) else { continue };
        let path = format!("body.{field}");
        let issues = &mut issues;
        match field {
            "display_name" => {
                update.display_name = nullable_string(&path, v, issues).filter(|s| {
                    s.as_deref()
                        .is_none_or(|s| max_len(&path, s, DISPLAY_NAME_MAX, issues))
                });
            }
            "profile_image_url" => {
                update.profile_image_url = nullable_string(&path, v, issues).filter(|s| match s {
                    None => true,
                    Some(s) => {
                        let url_ok = url_checks(&path, s, issues);
                        max_len(&path, s, PROFILE_IMAGE_URL_MAX, issues) && url_ok
                    }
                });
            }
            "client_metadata" => update.client_metadata = Some(v.clone()),
            "client_read_only_metadata" => update.client_read_only_metadata = Some(v.clone()),
            "server_metadata" => update.server_metadata = Some(v.clone()),
            "primary_email" => {
                update.primary_email = nullable_string(&path, v, issues).filter(|s| match s {
                    None => true,
                    Some(s) if s.is_empty() => {
                        issues.push(format!("{path} must not be empty"));
                        false
                    }
                    Some(s) if !EMAIL.is_match(s) => {
                        issues.push(format!("{path} must be a valid email"));
                        false
                    }
                    Some(_) => true,
                });
            }
            "primary_email_verified" => update.primary_email_verified = boolean(&path, v, issues),
            "primary_email_auth_enabled" => {
                update.primary_email_auth_enabled = boolean(&path, v, issues)
            }
            "passkey_auth_enabled" => update.passkey_auth_enabled = boolean(&path, v, issues),
            "password" => {
                update.password = nullable_string(&path, v, issues).filter(|s| {
                    s.as_deref()
                        .is_none_or(|s| max_len(&path, s, PASSWORD_MAX, issues))
                });
            }
            "password_hash" => {
                update.password_hash = string(&path, v, issues).filter(|s| {
                    if s.is_empty() {
                        issues.push(format!("{path} must not be empty"));
                    }
                    !s.is_empty()
                });
            }
            "otp_auth_enabled" => update.otp_auth_enabled = boolean(&path, v, issues),
            "totp_secret_base64" => {
                update.totp_secret_base64 = nullable_string(&path, v, issues).filter(|s| {
                    let ok = s.as_deref().is_none_or(|s| BASE64.is_match(s));
                    if !ok {
                        issues.push(format!("{path} is not valid base64"));
                    }
                    ok
                });
            }
            "selected_team_id" => {
                update.selected_team_id = match nullable_string(&path, v, issues) {
                    None => None,
                    Some(None) => Some(None),
                    Some(Some(s)) => match Uuid::parse_str(&s).ok().filter(|_| is_uuid(&s)) {
                        Some(id) => Some(Some(id)),
                        None => {
                            issues.push(format!("{path} must be a valid UUID"));
                            None
                        }
                    },
                };
            }
            "is_anonymous" if create => update.is_anonymous = boolean(&path, v, issues),
            "oauth_providers" => providers = oauth_providers(&path, v, issues),
            "is_anonymous" => {
                update.is_anonymous = boolean(&path, v, issues).filter(|b| {
                    if *b {
                        issues.push(format!("{path} must be one of the following values: false"));
                    }
                    !*b
                });
            }
            "restricted_by_admin" => update.restricted_by_admin = boolean(&path, v, issues),
            "restricted_by_admin_reason" => {
                update.restricted_by_admin_reason = nullable_string(&path, v, issues)
            }
            "restricted_by_admin_private_details" => {
                update.restricted_by_admin_private_details = nullable_string(&path, v, issues)
            }
            "country_code" => {
                update.country_code = match nullable_string(&path, v, issues) {
                    None => None,
                    Some(None) => Some(None),
                    Some(Some(s)) => {
                        let code = s.trim().to_uppercase();
                        if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
                            Some(Some(code))
                        } else {
                            issues.push(format!("{path} must be a 2-letter country code"));
                            None
                        }
                    }
                };
            }
            "risk_scores" => update.risk_scores = risk_scores(&path, v, issues),
            _ => {}
        }
    }
    if create && update.restricted_by_admin != Some(true) {
        // The create schema's object test: the restriction texts need the flag.
        for (name, value) in [
            (
                "restricted_by_admin_reason",
                &update.restricted_by_admin_reason,
            ),
            (
                "restricted_by_admin_private_details",
                &update.restricted_by_admin_private_details,
            ),
        ] {
            if matches!(value, Some(Some(_))) {
                issues.push(format!(
                    "{name} must be null when restricted_by_admin is not true"
                ));
            }
        }
    }
    unknown_keys("body", &map, &order, fields, &mut issues);
    if issues.is_empty() {
        Ok((update, providers))
    } else {
        Err(issues.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_http::body::{Json, Members};
    use serde_json::json;

    fn body(v: Value) -> Body {
        Body::Json(match v {
            Value::Object(map) => Json::Object(Members(map.into_iter().collect())),
            other => Json::Other(other),
        })
    }

    #[test]
    fn prints_values_like_yup() {
        assert_eq!(print_value(&json!({})), "{}");
        assert_eq!(print_value(&json!("x")), "\"x\"");
        assert_eq!(print_value(&json!(5)), "5");
        assert_eq!(print_value(&json!({"a": 1})), "{\n  \"a\": \"1\"\n}");
        assert_eq!(
            type_error("body.display_name", "string", &json!({})),
            "body.display_name must be a `string` type, but the final value was: `{}`."
        );
    }

    #[test]
    fn create_body_differs_from_the_update_body() {
        let (fields, providers) = user_create(&body(json!({
            "is_anonymous": true,
            "oauth_providers": [{"id": "github", "account_id": "42", "email": null}],
        })))
        .unwrap();
        assert_eq!(fields.is_anonymous, Some(true));
        assert_eq!(
            providers,
            vec![OAuthProviderCreate {
                id: "github".into(),
                account_id: "42".into()
            }]
        );
        assert_eq!(
            user_create(&body(json!({
                "oauth_providers": [5, {"id": 1, "account_id": "a", "email": 2}],
                "restricted_by_admin": false,
                "restricted_by_admin_private_details": "",
                "selected_team_id": null,
            })))
            .unwrap_err(),
            vec![
                "body.oauth_providers[0] must be a `object` type, but the final value was: `5`.",
                "body.oauth_providers[1].id must be a `string` type, but the final value was: `1`.",
                "body.oauth_providers[1].email must be a `string` type, but the final value was: `2`.",
                "restricted_by_admin_private_details must be null when restricted_by_admin is not true",
                "body contains unknown properties: selected_team_id",
            ]
        );
        // The update body still refuses `is_anonymous: true` and knows no `oauth_providers`.
        assert_eq!(
            user_update(
                &body(json!({"is_anonymous": true, "oauth_providers": []})),
                Tier::Server
            )
            .unwrap_err(),
            vec![
                "body.is_anonymous must be one of the following values: false",
                "body contains unknown properties: oauth_providers",
            ]
        );
    }

    #[test]
    fn client_tier_hides_server_fields_as_unknown() {
        let b = Body::Json(Json::Object(Members(vec![
            ("display_name".into(), json!("Johnny Doe")),
            ("server_metadata".into(), json!({"key": "value"})),
        ])));
        assert_eq!(
            user_update(&b, Tier::Client).unwrap_err(),
            vec!["body contains unknown properties: server_metadata".to_owned()]
        );
        let ok = user_update(&b, Tier::Server).unwrap();
        assert_eq!(ok.display_name, Some(Some("Johnny Doe".into())));
        assert_eq!(ok.server_metadata, Some(json!({"key": "value"})));
    }

    #[test]
    fn every_failure_is_listed_in_schema_order() {
        let b = body(json!({
            "selected_team_id": "team-1",
            "display_name": "x".repeat(257),
            "primary_email": "not-an-email",
            "profile_image_url": "",
            "bogus": 1,
        }));
        assert_eq!(
            user_update(&b, Tier::Server).unwrap_err(),
            vec![
                "body.display_name must be at most 256 characters",
                "body.profile_image_url is not a valid URL",
                "body.primary_email must be a valid email",
                "body.selected_team_id must be a valid UUID",
                "body contains unknown properties: bogus",
            ]
        );
    }

    #[test]
    fn field_rules() {
        let err = |v: Value, tier| user_update(&body(v), tier).unwrap_err();
        assert_eq!(
            err(json!({"primary_email": ""}), Tier::Client),
            vec!["body.primary_email must not be empty"]
        );
        assert_eq!(
            err(
                json!({"totp_secret_base64": "not-valid-base64"}),
                Tier::Client
            ),
            vec!["body.totp_secret_base64 is not valid base64"]
        );
        assert_eq!(
            err(json!({"password": "x".repeat(71)}), Tier::Server),
            vec!["body.password must be at most 70 characters"]
        );
        assert_eq!(
            err(json!({"country_code": "usa"}), Tier::Server),
            vec!["body.country_code must be a 2-letter country code"]
        );
        assert_eq!(
            err(json!({"profile_image_url": "a b"}), Tier::Server),
            vec![
                "body.profile_image_url contains spaces",
                "body.profile_image_url is not a valid URL"
            ]
        );
        assert_eq!(
            err(json!({"is_anonymous": true}), Tier::Server),
            vec!["body.is_anonymous must be one of the following values: false"]
        );
        assert_eq!(
            err(
                json!({"risk_scores": {"sign_up": {"bot": 101, "free_trial_abuse": 1.5}}}),
                Tier::Server
            ),
            vec![
                "body.risk_scores.sign_up.bot must be less than or equal to 100",
                "body.risk_scores.sign_up.free_trial_abuse must be an integer",
            ]
        );
        assert_eq!(
            err(json!({"otp_auth_enabled": "true"}), Tier::Client),
            vec![
                "body.otp_auth_enabled must be a `boolean` type, but the final value was: `\"true\"`."
            ]
        );
        assert_eq!(
            user_update(&Body::Absent, Tier::Client).unwrap_err(),
            vec!["body must be defined"]
        );
        let ok = user_update(
            &body(json!({"country_code": " us ", "totp_secret_base64": "ZXhhbXBsZSB2YWx1ZQ=="})),
            Tier::Server,
        )
        .unwrap();
        assert_eq!(ok.country_code, Some(Some("US".into())));
        assert!(is_base64_image(
            "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
        ));
        assert!(!is_base64_image("data:image/not-valid;base64,test"));
        assert!(is_uuid("3241a285-8329-4d69-8f3d-316e08cf140c"));
        assert!(!is_uuid("not-a-uuid"));
    }
}
