//! Contact channel CRUD on the tiered dialect (issue #16): `POST /contact-channels`, `GET`,
//! `PATCH` and `DELETE /contact-channels/{user_id}/{id}`, the primary swap, sign-in with another
//! channel, and the claim of a sign-in address. Cases after the vendor's
//! `apps/e2e/tests/backend/endpoints/api/v1/contact-channels/contact-channels.test.ts` (in
//! `stack-auth/stack-auth`), bodies compared with ids stripped as its snapshots are.

use gateway_tests::http::Answer;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    TieredAnswer,
    otp::{code_and_otp, send_code, sign_in},
    teams::{Vendor, expect},
};

const CHANNELS: &str = "/api/v1/contact-channels";
const CALLBACK: &str = "http://localhost:12345/some-callback-url";

/// The read object as the vendor's snapshots show it (ids stripped).
fn shown(value: &str, primary: bool, verified: bool, auth: bool) -> Value {
    json!({"id": "<stripped UUID>", "user_id": "<stripped UUID>", "type": "email", "value": value,
           "is_primary": primary, "is_verified": verified, "used_for_auth": auth})
}

/// `Auth.Otp.signIn()` with `email`: a verified, sign-in primary email; the session becomes the
/// current one. The user id.
async fn otp_sign_in(v: &mut Vendor, email: &str) -> String {
    let (mail, _) = send_code(v, email).await;
    let (code, _) = code_and_otp(&mail);
    let (status, body) = sign_in(v, &code).await;
    assert_eq!(status, 200, "{body}");
    v.access = Some(body["access_token"].as_str().unwrap().to_owned());
    body["user_id"].as_str().unwrap().to_owned()
}

async fn create(v: &Vendor, access: &str, body: Value) -> Answer {
    v.send(access, Method::POST, CHANNELS, Some(body)).await
}

/// Creates a channel, expects a 201, and gives its id.
async fn created(v: &Vendor, access: &str, body: Value) -> String {
    let a = create(v, access, body).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.expect_json()["id"].as_str().unwrap().to_owned()
}

async fn list(v: &Vendor) -> Value {
    let a = v
        .send(
            "client",
            Method::GET,
            &format!("{CHANNELS}?user_id=me"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

/// "create contact channel on the client", "cannot create duplicate contact channels", "create
/// contact channel on the server"; a client may not verify, nor add to another user.
#[tokio::test]
async fn channels_are_created_listed_and_refused_twice() {
    let mut v = Vendor::new(json!({})).await;
    let user_id = otp_sign_in(&mut v, "default-mailbox@example.com").await;
    let body = json!({"value": "Mailbox-1@Example.com", "type": "email", "used_for_auth": true, "user_id": "me"});
    let a = create(&v, "client", body.clone()).await;
    expect(&a, 201, shown("mailbox-1@example.com", false, false, true));
    expect(
        &v.send(
            "client",
            Method::GET,
            &format!("{CHANNELS}?user_id=me"),
            None,
        )
        .await,
        200,
        json!({"is_paginated": false, "items": [
            shown("default-mailbox@example.com", true, true, true),
            shown("mailbox-1@example.com", false, false, true),
        ]}),
    );
    expect(
        &create(&v, "client", body).await,
        400,
        json!("Contact channel already exists"),
    );
    let a = create(
        &v,
        "client",
        json!({"value": "mailbox-2@example.com", "type": "email", "used_for_auth": false, "user_id": "me", "is_verified": true}),
    )
    .await;
    a.known(400, "SCHEMA_ERROR");
    assert!(
        a.text
            .contains("body contains unknown properties: is_verified"),
        "{}",
        a.text
    );
    let a = create(
        &v,
        "client",
        json!({"value": "not-an-email", "type": "phone", "user_id": "me"}),
    )
    .await;
    a.known(400, "SCHEMA_ERROR");
    for line in [
        "body.type must be one of the following values: email",
        "body.used_for_auth must be defined",
    ] {
        assert!(a.text.contains(line), "{line}: {}", a.text);
    }
    let a = create(
        &v,
        "client",
        json!({"value": "mailbox-2@example.com", "type": "email", "used_for_auth": false, "user_id": uuid::Uuid::new_v4()}),
    )
    .await;
    expect(
        &a,
        403,
        json!("Client can only create contact channels for their own user."),
    );
    let a = create(
        &v,
        "server",
        json!({"value": "mailbox-2@example.com", "type": "email", "used_for_auth": false, "is_verified": true, "user_id": user_id}),
    )
    .await;
    expect(&a, 201, shown("mailbox-2@example.com", false, true, false));
    let id = a.expect_json()["id"].as_str().unwrap().to_owned();
    let one = v
        .send("client", Method::GET, &format!("{CHANNELS}/me/{id}"), None)
        .await;
    expect(
        &one,
        200,
        shown("mailbox-2@example.com", false, true, false),
    );
    let missing = v
        .send(
            "client",
            Method::GET,
            &format!("{CHANNELS}/me/{}", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    expect(&missing, 404, json!("Contact channel not found."));
    let server_list = v
        .send(
            "server",
            Method::GET,
            &format!("{CHANNELS}?user_id={user_id}"),
            None,
        )
        .await
        .expect_json();
    assert_eq!(
        server_list["items"].as_array().unwrap().len(),
        3,
        "{server_list}"
    );
}

/// "delete contact channel on the client" (the user has no primary email after), "cannot delete a
/// contact channel that doesn't exist", "sets a primary contact channel to non-primary", "should
/// create a contact channel as primary and demote existing primary".
#[tokio::test]
async fn primaries_are_deleted_demoted_and_swapped() {
    let mut v = Vendor::new(json!({})).await;
    otp_sign_in(&mut v, "swap@example.com").await;
    let primary = list(&v).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = v
        .send(
            "client",
            Method::PATCH,
            &format!("{CHANNELS}/me/{primary}"),
            Some(json!({"is_primary": false})),
        )
        .await;
    expect(&a, 200, shown("swap@example.com", false, true, true));
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(
        (
            &me["primary_email"],
            &me["primary_email_verified"],
            &me["auth_with_email"]
        ),
        (&json!(null), &json!(false), &json!(true)),
        "{me}"
    );
    let a = create(
        &v,
        "client",
        json!({"value": "new-primary@example.com", "type": "email", "used_for_auth": true, "is_primary": true, "user_id": "me"}),
    )
    .await;
    expect(&a, 201, shown("new-primary@example.com", true, false, true));
    let a = create(
        &v,
        "client",
        json!({"value": "newer-primary@example.com", "type": "email", "used_for_auth": false, "is_primary": true, "user_id": "me"}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let items = list(&v).await["items"].clone();
    let flags: Vec<(&str, bool)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap(),
                c["is_primary"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("newer-primary@example.com", true),
            ("swap@example.com", false),
            ("new-primary@example.com", false),
        ]
    );
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(me["primary_email"], "newer-primary@example.com", "{me}");
    let newer = items[0]["id"].as_str().unwrap();
    let a = v
        .send(
            "client",
            Method::DELETE,
            &format!("{CHANNELS}/me/{newer}"),
            None,
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(me["primary_email"], json!(null), "{me}");
    let a = v
        .send(
            "client",
            Method::DELETE,
            &format!("{CHANNELS}/me/{newer}"),
            None,
        )
        .await;
    expect(&a, 400, json!("Contact channel not found"));
    let a = v
        .send(
            "client",
            Method::DELETE,
            &format!("{CHANNELS}/{}/{newer}", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    expect(
        &a,
        403,
        json!("Client can only delete contact channels for their own user."),
    );
}

/// "login with a newly created contact channel" (verified first, then an OTP sign-in with it is
/// the same account), "creates a new account when login with a contact channel that is not used
/// for auth", a password sign-in with an other channel, and the claim: another account's sign-in
/// address is refused with the vendor's 409.
#[tokio::test]
async fn other_channels_sign_in_and_claim_their_address() {
    let mut v = Vendor::new(json!({})).await;
    let first = otp_sign_in(&mut v, "first@example.com").await;
    let second = created(
        &v,
        "client",
        json!({"value": "second@example.com", "type": "email", "used_for_auth": true, "user_id": "me"}),
    )
    .await;
    let a = create(
        &v,
        "client",
        json!({"value": "not-auth@example.com", "type": "email", "used_for_auth": false, "user_id": "me"}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    // Unverified, the other sign-in channel gets no code.
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/otp/send-sign-in-code",
            Some(json!({"email": "second@example.com", "callback_url": CALLBACK})),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.text);
    // ContactChannels.verify: the channel's own code.
    let a = v
        .send(
            "client",
            Method::POST,
            &format!("{CHANNELS}/me/{second}/send-verification-code"),
            Some(json!({"callback_url": CALLBACK})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let mail =
        v.f.app
            .admin(
                Method::GET,
                "/outbox?to=second@example.com&kind=email_verification&limit=1",
            )
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()[0]
            .clone();
    let code = regex::Regex::new(r"code=([a-zA-Z0-9]+)")
        .unwrap()
        .captures(mail["text"].as_str().unwrap())
        .expect("a verification link")[1]
        .to_owned();
    let a = v
        .send(
            "client",
            Method::POST,
            &format!("{CHANNELS}/verify"),
            Some(json!({"code": code})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let items = list(&v).await["items"].clone();
    assert_eq!(items[1]["is_verified"], true, "{items}");
    assert_eq!(items[0]["is_verified"], true, "the primary is unchanged");

    v.access = None;
    assert_eq!(otp_sign_in(&mut v, "second@example.com").await, first);
    assert_eq!(list(&v).await["items"].as_array().unwrap().len(), 3);
    v.access = None;
    let other = otp_sign_in(&mut v, "not-auth@example.com").await;
    assert_ne!(
        other, first,
        "a channel not used for sign-in makes a new account"
    );
    let items = list(&v).await;
    expect(
        &v.send(
            "client",
            Method::GET,
            &format!("{CHANNELS}?user_id=me"),
            None,
        )
        .await,
        200,
        json!({"is_paginated": false, "items": [shown("not-auth@example.com", true, true, true)]}),
    );
    assert_eq!(items["items"].as_array().unwrap().len(), 1);

    // The second account may not sign in with the first one's addresses.
    let a = create(
        &v,
        "client",
        json!({"value": "Second@example.com", "type": "email", "used_for_auth": true, "user_id": "me"}),
    )
    .await;
    expect(
        &a,
        409,
        json!({"code": "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
               "details": {"type": "email", "contact_channel_value": "second@example.com", "would_work_if_email_was_verified": false},
               "error": "This email \"(second@example.com)\" is already used for authentication by another account."}),
    );
    let kept = created(
        &v,
        "client",
        json!({"value": "first@example.com", "type": "email", "used_for_auth": false, "user_id": "me"}),
    )
    .await;
    let a = v
        .send(
            "client",
            Method::PATCH,
            &format!("{CHANNELS}/me/{kept}"),
            Some(json!({"used_for_auth": true})),
        )
        .await;
    expect(
        &a,
        409,
        json!({"code": "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
               "details": {"type": "email", "contact_channel_value": null, "would_work_if_email_was_verified": false},
               "error": "This email  is already used for authentication by another account."}),
    );

    // The server finds the first account by any of its addresses.
    let found = v
        .send(
            "server",
            Method::GET,
            "/api/v1/users?query=SECOND%40example",
            None,
        )
        .await
        .expect_json();
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str()], "{found}");
}

/// A password sign-in with an other channel used for sign-in; a new value is unverified and has a
/// new id.
#[tokio::test]
async fn a_password_signs_in_with_any_sign_in_channel() {
    let mut v = Vendor::new(json!({})).await;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": "pw@example.com", "password": "a-password-1"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    let user_id = body["user_id"].as_str().unwrap().to_owned();
    v.access = Some(body["access_token"].as_str().unwrap().to_owned());
    let old = created(
        &v,
        "client",
        json!({"value": "pw-old@example.com", "type": "email", "used_for_auth": true, "user_id": "me"}),
    )
    .await;
    let a = v
        .send(
            "server",
            Method::PATCH,
            &format!("{CHANNELS}/{user_id}/{old}"),
            Some(json!({"value": "pw-alt@example.com"})),
        )
        .await;
    expect(&a, 200, shown("pw-alt@example.com", false, false, true));
    assert_ne!(a.expect_json()["id"], json!(old), "a new value, a new id");
    v.access = None;
    let sign_in = |email: &'static str| {
        v.send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-in",
            Some(json!({"email": email, "password": "a-password-1"})),
        )
    };
    let a = sign_in("PW-ALT@example.com").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json()["user_id"], json!(user_id));
    sign_in("pw-old@example.com")
        .await
        .known(400, "EMAIL_PASSWORD_MISMATCH");
}

/// `@stackframe/js` 2.8.108 unmodified (`tests/sdk/js/stack_sdk.mjs channels`): createContactChannel,
/// listContactChannels, channel.update (primary swap, sign-in use, value), channel.delete,
/// signInWithCredential with either address, serverUser.createContactChannel({isVerified}).
#[tokio::test]
async fn sdk_channels_scenario() {
    let v = Vendor::new(json!({})).await;
    let f = &v.f;
    let mut env = super::sdk_env(f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    super::run_sdk("channels", env).await;
}

/// The routes keep the surface's contract: Hexclave-prefixed headers, override-error-status on a
/// plain-text refusal, fault injection on a path prefix and method, and a journal entry per
/// request.
#[tokio::test]
async fn channel_routes_keep_the_surface_contract() {
    let mut v = Vendor::new(json!({})).await;
    otp_sign_in(&mut v, "contract@example.com").await;
    let token = v.access.clone().unwrap();
    let hex = gateway_tests::http::fetch(
        v.f.bare(Method::POST, CHANNELS)
            .header("x-hexclave-access-type", "client")
            .header("x-hexclave-project-id", &v.f.project.id)
            .header("x-hexclave-publishable-client-key", &v.f.project.pck)
            .header("x-hexclave-access-token", &token)
            .json(&json!({"value": "hex@example.com", "type": "email", "used_for_auth": false, "user_id": "me"})),
    )
    .await;
    expect(&hex, 201, shown("hex@example.com", false, false, false));
    let other = format!(
        "{CHANNELS}/{}/{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    );
    let rewritten = gateway_tests::http::fetch(
        v.req("client", Method::GET, &other)
            .header("x-stack-override-error-status", "true"),
    )
    .await;
    assert_eq!(
        (
            rewritten.status,
            rewritten.header_opt("x-stack-actual-status")
        ),
        (200, Some("403"))
    );
    assert_eq!(
        rewritten.text,
        "Client can only read contact channels for their own user."
    );
    let rule = gateway_tests::http::fetch(v.f.app.admin(Method::POST, "/faults").json(
        &json!({"surface": "users", "method": "PATCH", "path": "/api/v1/contact-channels/", "status": 503, "retry_after": 2, "count": 1, "message": "injected"}),
    ))
    .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    let path = format!(
        "{CHANNELS}/me/{}",
        hex.expect_json()["id"].as_str().unwrap()
    );
    let a = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"used_for_auth": false})),
        )
        .await;
    assert_eq!(a.status, 503, "{}", a.text);
    assert_eq!(a.header_opt("retry-after"), Some("2"));
    let a = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"used_for_auth": false})),
        )
        .await;
    assert_eq!(a.status, 200, "count 1: {}", a.text);
    let journal =
        gateway_tests::http::fetch(v.f.app.admin(Method::GET, "/journal?surface=users&limit=3"))
            .await
            .expect_json();
    let routes: Vec<String> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["request"]["method"], e["response"]["status"]))
        .collect();
    assert!(
        routes.iter().any(|r| r == "\"PATCH\" 503") && routes.iter().any(|r| r == "\"PATCH\" 200"),
        "{journal:#}"
    );
}
