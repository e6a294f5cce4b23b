//! Password reset by mail on the tiered dialect (issue #16): `send-reset-code`, `reset`,
//! `reset/check-code`, read through the outbox (`GET /admin/outbox`) as the vendor's e2e suite
//! reads its mailbox. Cases ported from `apps/e2e/tests/backend/endpoints/api/v1/auth/password/
//! reset.test.ts` and `send-reset-code.test.ts` (in `stack-auth/stack-auth`).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    TieredAnswer,
    teams::{Vendor, expect},
};

const SEND: &str = "/api/v1/auth/password/send-reset-code";
const RESET: &str = "/api/v1/auth/password/reset";
const CHECK: &str = "/api/v1/auth/password/reset/check-code";
/// The vendor's `localRedirectUrl`.
const CALLBACK: &str = "http://localhost:12345/some-callback-url";

/// `Auth.Password.signUpWithEmail` then `Auth.signOut`: a user with a password, signed out.
pub(super) async fn signed_up(v: &mut Vendor, email: &str) -> String {
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": email, "password": "original-password"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    v.access = Some(body["access_token"].as_str().unwrap().to_owned());
    let a = v
        .send(
            "client",
            Method::DELETE,
            "/api/v1/auth/sessions/current",
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    v.access = None;
    body["user_id"].as_str().unwrap().to_owned()
}

/// The outbox's mail to `to`, newest first.
pub(super) async fn mail_to(v: &Vendor, to: &str) -> Vec<Value> {
    let res =
        v.f.app
            .admin(Method::GET, &format!("/outbox?to={to}"))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `send-reset-code` for `email` with the vendor's callback: the answer.
pub(super) async fn ask_reset(v: &Vendor, email: &str) -> super::Answer {
    v.send(
        "client",
        Method::POST,
        SEND,
        Some(json!({"email": email, "callback_url": CALLBACK})),
    )
    .await
}

/// `getResetCode`: asks for a code and reads it from the link of the one reset mail.
async fn reset_code(v: &Vendor, email: &str) -> String {
    expect(
        &ask_reset(v, email).await,
        200,
        json!({"success": "maybe, only if user with e-mail exists"}),
    );
    let mails = mail_to(v, email).await;
    let mail = &mails[0];
    assert_eq!(mail["subject"], "Reset your password at Teams", "{mail}");
    assert_eq!(mail["from"], "Teams <noreply@example.com>");
    assert_eq!(mail["kind"], "password_reset");
    let re =
        regex::Regex::new(r"http://localhost:12345/some-callback-url\?code=[0-9a-z]+").unwrap();
    let links: Vec<_> = re.find_iter(mail["text"].as_str().unwrap()).collect();
    assert_eq!(links.len(), 1, "exactly one reset link: {mail}");
    let code = links[0].as_str().rsplit("code=").next().unwrap().to_owned();
    assert_eq!(code.len(), 45);
    code
}

pub(super) async fn sign_in(v: &Vendor, email: &str, password: &str) -> u16 {
    v.send(
        "client",
        Method::POST,
        "/api/v1/auth/password/sign-in",
        Some(json!({"email": email, "password": password})),
    )
    .await
    .status
}

/// reset.test.ts "should reset the password", "should be able to check the password reset code
/// without using it", and the code's single use.
#[tokio::test]
async fn a_mailed_code_resets_the_password_once() {
    let mut v = Vendor::new(json!({})).await;
    let email = "reset@example.com";
    signed_up(&mut v, email).await;
    let code = reset_code(&v, email).await;
    let check = || v.send("client", Method::POST, CHECK, Some(json!({"code": code})));
    expect(&check().await, 200, json!({"is_code_valid": true}));
    // Letter case does not matter (the vendor lower-cases the code).
    let upper = v
        .send(
            "client",
            Method::POST,
            CHECK,
            Some(json!({"code": code.to_uppercase()})),
        )
        .await;
    expect(&upper, 200, json!({"is_code_valid": true}));

    // A too-short password is refused before the code is used.
    let a = v
        .send(
            "client",
            Method::POST,
            RESET,
            Some(json!({"code": code, "password": "short"})),
        )
        .await;
    expect(
        &a,
        400,
        json!({"code": "PASSWORD_TOO_SHORT", "details": {"min_length": 8}, "error": "Password too short. Minimum length is 8."}),
    );
    expect(&check().await, 200, json!({"is_code_valid": true}));

    let a = v
        .send(
            "client",
            Method::POST,
            RESET,
            Some(json!({"code": code, "password": "this-is-a-new-password"})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    assert_eq!(sign_in(&v, email, "original-password").await, 400);
    assert_eq!(sign_in(&v, email, "this-is-a-new-password").await, 200);

    let used = json!({"code": "VERIFICATION_CODE_ALREADY_USED", "error": "The verification link has already been used."});
    expect(&check().await, 409, used.clone());
    let again = v
        .send(
            "client",
            Method::POST,
            RESET,
            Some(json!({"code": code, "password": "yet-another-password"})),
        )
        .await;
    expect(&again, 409, used);
}

/// A reset ends the user's sessions: a refresh token from before is refused after.
#[tokio::test]
async fn a_reset_ends_the_sessions() {
    let v = Vendor::new(json!({})).await;
    let email = "sessions@example.com";
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": email, "password": "original-password"})),
        )
        .await;
    let refresh = a.expect_json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refreshed = |v: &Vendor| {
        let req =
            v.f.bare(Method::POST, "/api/v1/auth/sessions/current/refresh")
                .header("x-stack-access-type", "client")
                .header("x-stack-project-id", &v.f.project.id)
                .header("x-stack-publishable-client-key", &v.f.project.pck)
                .header("x-stack-refresh-token", &refresh)
                .json(&json!({}));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(refreshed(&v).await, 200);
    let code = reset_code(&v, email).await;
    let a = v
        .send(
            "client",
            Method::POST,
            RESET,
            Some(json!({"code": code, "password": "this-is-a-new-password"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(refreshed(&v).await, 401);
}

/// send-reset-code.test.ts: an unknown address gets the same answer and no mail (after the
/// vendor's wait); a callback URL outside the trusted domains is refused when a code would be
/// made; bodies are checked as the vendor's schema does.
#[tokio::test]
async fn unknown_addresses_bad_callbacks_and_bad_codes() {
    let mut v = Vendor::new(json!({})).await;
    let started = std::time::Instant::now();
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": "nobody@example.com", "callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        200,
        json!({"success": "maybe, only if user with e-mail exists"}),
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "the vendor's wait"
    );
    assert_eq!(mail_to(&v, "nobody@example.com").await, Vec::<Value>::new());

    let email = "evil@example.com";
    signed_up(&mut v, email).await;
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": email, "callback_url": "http://evil-website.example.com"})),
        )
        .await;
    expect(
        &a,
        400,
        json!({"code": "REDIRECT_URL_NOT_WHITELISTED", "error": "Redirect URL not whitelisted. Did you forget to add this domain to the trusted domains list on the Stack Auth dashboard?"}),
    );
    assert!(mail_to(&v, email).await.is_empty());

    let unknown = "a".repeat(45);
    let a = v
        .send(
            "client",
            Method::POST,
            CHECK,
            Some(json!({"code": unknown})),
        )
        .await;
    expect(
        &a,
        404,
        json!({"code": "VERIFICATION_CODE_NOT_FOUND", "error": "The verification code does not exist for this project."}),
    );
    let a = v
        .send(
            "client",
            Method::POST,
            CHECK,
            Some(json!({"code": "short"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    a.known(400, "SCHEMA_ERROR");
    assert!(
        a.text.contains("body.code must be exactly 45 characters"),
        "{}",
        a.text
    );
    let a = v
        .send(
            "client",
            Method::POST,
            SEND,
            Some(json!({"email": "not an email", "callback_url": CALLBACK})),
        )
        .await;
    a.known(400, "SCHEMA_ERROR");

    // A code of one project does not act in another.
    let code = reset_code(&v, email).await;
    let other = Vendor::new(json!({})).await;
    let a = other
        .send("client", Method::POST, CHECK, Some(json!({"code": code})))
        .await;
    assert_eq!(a.status, 404, "{}", a.text);
}
