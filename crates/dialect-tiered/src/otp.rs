//! One-time-password and magic-link sign-in (`/api/v1/auth/otp/send-sign-in-code`, `/sign-in`,
//! `/sign-in/check-code`): the vendor's bodies and its `magic_link` mail. The mail shows the
//! first 6 characters of the 45-character code upper-cased (the OTP) and links to the callback
//! with the whole code; the answer carries the other 39 (the `nonce`), so `OTP + nonce` is the
//! code, as `signInWithMagicLink` sends it.

use gateway_core::Mail;

use crate::{
    body::Body,
    password::{BOT_CHALLENGE, bot_challenge, required, sign_in_email},
    reset::{self, CODE_LEN},
    validate::{BodyObject, Issues, body_object, unknown_keys, url_checks},
};

/// Characters of the code shown as the OTP.
pub const OTP_LEN: usize = 6;

/// The `send-sign-in-code` body: `email` (`signInEmailSchema`), `callback_url`, the bot-challenge
/// fields.
pub fn send_body(body: &Body) -> Result<(String, String), Vec<String>> {
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let email = sign_in_email(&map, &mut issues);
    let callback = required(&map, "callback_url", &mut issues)
        .filter(|url| url_checks("body.callback_url", url, &mut issues));
    bot_challenge(&map, &mut issues);
    let mut fields = vec!["email", "callback_url"];
    fields.extend(BOT_CHALLENGE);
    unknown_keys("body", &map, &order, &fields, &mut issues);
    match (email, callback) {
        (Some(email), Some(callback)) if issues.is_empty() => Ok((email, callback)),
        _ => Err(issues.0),
    }
}

/// The `sign-in` and `sign-in/check-code` body: `code` (45 characters).
pub fn code_body(body: &Body) -> Result<String, Vec<String>> {
    reset::check_body(body)
}

/// The vendor's `magic_link` mail for `code` (subject `Sign in to <project>: Your code is <OTP>`).
pub fn mail(project_name: &str, name: Option<&str>, to: &str, link: url::Url, code: &str) -> Mail {
    let link = reset::with_code(link, code);
    let otp = code[..OTP_LEN].to_uppercase();
    let hi = name.map_or_else(|| "Hi!".to_owned(), |n| format!("Hi, {n}!"));
    Mail {
        to: to.to_owned(),
        from_name: project_name.to_owned(),
        subject: format!("Sign in to {project_name}: Your code is {otp}"),
        text: format!(
            "{hi} This is your one-time-password for signing in:\n\n{otp}\n\nOr you can open this \
             link to sign in:\n\n{link}\n"
        ),
        kind: "sign_in",
    }
}

/// The nonce the answer carries: the code without its OTP.
pub fn nonce(code: &str) -> &str {
    debug_assert_eq!(code.len(), CODE_LEN);
    &code[OTP_LEN..]
}
