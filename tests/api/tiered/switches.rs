//! The project's sign-in switches on the tiered dialect (issue #16): `sign_up_enabled`,
//! `credential_enabled`, `magic_link_enabled`, set through the admin API and read by
//! `GET /projects/current`. Cases ported from the vendor's e2e files (in `stack-auth/stack-auth`,
//! `apps/e2e/tests/backend/endpoints/api/v1/`): `auth/password/sign-up.test.ts`,
//! `auth/otp/send-sign-in-code.test.ts`, `auth/password/set.test.ts`,
//! `auth/anonymous/anonymous-upgrade.test.ts`; the rest follow the vendor's route checks.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    TieredAnswer,
    otp::{code_and_otp, send_code, sign_in as otp_sign_in},
    teams::{Vendor, expect},
};

const SIGN_UP: &str = "/api/v1/auth/password/sign-up";
const SIGN_IN: &str = "/api/v1/auth/password/sign-in";
const SEND_CODE: &str = "/api/v1/auth/otp/send-sign-in-code";
const CALLBACK: &str = "http://localhost:12345/some-callback-url";

fn password_not_enabled() -> Value {
    json!({"code": "PASSWORD_AUTHENTICATION_NOT_ENABLED", "error": "Password authentication is not enabled for this project."})
}

fn sign_up_not_enabled() -> Value {
    json!({"code": "SIGN_UP_NOT_ENABLED", "error": "Creation of new accounts is not enabled for this project. Please ask the project owner to enable it."})
}

async fn sign_up(v: &Vendor, email: &str) -> super::Answer {
    v.send(
        "client",
        Method::POST,
        SIGN_UP,
        Some(json!({"email": email, "password": "a-good-password", "verification_callback_url": "http://localhost:12345"})),
    )
    .await
}

/// sign-up.test.ts "should not allow signing up if credentials are disabled"; and sign-in, as
/// the vendor's sign-in route checks the same switch.
#[tokio::test]
async fn no_password_sign_up_or_sign_in_without_credentials() {
    let v = Vendor::new(json!({"credential_enabled": false})).await;
    expect(
        &sign_up(&v, "creds@example.com").await,
        400,
        password_not_enabled(),
    );
    let a = v
        .send(
            "client",
            Method::POST,
            SIGN_IN,
            Some(json!({"email": "creds@example.com", "password": "a-good-password"})),
        )
        .await;
    expect(&a, 400, password_not_enabled());
    // The schema is checked first.
    let a = v
        .send("client", Method::POST, SIGN_IN, Some(json!({})))
        .await;
    a.known(400, "SCHEMA_ERROR");
    // The server may not create a user with a password either (plain text, as the vendor's).
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/users",
            Some(json!({"primary_email": "s@example.com", "password": "a-good-password"})),
        )
        .await;
    assert_eq!(
        a.text_error(400),
        "Password auth not enabled in the project"
    );
}

/// sign-up.test.ts "should not allow signing up if sign ups are disabled"; a user the server
/// makes is still made (the vendor's `POST /users` has no such check), and signs in.
#[tokio::test]
async fn no_sign_up_when_sign_ups_are_off_but_existing_users_sign_in() {
    let v = Vendor::new(json!({"sign_up_enabled": false, "credential_enabled": true})).await;
    expect(
        &sign_up(&v, "nosignup@example.com").await,
        400,
        sign_up_not_enabled(),
    );
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/users",
            Some(json!({"primary_email": "made@example.com", "primary_email_auth_enabled": true, "password": "a-good-password"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let a = v
        .send(
            "client",
            Method::POST,
            SIGN_IN,
            Some(json!({"email": "made@example.com", "password": "a-good-password"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// send-sign-in-code.test.ts "should refuse to sign up a new user if magic links are disabled
/// on the project".
#[tokio::test]
async fn no_one_time_codes_when_magic_links_are_off() {
    let v = Vendor::new(json!({"magic_link_enabled": false})).await;
    let a = v
        .send(
            "client",
            Method::POST,
            SEND_CODE,
            Some(json!({"email": "otp@example.com", "callback_url": CALLBACK})),
        )
        .await;
    expect(
        &a,
        403,
        json!("OTP sign-in is not enabled for this project"),
    );
}

/// send-sign-in-code.test.ts "should refuse to sign up a new user if sign ups are disabled on
/// the project"; a known, verified address still gets its code and signs in.
#[tokio::test]
async fn codes_to_unknown_addresses_need_sign_ups() {
    let v = Vendor::new(
        json!({"sign_up_enabled": false, "credential_enabled": false, "magic_link_enabled": true}),
    )
    .await;
    let a = v
        .send(
            "client",
            Method::POST,
            SEND_CODE,
            Some(json!({"email": "new@example.com", "callback_url": CALLBACK})),
        )
        .await;
    expect(&a, 400, sign_up_not_enabled());
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/users",
            Some(json!({"primary_email": "known@example.com", "primary_email_verified": true, "primary_email_auth_enabled": true})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let (mail, _) = send_code(&v, "known@example.com").await;
    let (code, _) = code_and_otp(&mail);
    let (status, body) = otp_sign_in(&v, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_new_user"], false, "{body}");
}

/// set.test.ts "should not set password if project does not have password auth enabled": a user
/// signed up with a one-time code cannot add a password.
#[tokio::test]
async fn no_password_set_without_credentials() {
    let mut v = Vendor::new(json!({"credential_enabled": false, "magic_link_enabled": true})).await;
    let (mail, _) = send_code(&v, "otp-only@example.com").await;
    let (code, _) = code_and_otp(&mail);
    let (status, body) = otp_sign_in(&v, &code).await;
    assert_eq!(status, 200, "{body}");
    v.access = Some(body["access_token"].as_str().unwrap().to_owned());
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/set",
            Some(json!({"password": "new-password"})),
        )
        .await;
    expect(&a, 400, password_not_enabled());
}

/// anonymous-upgrade.test.ts "should not allow upgrading account if sign ups are disabled".
#[tokio::test]
async fn no_anonymous_upgrade_without_sign_ups() {
    let mut v = Vendor::new(json!({"sign_up_enabled": false, "credential_enabled": true})).await;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/anonymous/sign-up",
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    v.access = Some(a.expect_json()["access_token"].as_str().unwrap().to_owned());
    let a = gateway_tests::http::fetch(
        v.req("client", Method::POST, SIGN_UP)
            .header("x-stack-allow-anonymous-user", "true")
            .json(&json!({"email": "upgrade@example.com", "password": "a-good-password", "verification_callback_url": "http://localhost:12345/some-callback-url"})),
    )
    .await;
    expect(&a, 400, sign_up_not_enabled());
}

/// The switches as the admin API sets them and `getProject()` reads them (`config`).
#[tokio::test]
async fn the_switches_are_project_settings() {
    let v = Vendor::new(json!({})).await;
    let config = |a: &super::Answer| a.expect_json()["config"].clone();
    let a = v
        .send("client", Method::GET, "/api/v1/projects/current", None)
        .await;
    let c = config(&a);
    assert_eq!(
        (
            &c["sign_up_enabled"],
            &c["credential_enabled"],
            &c["magic_link_enabled"]
        ),
        (&json!(true), &json!(true), &json!(true)),
        "on by default: {c}"
    );
    let res =
        v.f.app
            .admin(Method::PATCH, &format!("/projects/{}", v.f.project.id))
            .json(&json!({"sign_up_enabled": false, "magic_link_enabled": false}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["sign_up_enabled"], false, "{view}");
    assert_eq!(view["credential_enabled"], true, "{view}");
    let c = config(
        &v.send("client", Method::GET, "/api/v1/projects/current", None)
            .await,
    );
    assert_eq!(c["sign_up_enabled"], false, "{c}");
    assert_eq!(c["credential_enabled"], true, "{c}");
    assert_eq!(c["magic_link_enabled"], false, "{c}");
    expect(
        &sign_up(&v, "later@example.com").await,
        400,
        sign_up_not_enabled(),
    );
}
