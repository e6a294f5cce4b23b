//! Domain invariants that hold in every dialect: username pattern, email syntax, BCP-47 locale,
//! IANA time zone, E.164 phone number, country code. Dialect-only limits live in the dialects.

use crate::{
    error::{Field, FieldIssue, IssueCode},
    model::UserField,
};
use regex::Regex;
use std::{str::FromStr, sync::LazyLock};

/// Longest username, in characters.
pub const USERNAME_MAX: usize = 50;

static USERNAME_RE: LazyLock<Regex> = LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "a constant pattern that is covered by the unit tests"
    )]
    Regex::new(r"^[a-zA-Z0-9_\-@.]+$").expect("valid username pattern")
});

static E164_RE: LazyLock<Regex> = LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "a constant pattern that is covered by the unit tests"
    )]
    Regex::new(r"^\+[1-9][0-9]{1,14}$").expect("valid E.164 pattern")
});

/// A username is 1-50 characters of `[a-zA-Z0-9_\-@.]`, or a valid email address.
pub fn username(value: &str) -> Result<(), FieldIssue> {
    let len = value.chars().count();
    if len == 0 {
        return Err(FieldIssue::new(
            UserField::Username,
            IssueCode::Required,
            "must not be empty",
        ));
    }
    if len > USERNAME_MAX {
        return Err(FieldIssue::new(
            UserField::Username,
            IssueCode::TooLong { max: USERNAME_MAX },
            format!("must be at most {USERNAME_MAX} characters"),
        ));
    }
    if USERNAME_RE.is_match(value) || email_address::EmailAddress::is_valid(value) {
        Ok(())
    } else {
        Err(FieldIssue::new(
            UserField::Username,
            IssueCode::InvalidFormat,
            "may contain only letters, digits and _ - @ . (or be an email address)",
        ))
    }
}

/// An email address with a valid syntax (RFC 5322 addr-spec, as checked by `email_address`)
/// and a dot in its domain.
pub fn email(value: &str) -> Result<(), FieldIssue> {
    if value.is_empty() {
        return Err(FieldIssue::new(
            UserField::Email,
            IssueCode::Required,
            "must not be empty",
        ));
    }
    match email_address::EmailAddress::from_str(value) {
        Ok(addr) if addr.domain().contains('.') && !value.contains(char::is_whitespace) => Ok(()),
        _ => Err(FieldIssue::new(
            UserField::Email,
            IssueCode::InvalidFormat,
            "must be a valid email address",
        )),
    }
}

/// Normalises an email address: trimmed and lower-cased.
pub fn normalize_email(value: &str) -> String {
    value.trim().to_lowercase()
}

/// A well-formed BCP-47 language tag; returns it in canonical case (`en-US`).
pub fn locale(value: &str) -> Result<String, FieldIssue> {
    oxilangtag::LanguageTag::parse_and_normalize(value)
        .map(|tag| tag.into_inner())
        .map_err(|_| {
            FieldIssue::new(
                UserField::Locale,
                IssueCode::InvalidFormat,
                "must be a valid BCP 47 language tag",
            )
        })
}

/// A time zone name from the IANA database (`Europe/Amsterdam`).
pub fn timezone(value: &str) -> Result<(), FieldIssue> {
    chrono_tz::Tz::from_str(value).map(|_| ()).map_err(|_| {
        FieldIssue::new(
            UserField::Timezone,
            IssueCode::InvalidFormat,
            "must be an IANA time zone name",
        )
    })
}

/// A phone number in E.164 form (`+31201234567`).
pub fn phone_number(value: &str) -> Result<(), FieldIssue> {
    if E164_RE.is_match(value) {
        Ok(())
    } else {
        Err(FieldIssue::new(
            UserField::PhoneNumber,
            IssueCode::InvalidFormat,
            "must be a phone number in E.164 format",
        ))
    }
}

/// An ISO 3166-1 alpha-2 code; returns it trimmed and upper-case.
pub fn country_code(value: &str) -> Result<String, FieldIssue> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(FieldIssue::new(
            UserField::CountryCode,
            IssueCode::InvalidFormat,
            "must be a 2-letter country code",
        ))
    }
}

/// Longest lifetime a client may ask for (a token, a session): ten years of 365 days.
pub const TTL_MAX_SECS: i64 = 10 * 365 * 24 * 60 * 60;

/// A lifetime in seconds sent by a client, as a duration: `1..=TTL_MAX_SECS`, or
/// `-TTL_MAX_SECS..=TTL_MAX_SECS` when `allow_past` (a test suite asking for an already expired
/// token). Anything else is refused before it meets a date, so `now + ttl` cannot overflow.
pub fn ttl_secs(
    field: &'static str,
    secs: i64,
    allow_past: bool,
) -> Result<chrono::TimeDelta, FieldIssue> {
    let min = if allow_past { -TTL_MAX_SECS } else { 1 };
    if (min..=TTL_MAX_SECS).contains(&secs)
        && let Some(ttl) = chrono::TimeDelta::try_seconds(secs)
    {
        return Ok(ttl);
    }
    Err(FieldIssue::new(
        Field::Other(field),
        IssueCode::InvalidFormat,
        format!("must be a whole number of seconds from {min} to {TTL_MAX_SECS} (ten years)"),
    ))
}

/// The NUL character cannot be stored: PostgreSQL refuses it in `text` and in `jsonb` strings
/// (SQLite would keep it), so one rule holds on every backend: no NUL in any stored text, in
/// metadata keys or string values either. Returns one issue per offending field.
pub fn nul_free(
    texts: &[(UserField, Option<&str>)],
    json: &[(UserField, Option<&serde_json::Value>)],
) -> Vec<FieldIssue> {
    fn in_json(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(in_json),
            serde_json::Value::Object(map) => {
                map.iter().any(|(k, v)| k.contains('\0') || in_json(v))
            }
            _ => false,
        }
    }
    let issue = |field: &UserField| {
        FieldIssue::new(
            *field,
            IssueCode::InvalidFormat,
            "must not contain the NUL character",
        )
    };
    let mut issues: Vec<FieldIssue> = texts
        .iter()
        .filter(|(_, v)| v.is_some_and(|v| v.contains('\0')))
        .map(|(f, _)| issue(f))
        .collect();
    issues.extend(
        json.iter()
            .filter(|(_, v)| v.is_some_and(in_json))
            .map(|(f, _)| issue(f)),
    );
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_bounded_to_ten_years() {
        assert_eq!(ttl_secs("ttl", 1, false).unwrap().num_seconds(), 1);
        assert_eq!(
            ttl_secs("ttl", TTL_MAX_SECS, false).unwrap().num_seconds(),
            TTL_MAX_SECS
        );
        assert_eq!(ttl_secs("ttl", -5, true).unwrap().num_seconds(), -5);
        assert_eq!(
            ttl_secs("ttl", -TTL_MAX_SECS, true).unwrap().num_seconds(),
            -TTL_MAX_SECS
        );
        for bad in [
            0,
            -1,
            TTL_MAX_SECS + 1,
            9_000_000_000_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            let issue = ttl_secs("ttl", bad, false).unwrap_err();
            assert_eq!(
                (issue.field.as_str(), issue.code),
                ("ttl", IssueCode::InvalidFormat)
            );
        }
        for bad in [-TTL_MAX_SECS - 1, TTL_MAX_SECS + 1, i64::MAX, i64::MIN] {
            assert!(ttl_secs("ttl", bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn nul_characters_are_refused_in_text_and_metadata() {
        let meta = serde_json::json!({"a": ["ok", {"b": "x\u{0}y"}]});
        let key = serde_json::json!({"k\u{0}": 1});
        let clean = serde_json::json!({"a": "fine"});
        let issues = nul_free(
            &[
                (UserField::DisplayName, Some("a\0b")),
                (UserField::Bio, Some("fine")),
                (UserField::Company, None),
            ],
            &[
                (UserField::ClientMetadata, Some(&meta)),
                (UserField::ServerMetadata, Some(&key)),
                (UserField::ClientReadOnlyMetadata, Some(&clean)),
            ],
        );
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            ["display_name", "client_metadata", "server_metadata"]
        );
        assert!(issues.iter().all(|i| i.code == IssueCode::InvalidFormat));
    }

    #[test]
    fn usernames_follow_the_pattern_or_are_emails() {
        assert!(username("jane_doe-1.x@y").is_ok());
        assert!(username("jane+tag@example.com").is_ok());
        assert_eq!(username("").unwrap_err().code, IssueCode::Required);
        assert_eq!(
            username("bad name!").unwrap_err().code,
            IssueCode::InvalidFormat
        );
        assert_eq!(
            username(&"a".repeat(51)).unwrap_err().code,
            IssueCode::TooLong { max: 50 }
        );
        assert!(username(&"a".repeat(50)).is_ok());
    }

    #[test]
    fn emails_need_a_valid_syntax() {
        assert!(email("jane@example.com").is_ok());
        assert!(email("not-an-email").is_err());
        assert!(email("jane@localhost").is_err());
        assert!(email("").is_err());
        assert_eq!(normalize_email("  Jane@Example.COM "), "jane@example.com");
    }

    #[test]
    fn locales_are_bcp47_and_normalised() {
        assert_eq!(locale("en-us").unwrap(), "en-US");
        assert_eq!(locale("zh-hant-tw").unwrap(), "zh-Hant-TW");
        assert!(locale("english_US").is_err());
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(timezone("Europe/Amsterdam").is_ok());
        assert!(timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert!(phone_number("+31201234567").is_ok());
        assert!(phone_number("0201234567").is_err());
    }

    #[test]
    fn country_codes_are_normalised() {
        assert_eq!(country_code(" us ").unwrap(), "US");
        assert!(country_code("USA").is_err());
    }
}
