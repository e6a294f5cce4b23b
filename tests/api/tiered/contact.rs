//! Contact channels and email verification on the tiered dialect (issue #16): the user's email as
//! its one channel, the verification mail of a password sign-up, `send-verification-code`,
//! `verify` and `verify/check-code`. Cases after the vendor's
//! `apps/e2e/tests/backend/endpoints/api/v1/contact-channels/*.test.ts` (in `stack-auth/stack-auth`).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    TieredAnswer,
    teams::{Vendor, expect},
};

const CALLBACK: &str = "http://localhost:12345/some-callback-url";

/// The code of the newest `Verify your email` mail to `email`.
async fn verification_code(v: &Vendor, email: &str) -> String {
    let res =
        v.f.app
            .admin(
                Method::GET,
                &format!("/outbox?to={email}&kind=email_verification&limit=1"),
            )
            .send()
            .await
            .unwrap();
    let mail = res.json::<Value>().await.unwrap()[0].clone();
    assert_eq!(mail["subject"], "Verify your email at Teams", "{mail}");
    let link = regex::Regex::new(r"http://localhost:12345/some-callback-url\?code=([a-zA-Z0-9]+)")
        .unwrap();
    link.captures(mail["text"].as_str().unwrap())
        .expect("a verification link")[1]
        .to_owned()
}

/// `Auth.Password.signUpWithEmail`: signs up with a verification callback; the user id.
async fn sign_up(v: &mut Vendor, email: &str) -> String {
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": email, "password": "a-password-1", "verification_callback_url": CALLBACK})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    v.access = Some(body["access_token"].as_str().unwrap().to_owned());
    body["user_id"].as_str().unwrap().to_owned()
}

/// verify.test.ts "should verify user's email"; the channel list before and after; a used code.
#[tokio::test]
async fn a_sign_up_mails_a_code_that_verifies_the_email_once() {
    let mut v = Vendor::new(json!({})).await;
    let email = "verify-me@example.com";
    let user_id = sign_up(&mut v, email).await;
    let list = v
        .send(
            "client",
            Method::GET,
            "/api/v1/contact-channels?user_id=me",
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let body = list.expect_json();
    assert_eq!(body["is_paginated"], false);
    let channel = body["items"][0].clone();
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        (
            &channel["user_id"],
            &channel["type"],
            &channel["value"],
            &channel["is_primary"],
            &channel["is_verified"],
            &channel["used_for_auth"]
        ),
        (
            &json!(user_id),
            &json!("email"),
            &json!(email),
            &json!(true),
            &json!(false),
            &json!(true)
        ),
        "{channel}"
    );

    let code = verification_code(&v, email).await;
    let check = || {
        v.send(
            "client",
            Method::POST,
            "/api/v1/contact-channels/verify/check-code",
            Some(json!({"code": code})),
        )
    };
    expect(&check().await, 200, json!({"is_code_valid": true}));
    // The code alone authorizes it: no user token.
    let token = v.access.take();
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/contact-channels/verify",
            Some(json!({"code": code})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    v.access = token;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/contact-channels/verify",
            Some(json!({"code": code})),
        )
        .await;
    expect(
        &a,
        409,
        json!({"code": "VERIFICATION_CODE_ALREADY_USED", "error": "The verification link has already been used."}),
    );
    let body = v
        .send(
            "client",
            Method::GET,
            "/api/v1/contact-channels?user_id=me",
            None,
        )
        .await
        .expect_json();
    assert_eq!(body["items"][0]["is_verified"], true, "{body}");
    assert_eq!(
        body["items"][0]["id"], channel["id"],
        "the id stays while the email does"
    );
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(me["primary_email_verified"], true, "{me}");

    // send-verification-code.test.ts "can't verify an e-mail that has already been verified".
    let path = format!(
        "/api/v1/contact-channels/me/{}/send-verification-code",
        channel["id"].as_str().unwrap()
    );
    let a = v
        .send(
            "client",
            Method::POST,
            &path,
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        409,
        json!({"code": "EMAIL_ALREADY_VERIFIED", "error": "The e-mail is already verified."}),
    );
}

/// send-verification-code.test.ts: a channel's code per mail; unknown channels, other users and
/// signed-out clients refused.
#[tokio::test]
async fn send_verification_code_rules() {
    let mut v = Vendor::new(json!({})).await;
    let email = "send-code@example.com";
    sign_up(&mut v, email).await;
    let first = verification_code(&v, email).await;
    let channel = v
        .send(
            "client",
            Method::GET,
            "/api/v1/contact-channels?user_id=me",
            None,
        )
        .await
        .expect_json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/contact-channels/me/{channel}/send-verification-code");
    let a = v
        .send(
            "client",
            Method::POST,
            &path,
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let second = verification_code(&v, email).await;
    assert_ne!(first, second, "a new code per request");

    let unknown = format!(
        "/api/v1/contact-channels/me/{}/send-verification-code",
        uuid::Uuid::new_v4()
    );
    let a = v
        .send(
            "client",
            Method::POST,
            &unknown,
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    expect(&a, 404, json!("Contact channel not found"));
    let other = format!(
        "/api/v1/contact-channels/{}/{channel}/send-verification-code",
        uuid::Uuid::new_v4()
    );
    let a = v
        .send(
            "client",
            Method::POST,
            &other,
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        400,
        json!("Can only send verification code for your own user"),
    );
    let a = v
        .send(
            "client",
            Method::POST,
            &path,
            Some(json!({"callback_url": "http://evil-website.example.com"})),
        )
        .await;
    a.known(400, "REDIRECT_URL_NOT_WHITELISTED");
    let list = v
        .send(
            "client",
            Method::GET,
            &format!("/api/v1/contact-channels?user_id={}", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    expect(
        &list,
        403,
        json!("Client can only list contact channels for their own user."),
    );
    v.access = None;
    let a = v
        .send(
            "client",
            Method::POST,
            &path,
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    a.known(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
}

/// legacy-send-verification-code.test.ts: the signed-in user's primary email only, not twice once
/// verified, and not without a user.
#[tokio::test]
async fn the_legacy_send_verification_code() {
    let mut v = Vendor::new(json!({})).await;
    let email = "legacy@example.com";
    sign_up(&mut v, email).await;
    const LEGACY: &str = "/api/v1/contact-channels/send-verification-code";
    let a = v
        .send(
            "client",
            Method::POST,
            LEGACY,
            Some(json!({"email": "other@example.com", "callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        400,
        json!({"code": "EMAIL_IS_NOT_PRIMARY_EMAIL", "details": {"email": "other@example.com", "primary_email": email},
               "error": "The given e-mail (other@example.com) must equal the user's primary e-mail (legacy@example.com)."}),
    );
    let a = v
        .send(
            "client",
            Method::POST,
            LEGACY,
            Some(json!({"email": email, "callback_url": CALLBACK})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let code = verification_code(&v, email).await;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/contact-channels/verify",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = v
        .send(
            "client",
            Method::POST,
            LEGACY,
            Some(json!({"email": email, "callback_url": CALLBACK})),
        )
        .await;
    a.known(409, "EMAIL_ALREADY_VERIFIED");
    v.access = None;
    let a = v
        .send(
            "client",
            Method::POST,
            LEGACY,
            Some(json!({"email": email, "callback_url": CALLBACK})),
        )
        .await;
    a.known(400, "SCHEMA_ERROR");
    assert!(a.text.contains("auth.user must be defined"), "{}", a.text);
}
