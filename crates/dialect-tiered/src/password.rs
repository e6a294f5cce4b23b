//! Password sign-up, sign-in, update and set (`/api/v1/auth/password/...`): the vendor's body
//! schemas (`signInEmailSchema`, `emailSchema`, `passwordSchema`, the bot-challenge fields) with
//! its messages, and its password rule (`getPasswordError`: at least 8 characters).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::{
    body::Body,
    validate::{
        BodyObject, EMAIL, Issues, PASSWORD_MAX, body_object, js_len, string, unknown_keys,
        url_checks,
    },
};

/// The vendor's minimum password length (`getPasswordError`).
pub const PASSWORD_MIN: usize = 8;

/// `strictEmailSchema`'s pattern, as yup prints it in its message.
const STRICT_EMAIL: &str = r"^[^.]+(\.[^.]+)*@.*\.[^.][^.]+$";

#[expect(
    clippy::expect_used,
    reason = "a constant pattern, covered by the unit tests"
)]
static STRICT: LazyLock<Regex> = LazyLock::new(|| Regex::new(STRICT_EMAIL).expect("strict email"));

/// A validated sign-up or sign-in body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The email, as sent.
    pub email: String,
    /// The password, as sent (at most 70 characters).
    pub password: String,
    /// Sign-up only: where the verification e-mail's link points.
    pub verification_callback_url: Option<String>,
}

/// A required string field.
pub(crate) fn required(
    map: &Map<String, Value>,
    field: &str,
    issues: &mut Issues,
) -> Option<String> {
    let path = format!("body.{field}");
    match map.get(field) {
        None => {
            issues.push(format!("{path} must be defined"));
            None
        }
        Some(v) => string(&path, v, issues),
    }
}

/// A required `passwordSchema` field: a string of at most 70 characters.
pub(crate) fn password_field(
    map: &Map<String, Value>,
    field: &str,
    issues: &mut Issues,
) -> Option<String> {
    required(map, field, issues).filter(|p| {
        let ok = js_len(p) <= PASSWORD_MAX;
        if !ok {
            issues.push(format!(
                "body.{field} must be at most {PASSWORD_MAX} characters"
            ));
        }
        ok
    })
}

fn password(map: &Map<String, Value>, issues: &mut Issues) -> Option<String> {
    password_field(map, "password", issues)
}

/// The body object of a route with `auth.user: adaptSchema.defined()`: the vendor lists a
/// missing user (`auth.user must be defined`) with the body's failures.
pub(crate) fn signed_in_body(
    body: &Body,
    signed_in: bool,
) -> Result<(BodyObject, Issues), Vec<String>> {
    let mut issues = Issues::default();
    if !signed_in {
        issues.push("auth.user must be defined".into());
    }
    match body_object(body) {
        Ok(object) => Ok((object, issues)),
        Err(lines) => {
            issues.0.extend(lines);
            Err(issues.0)
        }
    }
}

/// The `POST /auth/password/update` body (`old_password`, `new_password`), for a caller that is
/// `signed_in` or not: `(old, new)`.
pub fn update(body: &Body, signed_in: bool) -> Result<(String, String), Vec<String>> {
    const FIELDS: [&str; 2] = ["old_password", "new_password"];
    let (BodyObject { map, order }, mut issues) = signed_in_body(body, signed_in)?;
    let old = password_field(&map, "old_password", &mut issues);
    let new = password_field(&map, "new_password", &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (old, new) {
        (Some(old), Some(new)) if issues.is_empty() => Ok((old, new)),
        _ => Err(issues.0),
    }
}

/// The `POST /auth/password/set` body (`password`), for a caller that is `signed_in` or not.
pub fn set(body: &Body, signed_in: bool) -> Result<String, Vec<String>> {
    const FIELDS: [&str; 1] = ["password"];
    let (BodyObject { map, order }, mut issues) = signed_in_body(body, signed_in)?;
    let password = password(&map, &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match password {
        Some(password) if issues.is_empty() => Ok(password),
        _ => Err(issues.0),
    }
}

/// The `POST /auth/password/sign-up` body: `email` (`signInEmailSchema`), `password`,
/// `verification_callback_url` (a URL), and the bot-challenge fields (accepted, unused: the
/// gateway runs no bot challenge).
pub fn sign_up(body: &Body) -> Result<Credentials, Vec<String>> {
    const FIELDS: [&str; 6] = [
        "email",
        "password",
        "verification_callback_url",
        "bot_challenge_token",
        "bot_challenge_phase",
        "bot_challenge_unavailable",
    ];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let email = sign_in_email(&map, &mut issues);
    let password = password(&map, &mut issues);
    let callback = map.get("verification_callback_url").and_then(|v| {
        let path = "body.verification_callback_url";
        string(path, v, &mut issues).filter(|url| url_checks(path, url, &mut issues))
    });
    bot_challenge(&map, &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (email, password) {
        (Some(email), Some(password)) if issues.is_empty() => Ok(Credentials {
            email,
            password,
            verification_callback_url: callback,
        }),
        _ => Err(issues.0),
    }
}

/// A required `email` of `signInEmailSchema`: a valid email of at most 256 characters with a dot
/// in its domain, each failure in yup's words.
pub(crate) fn sign_in_email(map: &Map<String, Value>, issues: &mut Issues) -> Option<String> {
    required(map, "email", issues).filter(|e| {
        let mut ok = true;
        if !EMAIL.is_match(e) {
            issues.push("body.email must be a valid email".into());
            ok = false;
        }
        if js_len(e) > 256 {
            issues.push("body.email must be at most 256 characters".into());
            ok = false;
        }
        if !STRICT.is_match(e) {
            issues.push(format!(
                "body.email must match the following: \"/{STRICT_EMAIL}/\""
            ));
            ok = false;
        }
        ok
    })
}

/// The bot-challenge fields (`bot_challenge_token`, `_phase`, `_unavailable`): strings when
/// present, accepted and unused (the gateway runs no bot challenge).
pub(crate) const BOT_CHALLENGE: [&str; 3] = [
    "bot_challenge_token",
    "bot_challenge_phase",
    "bot_challenge_unavailable",
];

/// Checks the [`BOT_CHALLENGE`] fields.
pub(crate) fn bot_challenge(map: &Map<String, Value>, issues: &mut Issues) {
    for field in BOT_CHALLENGE {
        if let Some(v) = map.get(field) {
            string(&format!("body.{field}"), v, issues);
        }
    }
}

/// The `POST /auth/password/sign-in` body: `email` (`emailSchema`, not empty) and `password`.
pub fn sign_in(body: &Body) -> Result<Credentials, Vec<String>> {
    const FIELDS: [&str; 2] = ["email", "password"];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let email = required(&map, "email", &mut issues).filter(|e| {
        let mut ok = true;
        if !e.is_empty() && !EMAIL.is_match(e) {
            issues.push("body.email must be a valid email".into());
            ok = false;
        }
        if e.is_empty() {
            issues.push("body.email must not be empty".into());
            ok = false;
        }
        ok
    });
    let password = password(&map, &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (email, password) {
        (Some(email), Some(password)) if issues.is_empty() => Ok(Credentials {
            email,
            password,
            verification_callback_url: None,
        }),
        _ => Err(issues.0),
    }
}

/// Whether a password passes the vendor's rule (`getPasswordError`): at least 8 characters.
pub fn long_enough(password: &str) -> bool {
    js_len(password) >= PASSWORD_MIN
}

/// The vendor's rule as its routes answer it: `PASSWORD_TOO_SHORT` when [`long_enough`] fails.
pub fn check_rule(password: &str) -> Result<(), crate::error::TieredError> {
    if long_enough(password) {
        Ok(())
    } else {
        Err(crate::known::KnownError::password_too_short(PASSWORD_MIN).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_http::body::Json;
    use serde_json::json;

    fn body(v: Value) -> Body {
        Body::Json(Json::Other(v))
    }

    #[test]
    fn sign_up_takes_the_vendor_fields_and_reports_every_failure() {
        let ok = sign_up(&body(json!({
            "email": "a@example.com",
            "password": "correct horse",
            "verification_callback_url": "http://localhost:3000/verify",
            "bot_challenge_unavailable": "true",
        })))
        .unwrap();
        assert_eq!(ok.email, "a@example.com");
        assert_eq!(
            ok.verification_callback_url.as_deref(),
            Some("http://localhost:3000/verify")
        );
        assert_eq!(
            sign_up(&body(
                json!({"email": "a@b", "password": "x".repeat(71), "y": 1})
            )),
            Err(vec![
                r#"body.email must match the following: "/^[^.]+(\.[^.]+)*@.*\.[^.][^.]+$/""#
                    .to_owned(),
                "body.password must be at most 70 characters".to_owned(),
                "body contains unknown properties: y".to_owned(),
            ])
        );
        assert_eq!(
            sign_up(&body(json!({}))),
            Err(vec![
                "body.email must be defined".to_owned(),
                "body.password must be defined".to_owned()
            ])
        );
    }

    #[test]
    fn sign_in_refuses_an_empty_email() {
        assert_eq!(
            sign_in(&body(json!({"email": "", "password": "p"}))),
            Err(vec!["body.email must not be empty".to_owned()])
        );
        assert!(sign_in(&body(json!({"email": "A@Example.com", "password": ""}))).is_ok());
    }

    #[test]
    fn update_and_set_need_a_user_and_list_it_with_the_body() {
        assert_eq!(
            update(&body(json!({"new_password": "n"})), false),
            Err(vec![
                "auth.user must be defined".to_owned(),
                "body.old_password must be defined".to_owned()
            ])
        );
        assert_eq!(
            update(
                &body(json!({"old_password": "o", "new_password": "n"})),
                true
            ),
            Ok(("o".to_owned(), "n".to_owned()))
        );
        assert_eq!(
            set(&body(json!({"password": "p"})), true),
            Ok("p".to_owned())
        );
        assert_eq!(
            set(&Body::Absent, false),
            Err(vec![
                "auth.user must be defined".to_owned(),
                "body must be defined".to_owned()
            ])
        );
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(!long_enough("short"));
        assert!(!long_enough(""));
        assert!(long_enough("12345678"));
    }
}
