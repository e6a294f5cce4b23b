//! Contact channels (`/api/v1/contact-channels...`) as far as the core models them: a user has one
//! email, shown as its one channel (primary; verified and used for sign-in as the user's flags
//! say). **The gateway's choice**: a channel's id is derived from its user and value (a UUID v5),
//! so it is stable while the email stays and a new one when it changes (the vendor keeps the id
//! and changes the value); creating, editing and deleting channels is not served. The
//! `email_verification` mail and the verification codes are served.

use gateway_core::{Mail, User};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::reset;

/// The namespace of channel ids (a fixed random UUID: ids are `v5(namespace, user id + value)`).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1d_26b0_83c4_4f4e_9d1e_5b1c_0c3e_7a21);

/// The id of `user`'s email channel, if it has an email.
pub fn channel_id(user: &User) -> Option<Uuid> {
    let email = user.identity.email.as_deref()?;
    Some(Uuid::new_v5(
        &NAMESPACE,
        format!("{}:{}", user.id, email.to_lowercase()).as_bytes(),
    ))
}

/// `user`'s channels as the vendor's read object (the same for every access type).
pub fn channels(user: &User) -> Vec<Value> {
    let (Some(id), Some(email)) = (channel_id(user), user.identity.email.as_deref()) else {
        return Vec::new();
    };
    vec![json!({
        "user_id": user.id.to_string(),
        "id": id.to_string(),
        "type": "email",
        "value": email,
        "is_primary": true,
        "is_verified": user.identity.email_verified,
        "used_for_auth": user.identity.email_auth_enabled,
    })]
}

/// The vendor's `email_verification` mail (subject `Verify your email at <project>`).
pub fn mail(project_name: &str, user: &User, to: &str, link: url::Url, code: &str) -> Mail {
    let link = reset::with_code(link, code);
    let hi = user
        .profile
        .display_name
        .as_deref()
        .map_or_else(|| "Hi!".to_owned(), |n| format!("Hi, {n}!"));
    Mail {
        to: to.to_owned(),
        from_name: project_name.to_owned(),
        subject: format!("Verify your email at {project_name}"),
        text: format!(
            "{hi} Please open the following link to verify your email:\n\n{link}\n\nIf you were not \
             expecting this email, you can safely ignore it.\n"
        ),
        kind: "email_verification",
    }
}

/// Sends `user`'s email a verification code (the vendor's `CONTACT_CHANNEL_VERIFICATION`): the
/// callback rule, a code bound to the project, the mail.
pub async fn send_verification(
    gateway: &gateway_core::Gateway,
    project: &gateway_core::Project,
    user: &User,
    callback: &str,
) -> Result<(), crate::error::TieredError> {
    let Some(email) = user.identity.email.as_deref() else {
        return Ok(());
    };
    let link = reset::check_redirect(callback)?;
    let code = gateway
        .issue_code(
            gateway_core::CodePurpose::EmailVerification,
            Some(user.id),
            Some(project.id),
            email,
            reset::CODE_TTL,
        )
        .await?;
    gateway
        .send_mail(mail(&project.display_name, user, email, link, &code))
        .await?;
    Ok(())
}

/// The `GET /contact-channels` query: `user_id` (`me` or a UUID) and `contact_channel_id` (a
/// UUID), both optional; failures in schema order, then unknown keys.
pub fn list_query(
    raw: &str,
) -> Result<(Option<crate::sessions::UserRef>, Option<Uuid>), Vec<String>> {
    let pairs = crate::validate::QueryPairs::parse(raw);
    let mut issues = Vec::new();
    let user = pairs.get("user_id").and_then(|v| {
        let parsed = crate::sessions::UserRef::parse(v);
        if parsed.is_none() {
            issues.push("query.user_id must be a valid UUID".to_owned());
        }
        parsed
    });
    let channel = pairs.get("contact_channel_id").and_then(|v| {
        let parsed = Uuid::parse_str(v)
            .ok()
            .filter(|_| crate::validate::is_uuid(v));
        if parsed.is_none() {
            issues.push("query.contact_channel_id must be a valid UUID".to_owned());
        }
        parsed
    });
    issues.extend(pairs.unknown_keys(&["user_id", "contact_channel_id"]));
    if issues.is_empty() {
        Ok((user, channel))
    } else {
        Err(issues)
    }
}

/// The `send-verification-code` body: `callback_url` only.
pub fn callback_body(body: &crate::body::Body) -> Result<String, Vec<String>> {
    use crate::validate::{BodyObject, Issues, body_object, unknown_keys, url_checks};
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let callback = crate::password::required(&map, "callback_url", &mut issues)
        .filter(|url| url_checks("body.callback_url", url, &mut issues));
    unknown_keys("body", &map, &order, &["callback_url"], &mut issues);
    match callback {
        Some(callback) if issues.is_empty() => Ok(callback),
        _ => Err(issues.0),
    }
}

/// The legacy `send-verification-code` body (`email`: `signInEmailSchema`, `callback_url`), for a
/// caller that is `signed_in` or not (`auth.user must be defined` listed with the body's failures).
pub fn legacy_body(
    body: &crate::body::Body,
    signed_in: bool,
) -> Result<(String, String), Vec<String>> {
    use crate::validate::{BodyObject, unknown_keys, url_checks};
    let (BodyObject { map, order }, mut issues) = crate::password::signed_in_body(body, signed_in)?;
    let email = crate::password::sign_in_email(&map, &mut issues);
    let callback = crate::password::required(&map, "callback_url", &mut issues)
        .filter(|url| url_checks("body.callback_url", url, &mut issues));
    unknown_keys(
        "body",
        &map,
        &order,
        &["email", "callback_url"],
        &mut issues,
    );
    match (email, callback) {
        (Some(email), Some(callback)) if issues.is_empty() => Ok((email, callback)),
        _ => Err(issues.0),
    }
}
