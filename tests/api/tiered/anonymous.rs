//! Anonymous sign-up of the tiered dialect (issue #16, notes §4): `POST
//! /api/v1/auth/anonymous/sign-up` and what an anonymous token may do. Cases ported from the
//! vendor's `apps/e2e/tests/backend/endpoints/api/v1/auth/anonymous/anonymous-comprehensive.test.ts`
//! in `stack-auth/stack-auth` name their test.

use gateway_tests::http::fetch;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Fixture, Set, TieredAnswer, fixture};

const ANON: &str = "/api/v1/auth/anonymous/sign-up";

/// Signs up anonymously as a client; the 200 body.
async fn anonymous(f: &Fixture) -> Value {
    let a = fetch(
        f.bare(Method::POST, ANON)
            .set("x-stack-access-type", "client")
            .set("x-stack-project-id", &f.project.id)
            .set("x-stack-publishable-client-key", &f.project.pck),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

fn jwt_part(token: &str, part: usize) -> Value {
    use base64::Engine as _;
    let raw = token.split('.').nth(part).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .expect("base64url"),
    )
    .expect("JSON")
}

// "anonymous users can sign up on any project now", "anonymous JWT has different kid and role"
// (the role and the claim; not the separate key).
#[tokio::test]
async fn anonymous_users_sign_up_with_marked_tokens() {
    let f = fixture().await;
    let body = anonymous(&f).await;
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "refresh_token", "user_id"]);
    let access = body["access_token"].as_str().unwrap();
    let claims = jwt_part(access, 1);
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["is_anonymous"], true);
    assert_eq!(claims["sub"], body["user_id"]);
    // The vendor also signs anonymous tokens with keys of their own (another `kid`); the gateway
    // signs every token with one key and marks anonymous ones by their claims
    // (docs/dialects/tiered.md, "not served yet").
    assert!(jwt_part(access, 0)["kid"].is_string());
}

// "anonymous users are rejected without X-Stack-Allow-Anonymous-User header", "anonymous users
// are accepted with X-Stack-Allow-Anonymous-User header".
#[tokio::test]
async fn anonymous_tokens_need_the_allow_header() {
    let f = fixture().await;
    let body = anonymous(&f).await;
    let access = body["access_token"].as_str().unwrap();
    let me = |allow: &str| {
        f.client(Method::GET, "/api/v1/users/me")
            .set("x-stack-access-token", access)
            .set("x-stack-allow-anonymous-user", allow)
    };
    let a = fetch(me("false")).await;
    let err = a.known(401, "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED");
    assert_eq!(
        err,
        json!({
            "code": "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",
            "error": "X-Stack-Access-Token is for an anonymous user, but anonymous users are not enabled. Set the X-Stack-Allow-Anonymous-User header of this request to 'true' to allow anonymous users.",
        })
    );
    let a = fetch(me("true")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let user = a.expect_json();
    assert_eq!(user["is_anonymous"], true);
    assert_eq!(user["id"], body["user_id"]);
    assert_eq!(user["primary_email"], Value::Null);
    assert_eq!(user["has_password"], false);
}

// "list users excludes anonymous users by default", "list users includes anonymous users when
// requested".
#[tokio::test]
async fn the_users_list_hides_anonymous_users_unless_asked() {
    let f = fixture().await;
    let id = anonymous(&f).await["user_id"].as_str().unwrap().to_owned();
    let ids = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let a = fetch(f.server(Method::GET, "/api/v1/users")).await;
    assert!(!ids(a.expect_json()).contains(&id));
    let a = fetch(f.server(Method::GET, "/api/v1/users?include_anonymous=true")).await;
    assert!(ids(a.expect_json()).contains(&id));
}
