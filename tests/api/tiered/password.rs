//! Password sign-up and sign-in of the tiered dialect (issue #16, notes §2):
//! `POST /api/v1/auth/password/sign-up` and `/sign-in`. Cases ported from the vendor's e2e files
//! name their source (`apps/e2e/tests/backend/endpoints/api/v1/auth/password/...` in
//! `stack-auth/stack-auth`).

use gateway_tests::http::fetch;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Fixture, Set, TieredAnswer, assert_schema_error, fixture, run_sdk, sdk_env};

const SIGN_UP: &str = "/api/v1/auth/password/sign-up";
const SIGN_IN: &str = "/api/v1/auth/password/sign-in";

/// A client request without a user token.
fn anonymous_client(f: &Fixture, method: Method, path: &str) -> reqwest::RequestBuilder {
    f.bare(method, path)
        .set("x-stack-access-type", "client")
        .set("x-stack-project-id", &f.project.id)
        .set("x-stack-publishable-client-key", &f.project.pck)
}

/// Signs up; asserts 200 and returns `{access_token, refresh_token, user_id}`.
async fn sign_up(f: &Fixture, email: &str, password: &str) -> Value {
    let a = fetch(
        anonymous_client(f, Method::POST, SIGN_UP)
            .json(&json!({"email": email, "password": password})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

/// A user without a password (created by the server, with an email) and an access token and
/// refresh token of a session of it.
async fn passwordless(f: &Fixture, email: &str) -> (String, String) {
    let a = fetch(
        f.server(Method::POST, "/api/v1/users")
            .json(&json!({"primary_email": email, "primary_email_auth_enabled": true})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.expect_json()["id"].as_str().unwrap().to_owned();
    let a = fetch(
        f.server(Method::POST, "/api/v1/auth/sessions")
            .json(&json!({"user_id": id})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let tokens = a.expect_json();
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// `GET /users/me` with `access`; the client read object.
async fn me(f: &Fixture, access: &str) -> Value {
    let a = fetch(
        anonymous_client(f, Method::GET, "/api/v1/users/me").set("x-stack-access-token", access),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

// sign-up.test.ts "should sign up new users" and "should not allow signing up with an e-mail that
// already exists"; sign-in.test.ts "should allow signing in to existing accounts".
#[tokio::test]
async fn sign_up_then_sign_in() {
    let f = fixture().await;
    let up = sign_up(&f, "New.User@Example.com", "correct horse").await;
    let mut keys: Vec<&str> = up.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "refresh_token", "user_id"]);
    let user = me(&f, up["access_token"].as_str().unwrap()).await;
    assert_eq!(user["id"], up["user_id"]);
    assert_eq!(user["primary_email"], "new.user@example.com");
    assert_eq!(user["primary_email_verified"], false);
    assert_eq!(user["auth_with_email"], true);
    assert_eq!(user["has_password"], true);
    assert_eq!(user["otp_auth_enabled"], false);

    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_UP)
            .json(&json!({"email": "new.user@example.com", "password": "another one"})),
    )
    .await;
    let body = a.known(409, "USER_EMAIL_ALREADY_EXISTS");
    assert_eq!(
        body["error"],
        "A user with email \"new.user@example.com\" already exists."
    );

    // Sign-in: any letter case of the email, the password as set.
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "NEW.user@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let inn = a.expect_json();
    assert_eq!(inn["user_id"], up["user_id"]);
    assert_ne!(inn["refresh_token"], up["refresh_token"], "a new session");
    let sessions = fetch(f.server(
        Method::GET,
        &format!(
            "/api/v1/auth/sessions?user_id={}",
            up["user_id"].as_str().unwrap()
        ),
    ))
    .await;
    assert_eq!(sessions.expect_json()["items"].as_array().unwrap().len(), 2);
}

// sign-in.test.ts "should not allow signing in with an e-mail that never signed up", "... with an
// incorrect password", "should return a schema error for empty e-mail address"; and a user whose
// email does not sign in, or that has no password.
#[tokio::test]
async fn wrong_credentials_get_one_answer() {
    let f = fixture().await;
    sign_up(&f, "kim@example.com", "right password").await;
    for (email, password) in [
        ("nobody@example.com", "right password"),
        ("kim@example.com", "wrong password"),
        // The fixture's user: its email does not sign in with this password.
        (f.email.as_str(), "anything at all"),
    ] {
        let a = fetch(
            anonymous_client(&f, Method::POST, SIGN_IN)
                .json(&json!({"email": email, "password": password})),
        )
        .await;
        let body = a.known(400, "EMAIL_PASSWORD_MISMATCH");
        assert_eq!(
            body,
            json!({"code": "EMAIL_PASSWORD_MISMATCH", "error": "Wrong e-mail or password."})
        );
    }
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "", "password": "some-password"})),
    )
    .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/password/sign-in",
        &["body.email must not be empty"],
    );
    let a = fetch(
        f.bare(Method::POST, SIGN_IN)
            .json(&json!({"email": "a@b.co", "password": "x"})),
    )
    .await;
    a.known(400, "ACCESS_TYPE_REQUIRED");

    // Email sign-in turned off: the password no longer signs in.
    let kim = fetch(f.server(Method::GET, "/api/v1/users?query=kim@example.com")).await;
    let kim_id = kim.expect_json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = fetch(
        f.server(Method::PATCH, &format!("/api/v1/users/{kim_id}"))
            .json(&json!({"primary_email_auth_enabled": false})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "kim@example.com", "password": "right password"})),
    )
    .await;
    a.known(400, "EMAIL_PASSWORD_MISMATCH");
}

// sign-in.test.ts "should not allow signing in when MFA is required".
#[tokio::test]
async fn a_user_with_totp_needs_a_second_factor() {
    let f = fixture().await;
    let up = sign_up(&f, "mfa@example.com", "right password").await;
    let a = fetch(
        f.server(
            Method::PATCH,
            &format!("/api/v1/users/{}", up["user_id"].as_str().unwrap()),
        )
        .json(&json!({"totp_secret_base64": "ZXhhbXBsZXNlY3JldA=="})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "mfa@example.com", "password": "right password"})),
    )
    .await;
    let body = a.known(400, "MULTI_FACTOR_AUTHENTICATION_REQUIRED");
    assert_eq!(
        body["error"],
        "Multi-factor authentication is required for this user."
    );
    assert!(body["details"]["attempt_code"].is_string());
}

// sign-up.test.ts "cannot use empty password to sign up", "cannot use a password that is too
// short to sign up"; the body schema.
#[tokio::test]
async fn sign_up_checks_the_body_and_the_password() {
    let f = fixture().await;
    for password in ["", "short"] {
        let a = fetch(
            anonymous_client(&f, Method::POST, SIGN_UP)
                .json(&json!({"email": "p@example.com", "password": password})),
        )
        .await;
        let body = a.known(400, "PASSWORD_TOO_SHORT");
        assert_eq!(
            body,
            json!({
                "code": "PASSWORD_TOO_SHORT",
                "details": {"min_length": 8},
                "error": "Password too short. Minimum length is 8.",
            })
        );
    }
    let a = fetch(anonymous_client(&f, Method::POST, SIGN_UP).json(&json!({
        "email": "not-an-email",
        "password": "x".repeat(71),
        "verification_callback_url": "not a url",
        "extra": true,
    })))
    .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/password/sign-up",
        &[
            "body.email must be a valid email",
            r#"body.email must match the following: "/^[^.]+(\.[^.]+)*@.*\.[^.][^.]+$/""#,
            "body.password must be at most 70 characters",
            "body.verification_callback_url contains spaces",
            "body.verification_callback_url is not a valid URL",
            "body contains unknown properties: extra",
        ],
    );
    // Nothing was created by the refusals.
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "p@example.com", "password": "short"})),
    )
    .await;
    a.known(400, "EMAIL_PASSWORD_MISMATCH");
}

// users.test.ts / anonymous-upgrade: a signed-in anonymous caller that signs up keeps its id.
#[tokio::test]
async fn an_anonymous_user_is_upgraded_in_place() {
    let f = fixture().await;
    let a = fetch(
        f.server(Method::POST, "/api/v1/users")
            .json(&json!({"is_anonymous": true})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let anon = a.expect_json()["id"].as_str().unwrap().to_owned();
    let a = fetch(
        f.server(Method::POST, "/api/v1/auth/sessions")
            .json(&json!({"user_id": anon})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let access = a.expect_json()["access_token"].as_str().unwrap().to_owned();
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_UP)
            .set("x-stack-access-token", &access)
            .set("x-stack-allow-anonymous-user", "true")
            .json(&json!({"email": "was.anon@example.com", "password": "now a real one"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let up = a.expect_json();
    assert_eq!(up["user_id"], anon.as_str());
    let user = me(&f, up["access_token"].as_str().unwrap()).await;
    assert_eq!(user["is_anonymous"], false);
    assert_eq!(user["primary_email"], "was.anon@example.com");
}

// The published SDK: `signUpWithCredential`, `signOut`, `signInWithCredential` (a wrong password,
// then the right one).
#[tokio::test]
async fn sdk_password_scenario() {
    let f = fixture().await;
    let env = sdk_env(&f, &f.session);
    run_sdk("password", env).await;
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "sdk.password@example.com", "password": "sdk-password-2"})),
    )
    .await;
    assert_eq!(a.status, 200, "the user the SDK signed up: {}", a.text);
}

// `GET /api/v1/projects/current` (`app.getProject()`): the sign-in methods the SDK shows, as the
// gateway serves them.
#[tokio::test]
async fn the_current_project_tells_its_sign_in_methods() {
    let f = fixture().await;
    let a = fetch(f.client(Method::GET, "/api/v1/projects/current")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.expect_json(),
        json!({
            "id": f.project.id,
            "display_name": "Test project",
            "config": {
                "sign_up_enabled": true,
                "credential_enabled": true,
                "magic_link_enabled": true,
                "passkey_enabled": false,
                "client_team_creation_enabled": false,
                "client_user_deletion_enabled": false,
                "allow_user_api_keys": false,
                "allow_team_api_keys": false,
                "enabled_oauth_providers": [],
                "domains": [],
            },
        })
    );
    let a = fetch(f.bare(Method::GET, "/api/v1/projects/current")).await;
    a.known(400, "ACCESS_TYPE_REQUIRED");
}

// update.test.ts: a change keeps the caller's own session (named by its refresh-token header) and
// ends the others; "too short", a missing `old_password`, a wrong old password, a user without a
// password, and a signed-out caller.
#[tokio::test]
async fn update_keeps_the_callers_session_and_ends_the_others() {
    let f = fixture().await;
    let first = sign_up(&f, "upd@example.com", "first password").await;
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "upd@example.com", "password": "first password"})),
    )
    .await;
    let second = a.expect_json();
    let update = |body: Value| {
        anonymous_client(&f, Method::POST, "/api/v1/auth/password/update")
            .set(
                "x-stack-access-token",
                first["access_token"].as_str().unwrap(),
            )
            .set(
                "x-stack-refresh-token",
                first["refresh_token"].as_str().unwrap(),
            )
            .json(&body)
    };
    let a = fetch(update(
        json!({"old_password": "first password", "new_password": "short"}),
    ))
    .await;
    a.known(400, "PASSWORD_TOO_SHORT");
    let a = fetch(update(json!({"new_password": "second password"}))).await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/password/update",
        &["body.old_password must be defined"],
    );
    let a = fetch(update(
        json!({"old_password": "wrong", "new_password": "second password"}),
    ))
    .await;
    let body = a.known(400, "PASSWORD_CONFIRMATION_MISMATCH");
    assert_eq!(body["error"], "Passwords do not match.");
    // The kept session's last use, as the caller's own listing shows it.
    let last_used = || async {
        let a = fetch(
            anonymous_client(&f, Method::GET, "/api/v1/auth/sessions?user_id=me").set(
                "x-stack-access-token",
                first["access_token"].as_str().unwrap(),
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.expect_json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["is_current_session"] == true)
            .map(|s| s["last_used_at"].clone())
            .expect("the current session is listed")
    };
    let before = last_used().await;
    let a = fetch(update(
        json!({"old_password": "first password", "new_password": "second password"}),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json(), json!({"success": true}));
    assert_eq!(
        last_used().await,
        before,
        "naming the kept session is not a use of it"
    );

    let refresh = |token: &Value| {
        f.client(Method::POST, "/api/v1/auth/sessions/current/refresh")
            .set("x-stack-refresh-token", token.as_str().unwrap())
    };
    assert_eq!(
        fetch(refresh(&first["refresh_token"])).await.status,
        200,
        "own session kept"
    );
    fetch(refresh(&second["refresh_token"]))
        .await
        .known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "upd@example.com", "password": "second password"})),
    )
    .await;
    assert_eq!(a.status, 200, "the new password signs in: {}", a.text);

    let (access, _) = passwordless(&f, "nopw@example.com").await;
    let a = fetch(
        anonymous_client(&f, Method::POST, "/api/v1/auth/password/update")
            .set("x-stack-access-token", &access)
            .json(&json!({"old_password": "x", "new_password": "long enough"})),
    )
    .await;
    let body = a.known(400, "USER_DOES_NOT_HAVE_PASSWORD");
    assert_eq!(
        body["error"],
        "This user does not have password authentication enabled."
    );
    let a = fetch(
        anonymous_client(&f, Method::POST, "/api/v1/auth/password/update")
            .json(&json!({"old_password": "x", "new_password": "long enough"})),
    )
    .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/password/update",
        &["auth.user must be defined"],
    );
}

// set.test.ts: a user without a password gets one (its sessions stay); a second set is refused
// with the vendor's text; "too short"; a signed-out caller.
#[tokio::test]
async fn set_gives_a_password_once() {
    let f = fixture().await;
    let (access, refresh) = passwordless(&f, "setpw@example.com").await;
    let set = |password: &str| {
        anonymous_client(&f, Method::POST, "/api/v1/auth/password/set")
            .set("x-stack-access-token", &access)
            .json(&json!({"password": password}))
    };
    fetch(set("short")).await.known(400, "PASSWORD_TOO_SHORT");
    let a = fetch(set("a fine password")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json(), json!({"success": true}));
    let a = fetch(set("another password")).await;
    assert_eq!(a.text_error(400), "User already has a password set.");
    let a = fetch(
        f.client(Method::POST, "/api/v1/auth/sessions/current/refresh")
            .set("x-stack-refresh-token", &refresh),
    )
    .await;
    assert_eq!(a.status, 200, "sessions stay: {}", a.text);
    let a = fetch(
        anonymous_client(&f, Method::POST, SIGN_IN)
            .json(&json!({"email": "setpw@example.com", "password": "a fine password"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = fetch(
        anonymous_client(&f, Method::POST, "/api/v1/auth/password/set")
            .json(&json!({"password": "a fine password"})),
    )
    .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/password/set",
        &["auth.user must be defined"],
    );
}
