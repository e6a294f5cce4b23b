//! One-time-code sign-in on the tiered dialect (issue #16): `otp/send-sign-in-code`,
//! `otp/sign-in`, `otp/sign-in/check-code`, the mail read from the outbox. Cases from the
//! vendor's `apps/e2e/tests/backend/endpoints/api/v1/auth/otp/send-sign-in-code.test.ts` and
//! `sign-in.test.ts` (in `stack-auth/stack-auth`).

use reqwest::Method;
use serde_json::{Value, json};

use super::teams::{Vendor, expect};

const SEND: &str = "/api/v1/auth/otp/send-sign-in-code";
const SIGN_IN: &str = "/api/v1/auth/otp/sign-in";
const CHECK: &str = "/api/v1/auth/otp/sign-in/check-code";
/// The vendor's `localRedirectUrl`.
const CALLBACK: &str = "http://localhost:12345/some-callback-url";

/// `Auth.Otp.sendSignInCode`: 200 `{nonce}`; the newest sign-in mail to `email`, and the nonce.
pub(super) async fn send_code(v: &Vendor, email: &str) -> (Value, String) {
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": email, "callback_url": CALLBACK, "bot_challenge_token": "mock-turnstile-ok:send_magic_link_email"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    let nonce = body["nonce"].as_str().unwrap().to_owned();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(
        regex::Regex::new("^[0-9a-z]{39}$")
            .unwrap()
            .is_match(&nonce),
        "{nonce}"
    );
    let res =
        v.f.app
            .admin(
                Method::GET,
                &format!("/outbox?to={email}&kind=sign_in&limit=1"),
            )
            .send()
            .await
            .unwrap();
    let mail = res.json::<Value>().await.unwrap()[0].clone();
    (mail, nonce)
}

/// The code of the mail's magic link (`getSignInCodeFromMailbox`) and its 6-character OTP.
pub(super) fn code_and_otp(mail: &Value) -> (String, String) {
    let text = mail["text"].as_str().unwrap();
    let link = regex::Regex::new(r"http://localhost:12345/some-callback-url\?code=([a-zA-Z0-9]+)")
        .unwrap();
    let code = link.captures(text).expect("a magic link")[1].to_owned();
    let subject = mail["subject"].as_str().unwrap();
    let otp = subject.rsplit(' ').next().unwrap().to_owned();
    (code, otp)
}

pub(super) async fn sign_in(v: &Vendor, code: &str) -> (u16, Value) {
    let a = v
        .send("client", Method::POST, SIGN_IN, Some(json!({"code": code})))
        .await;
    let body = if a.status == 200 {
        a.expect_json()
    } else {
        json!(a.text)
    };
    (a.status, body)
}

/// sign-in.test.ts "should sign up new users and sign in existing users"; the mail as
/// send-sign-in-code.test.ts shows it; the OTP + nonce form and the magic link's code; single use.
#[tokio::test]
async fn a_code_signs_up_then_signs_in_once_each() {
    let v = Vendor::new(json!({})).await;
    let email = "Otp.User@example.com";
    let (mail, nonce) = send_code(&v, email).await;
    let otp_re = regex::Regex::new("^Sign in to Teams: Your code is [A-Z0-9]{6}$").unwrap();
    assert!(otp_re.is_match(mail["subject"].as_str().unwrap()), "{mail}");
    assert_eq!(mail["from"], "Teams <noreply@example.com>");
    assert_eq!(mail["to"], email);
    let (code, otp) = code_and_otp(&mail);
    assert_eq!(
        code,
        format!("{}{nonce}", otp.to_lowercase()),
        "the link holds OTP + nonce"
    );
    expect(
        &v.send("client", Method::POST, CHECK, Some(json!({"code": code})))
            .await,
        200,
        json!({"is_code_valid": true}),
    );

    // `signInWithMagicLink(otp + nonce)`: the OTP as the mail shows it, upper-cased.
    let (status, first) = sign_in(&v, &format!("{otp}{nonce}")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["is_new_user"], true);
    for field in ["access_token", "refresh_token", "user_id"] {
        assert!(first[field].is_string(), "{first}");
    }
    let (status, again) = sign_in(&v, &code).await;
    assert_eq!(status, 409, "{again}");
    assert!(
        again
            .as_str()
            .unwrap()
            .contains("VERIFICATION_CODE_ALREADY_USED"),
        "{again}"
    );

    let (mail, _) = send_code(&v, email).await;
    let (code, _) = code_and_otp(&mail);
    let (status, second) = sign_in(&v, &code).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["is_new_user"], false);
    assert_eq!(second["user_id"], first["user_id"]);

    // The new user: email verified and used for sign-in, OTP on.
    let a = v
        .send(
            "server",
            Method::GET,
            &format!("/api/v1/users/{}", first["user_id"].as_str().unwrap()),
            None,
        )
        .await;
    let user = a.expect_json();
    assert_eq!(
        (
            &user["primary_email"],
            &user["primary_email_verified"],
            &user["primary_email_auth_enabled"],
            &user["otp_auth_enabled"]
        ),
        (
            &json!("otp.user@example.com"),
            &json!(true),
            &json!(true),
            &json!(true)
        ),
        "{user}"
    );
}

/// send-sign-in-code.test.ts: a callback outside the trusted domains; and an address whose user
/// has not verified it (`would_work_if_email_was_verified: true`); unknown codes.
#[tokio::test]
async fn refused_callbacks_unverified_addresses_and_unknown_codes() {
    let v = Vendor::new(json!({})).await;
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": "someone@example.com", "callback_url": "http://evil-website.example.com"})),
        )
        .await;
    expect(
        &a,
        400,
        json!({"code": "REDIRECT_URL_NOT_WHITELISTED", "error": "Redirect URL not whitelisted. Did you forget to add this domain to the trusted domains list on the Stack Auth dashboard?"}),
    );
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": "unverified@example.com", "password": "a-password-1"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": "unverified@example.com", "callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        409,
        json!({"code": "USER_EMAIL_ALREADY_EXISTS", "details": {"email": "unverified@example.com", "would_work_if_email_was_verified": true}, "error": "A user with email \"unverified@example.com\" already exists."}),
    );
    let (status, body) = sign_in(&v, &"b".repeat(45)).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body.as_str()
            .unwrap()
            .contains("VERIFICATION_CODE_NOT_FOUND")
    );
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": "a@b", "callback_url": CALLBACK})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.text.contains("SCHEMA_ERROR"), "{}", a.text);
}

/// The published SDK (`mail` scenario): `sendForgotPasswordEmail`, `verifyPasswordResetCode`,
/// `resetPassword`, then `sendMagicLinkEmail` and `signInWithMagicLink(OTP + nonce)` for a new
/// address, each code read from the outbox.
#[tokio::test]
async fn sdk_mail_scenario() {
    let f = super::fixture().await;
    let mut env = super::sdk_env(&f, &f.session);
    env.push(("ADMIN_TOKEN", gateway_tests::ADMIN_TOKEN.to_owned()));
    let out = super::run_sdk("mail", env).await;
    for step in [
        "mail-reset-password",
        "mail-verify-email",
        "mail-magic-link",
    ] {
        assert!(
            out.contains(&format!(r#""step":"{step}","ok":true"#)),
            "{step}: {out}"
        );
    }
}
