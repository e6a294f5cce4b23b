//! Password reset by mail (`/api/v1/auth/password/send-reset-code`, `/reset`,
//! `/reset/check-code`): the vendor's body schemas, its redirect-URL rule, its mail, and its
//! verification-code errors. The codes themselves are the core's (`gateway_core::codes`).

use gateway_core::{CodeRefusal, Mail, User};
use serde_json::Value;

use crate::{
    body::Body,
    known::KnownError,
    password::{password_field, required},
    validate::{BodyObject, EMAIL, Issues, body_object, js_len, unknown_keys, url_checks},
};

/// How long a code acts: the vendor's default (`expiresInMs`: seven days).
pub const CODE_TTL: chrono::Duration = chrono::Duration::days(7);

/// The length of the vendor's codes (`yupString().length(45)`).
pub const CODE_LEN: usize = 45;

/// What the vendor answers to every `send-reset-code`, sent or not.
pub const MAYBE_SENT: &str = "maybe, only if user with e-mail exists";

/// The `send-reset-code` body: `email` (`emailSchema`) and `callback_url` (`urlSchema`).
pub fn send_body(body: &Body) -> Result<(String, String), Vec<String>> {
    const FIELDS: [&str; 2] = ["email", "callback_url"];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let email = required(&map, "email", &mut issues).filter(|e| {
        let ok = EMAIL.is_match(e) && js_len(e) <= 256;
        if !ok {
            issues.push("body.email must be a valid email".into());
        }
        ok
    });
    let callback = required(&map, "callback_url", &mut issues)
        .filter(|url| url_checks("body.callback_url", url, &mut issues));
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (email, callback) {
        (Some(email), Some(callback)) if issues.is_empty() => Ok((email, callback)),
        _ => Err(issues.0),
    }
}

fn code_field(map: &serde_json::Map<String, Value>, issues: &mut Issues) -> Option<String> {
    required(map, "code", issues).filter(|c| {
        let ok = js_len(c) == CODE_LEN;
        if !ok {
            issues.push(format!("body.code must be exactly {CODE_LEN} characters"));
        }
        ok
    })
}

/// The `reset` body: `code` (45 characters) and `password` (`passwordSchema`).
pub fn reset_body(body: &Body) -> Result<(String, String), Vec<String>> {
    const FIELDS: [&str; 2] = ["code", "password"];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let code = code_field(&map, &mut issues);
    let password = password_field(&map, "password", &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (code, password) {
        (Some(code), Some(password)) if issues.is_empty() => Ok((code, password)),
        _ => Err(issues.0),
    }
}

/// The `reset/check-code` body: `code` only.
pub fn check_body(body: &Body) -> Result<String, Vec<String>> {
    const FIELDS: [&str; 1] = ["code"];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let code = code_field(&map, &mut issues);
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match code {
        Some(code) if issues.is_empty() => Ok(code),
        _ => Err(issues.0),
    }
}

/// The vendor's redirect rule (`validateRedirectUrl`) as far as the gateway models projects: a
/// new project allows `localhost` (`allow_localhost`, on by default) and has no trusted domains,
/// so only loopback hosts are allowed; anything else is `REDIRECT_URL_NOT_WHITELISTED`.
pub fn check_redirect(url: &str) -> Result<url::Url, KnownError> {
    let parsed = url::Url::parse(url).map_err(|_| KnownError::redirect_url_not_whitelisted())?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback && matches!(parsed.scheme(), "http" | "https") {
        Ok(parsed)
    } else {
        Err(KnownError::redirect_url_not_whitelisted())
    }
}

/// `link` with its `code` parameter set to `code`, as `URL.searchParams.set` does.
pub fn with_code(mut link: url::Url, code: &str) -> url::Url {
    let kept: Vec<(String, String)> = link
        .query_pairs()
        .filter(|(k, _)| k != "code")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    link.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("code", code);
    link
}

/// The vendor's `password_reset` mail: the link is the callback URL with `code` set, from and
/// about the project.
pub fn mail(project_name: &str, user: &User, to: &str, link: url::Url, code: &str) -> Mail {
    let link = with_code(link, code);
    let name = user.profile.display_name.as_deref().unwrap_or(to);
    Mail {
        to: to.to_owned(),
        from_name: project_name.to_owned(),
        subject: format!("Reset your password at {project_name}"),
        text: format!(
            "Hi {name},\n\nSomeone asked to reset the password of your account at {project_name}. \
             Open this link to choose a new one:\n\n{link}\n\nIf you did not ask for it, ignore \
             this message: your password stays as it is.\n"
        ),
        kind: "password_reset",
    }
}

/// A refused code in the vendor's words.
pub fn refused(refusal: CodeRefusal) -> KnownError {
    match refusal {
        CodeRefusal::NotFound => KnownError::verification_code_not_found(),
        CodeRefusal::Expired => KnownError::verification_code_expired(),
        CodeRefusal::AlreadyUsed => KnownError::verification_code_already_used(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_callbacks_are_allowed() {
        for ok in [
            "http://localhost:12345/cb",
            "https://app.localhost/x",
            "http://127.0.0.1/x",
            "http://[::1]:3000/",
        ] {
            assert!(check_redirect(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://evil-website.example.com",
            "javascript:alert(1)",
            "ftp://localhost/x",
        ] {
            assert!(check_redirect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_link_sets_the_code_and_keeps_other_parameters() {
        let user = User::new(gateway_core::UserId::new(), "u", chrono::Utc::now());
        let link = check_redirect("http://localhost:3000/reset?lang=en&code=old#top").unwrap();
        let m = mail("Demo", &user, "u@example.com", link, "abc");
        assert!(
            m.text
                .contains("http://localhost:3000/reset?lang=en&code=abc#top"),
            "{}",
            m.text
        );
        assert_eq!(m.subject, "Reset your password at Demo");
    }
}
