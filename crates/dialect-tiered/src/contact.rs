//! Contact channels (`/api/v1/contact-channels...`): the vendor's read object of a core
//! [`ContactChannel`], the bodies of a create and an update, and the `email_verification` mail.
//! **The gateway's choice**: a channel's id is derived from its user and value
//! ([`gateway_core::channel_id`]), so it survives a primary swap and is a new one when the value
//! changes (the vendor keeps the id and changes the value).

use gateway_core::{ChannelPatch, ContactChannel, Mail, NewChannel, User};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    body::Body,
    reset,
    sessions::UserRef,
    validate::{BodyObject, EMAIL, Issues, body_object, boolean, string, unknown_keys},
};

/// A channel as the vendor's read object (the same for every access type).
pub fn read(c: &ContactChannel) -> Value {
    json!({
        "user_id": c.user_id.to_string(),
        "id": c.id.to_string(),
        "type": "email",
        "value": c.value,
        "is_primary": c.is_primary,
        "is_verified": c.is_verified,
        "used_for_auth": c.used_for_auth,
    })
}

/// A `POST /contact-channels` body: whose, and the channel.
pub struct CreateBody {
    /// `user_id` (`me` or a UUID).
    pub user: UserRef,
    /// The channel.
    pub channel: NewChannel,
}

/// The fields of a channel in both bodies, in the vendor's schema order: `value` (an email when
/// `type` is `email`), `type` (`email` only), `used_for_auth`, `is_primary`, and for servers
/// `is_verified`.
fn channel_fields(map: &Map<String, Value>, create: bool, issues: &mut Issues) -> ChannelPatch {
    let mut patch = ChannelPatch::default();
    let kind = map.get("type").and_then(|v| string("body.type", v, issues));
    if let Some(v) = map.get("value") {
        patch.value = string("body.value", v, issues).filter(|s| {
            let ok = kind.as_deref() != Some("email") || EMAIL.is_match(s);
            if !ok {
                issues.push("body.value must be a valid email".to_owned());
            }
            ok
        });
    } else if create {
        issues.push("body.value must be defined".to_owned());
    }
    match (kind.as_deref(), map.contains_key("type")) {
        (Some("email"), _) => {}
        (Some(_), _) => issues.push("body.type must be one of the following values: email".into()),
        (None, false) if create => issues.push("body.type must be defined".to_owned()),
        (None, _) => {}
    }
    if let Some(v) = map.get("used_for_auth") {
        patch.used_for_auth = boolean("body.used_for_auth", v, issues);
    } else if create {
        issues.push("body.used_for_auth must be defined".to_owned());
    }
    if let Some(v) = map.get("is_primary") {
        patch.is_primary = boolean("body.is_primary", v, issues);
    }
    if let Some(v) = map.get("is_verified") {
        patch.is_verified = boolean("body.is_verified", v, issues);
    }
    patch
}

/// The keys a caller may send: servers may set `is_verified` too.
fn known_keys(create: bool, server: bool) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if create {
        keys.push("user_id");
    }
    keys.extend(["value", "type", "used_for_auth", "is_primary"]);
    if server {
        keys.push("is_verified");
    }
    keys
}

/// A `POST /contact-channels` body (`server`: the caller may set `is_verified`).
pub fn create_body(body: &Body, server: bool) -> Result<CreateBody, Vec<String>> {
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let user = UserRef::body_field(&map, &mut issues);
    let fields = channel_fields(&map, true, &mut issues);
    unknown_keys("body", &map, &order, &known_keys(true, server), &mut issues);
    match (user, fields.value, fields.used_for_auth) {
        (Some(user), Some(value), Some(used_for_auth)) if issues.is_empty() => Ok(CreateBody {
            user,
            channel: NewChannel {
                value,
                is_verified: server && fields.is_verified == Some(true),
                used_for_auth,
                is_primary: fields.is_primary == Some(true),
            },
        }),
        _ => Err(issues.0),
    }
}

/// A `PATCH /contact-channels/{user}/{id}` body (`server`: the caller may set `is_verified`).
pub fn patch_body(body: &Body, server: bool) -> Result<ChannelPatch, Vec<String>> {
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let patch = channel_fields(&map, false, &mut issues);
    unknown_keys(
        "body",
        &map,
        &order,
        &known_keys(false, server),
        &mut issues,
    );
    if issues.is_empty() {
        Ok(patch)
    } else {
        Err(issues.0)
    }
}

/// The `{user_id}/{contact_channel_id}` path parameters.
pub fn path(req: &actix_web::HttpRequest) -> Result<(UserRef, Uuid), Vec<String>> {
    let raw = req.match_info().get("user_id").unwrap_or_default();
    let user = UserRef::parse(raw);
    let channel = crate::handlers::uuid_param(req, "contact_channel_id");
    match (user, channel) {
        (Some(user), Ok(channel)) => Ok((user, channel)),
        (user, channel) => {
            let mut lines = Vec::new();
            if user.is_none() {
                lines.push("params.user_id must be a valid UUID".to_owned());
            }
            lines.extend(channel.err());
            Err(lines)
        }
    }
}

/// The user and channel a `{user_id}/{contact_channel_id}` path names, for a caller that may
/// touch them: `me` resolved, and a client only its own user's (403 `Client can only <verb>
/// contact channels for their own user.`).
pub fn own_channel(
    caller: &crate::auth::Caller,
    (user, channel): (UserRef, Uuid),
    verb: &str,
) -> Result<(gateway_core::UserId, Uuid), crate::error::TieredError> {
    let user_id = user.resolve(caller.user.as_ref())?;
    crate::handlers::own_user_only(
        caller,
        Some(user_id),
        &format!("Client can only {verb} contact channels for their own user."),
    )?;
    Ok((user_id, channel))
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

/// Sends `user`'s address `email` (one of its channels) a verification code (the vendor's
/// `CONTACT_CHANNEL_VERIFICATION`): the callback rule, a code bound to the project, the mail.
pub async fn send_verification(
    gateway: &gateway_core::Gateway,
    project: &gateway_core::Project,
    user: &User,
    email: &str,
    callback: &str,
) -> Result<(), crate::error::TieredError> {
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
