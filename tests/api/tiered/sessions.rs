//! The sessions family of the tiered dialect (issue #16, notes §3): `POST /api/v1/auth/sessions`,
//! `GET /api/v1/auth/sessions`, `DELETE /api/v1/auth/sessions/{id}` and
//! `DELETE /api/v1/auth/sessions/current`. Cases ported from the vendor's e2e files name their
//! source (`apps/e2e/tests/backend/endpoints/api/v1/auth/sessions/...` in `stack-auth/stack-auth`);
//! the vendor's sign-up step is the fixture's user with an admin-minted session.

use gateway_tests::http::fetch;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::{Fixture, Session, Set, TieredAnswer, assert_schema_error, fixture, run_sdk, sdk_env};

const SESSIONS: &str = "/api/v1/auth/sessions";

/// A client request carrying `session`'s access token instead of the fixture's.
fn as_session(f: &Fixture, session: &Session, method: Method, path: &str) -> RequestBuilder {
    f.client(method, path)
        .set("x-stack-access-token", &session.access)
}

/// `POST /auth/sessions` as the server; the session's tokens and id.
async fn create(f: &Fixture, body: Value) -> Session {
    let a = fetch(f.server(Method::POST, SESSIONS).json(&body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let v = a.expect_json();
    let access = v["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_claims(&access);
    Session {
        access,
        refresh: v["refresh_token"].as_str().unwrap().to_owned(),
        refresh_token_id: claims["refresh_token_id"].as_str().unwrap().to_owned(),
    }
}

fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// `GET /auth/sessions?user_id=<user>` with `req`; the items.
async fn items(req: RequestBuilder) -> Vec<Value> {
    let a = fetch(req).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    assert_eq!(body["is_paginated"], false);
    body["items"].as_array().unwrap().clone()
}

fn list_path(user: &str) -> String {
    format!("{SESSIONS}?user_id={user}")
}

/// The REST refresh with `refresh`: its status and known-error code.
async fn refresh_status(f: &Fixture, refresh: &str) -> (u16, Option<String>) {
    let a = fetch(
        f.client(Method::POST, &format!("{SESSIONS}/current/refresh"))
            .set("x-stack-refresh-token", refresh),
    )
    .await;
    (
        a.status,
        a.header_opt("x-stack-known-error").map(str::to_owned),
    )
}

// index.test.ts "cannot create sessions from the client".
#[tokio::test]
async fn clients_cannot_create_sessions() {
    let f = fixture().await;
    let a =
        fetch(f.client(Method::POST, SESSIONS).json(
            &json!({"user_id": f.user_id, "expires_in_millis": 1000_i64 * 60 * 60 * 24 * 366}),
        ))
        .await;
    let body = a.known(401, "INSUFFICIENT_ACCESS_TYPE");
    assert_eq!(
        body,
        json!({
            "code": "INSUFFICIENT_ACCESS_TYPE",
            "details": {"actual_access_type": "client", "allowed_access_types": ["server", "admin"]},
            "error": "The x-stack-access-type header must be 'server' or 'admin', but was 'client'.",
        })
    );
    let a = fetch(
        f.bare(Method::POST, SESSIONS)
            .json(&json!({"user_id": f.user_id})),
    )
    .await;
    a.known(400, "ACCESS_TYPE_REQUIRED");
}

// index.test.ts "creates sessions for existing users", "creates sessions that expire" (the
// refresh part) and "cannot create sessions with an expiry date larger than a year away".
#[tokio::test]
async fn the_server_creates_sessions_of_existing_users() {
    let f = fixture().await;
    let s = create(&f, json!({"user_id": f.user_id})).await;
    let me = fetch(as_session(&f, &s, Method::GET, "/api/v1/users/me")).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.expect_json()["id"], f.user_id.as_str());
    assert_eq!(refresh_status(&f, &s.refresh).await, (200, None));

    let a =
        fetch(f.server(Method::POST, SESSIONS).json(
            &json!({"user_id": f.user_id, "expires_in_millis": 1000_i64 * 60 * 60 * 24 * 370}),
        ))
        .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/sessions",
        &["body.expires_in_millis must be less than or equal to 31708800000"],
    );

    // A session that has already expired opens, but its refresh token is refused.
    let dead = create(&f, json!({"user_id": f.user_id, "expires_in_millis": 0})).await;
    assert_eq!(
        refresh_status(&f, &dead.refresh).await,
        (401, Some("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED".into()))
    );

    // Unknown users, `me` without a user, and the schema.
    let ghost = uuid::Uuid::new_v4().to_string();
    let a = fetch(
        f.server(Method::POST, SESSIONS)
            .json(&json!({"user_id": ghost})),
    )
    .await;
    let body = a.known(400, "USER_ID_DOES_NOT_EXIST");
    assert_eq!(
        body["error"],
        format!("The given user with the ID {ghost} does not exist.")
    );
    assert_eq!(body["details"], json!({"user_id": ghost}));
    let a = fetch(
        f.server(Method::POST, SESSIONS)
            .json(&json!({"user_id": "me"})),
    )
    .await;
    a.known(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    let a = fetch(
        f.server(Method::POST, SESSIONS)
            .json(&json!({"user_id": "nope", "is_impersonation": "yes", "x": 1})),
    )
    .await;
    assert_schema_error(
        &a,
        "POST /api/v1/auth/sessions",
        &[
            "body.user_id must be a valid UUID",
            "body.is_impersonation must be a `boolean` type, but the final value was: `\"yes\"`.",
            "body contains unknown properties: x",
        ],
    );
    let a = fetch(f.server(Method::POST, SESSIONS)).await;
    assert_schema_error(&a, "POST /api/v1/auth/sessions", &["body must be defined"]);
}

// index.test.ts "can delete sessions as client".
#[tokio::test]
async fn a_client_lists_and_deletes_its_other_sessions() {
    let f = fixture().await;
    let extra = create(&f, json!({"user_id": f.user_id})).await;
    let listed = items(f.client(Method::GET, &list_path(&f.user_id))).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0]["id"], extra.refresh_token_id,
        "newest first: the server's session"
    );
    let mut keys: Vec<&str> = listed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "id",
            "is_current_session",
            "is_impersonation",
            "last_used_at",
            "user_id"
        ]
    );
    let current: Vec<bool> = listed
        .iter()
        .map(|s| s["is_current_session"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [false, true]);
    assert!(listed[0]["created_at"].as_i64().unwrap() > 1_700_000_000_000);

    let other = listed[0]["id"].as_str().unwrap();
    let a = fetch(f.client(
        Method::DELETE,
        &format!("{SESSIONS}/{other}?user_id={}", f.user_id),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json(), json!({"success": true}));
    let left = items(f.client(Method::GET, &list_path("me"))).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["is_current_session"], true);
    assert_eq!(
        refresh_status(&f, &extra.refresh).await,
        (401, Some("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED".into())),
        "a deleted session's refresh token is refused"
    );
    // Deleting it again: it is gone.
    let a = fetch(f.client(Method::DELETE, &format!("{SESSIONS}/{other}?user_id=me"))).await;
    assert_eq!(a.text_error(404), "Session not found.");
}

// index.test.ts "cannot delete current session as client".
#[tokio::test]
async fn nobody_deletes_the_session_in_use() {
    let f = fixture().await;
    let current = &f.session.refresh_token_id;
    let a = fetch(f.client(
        Method::DELETE,
        &format!("{SESSIONS}/{current}?user_id={}", f.user_id),
    ))
    .await;
    let body = a.known(400, "CANNOT_DELETE_CURRENT_SESSION");
    assert_eq!(
        body,
        json!({"code": "CANNOT_DELETE_CURRENT_SESSION", "error": "Cannot delete the current session."})
    );
    let left = items(f.client(Method::GET, &list_path(&f.user_id))).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["is_current_session"], true);
}

// index.test.ts "cannot read another user's sessions as client", "server cannot list sessions
// without user_id"; the delete's rules for clients and for servers without `user_id`
// (SDK 2.8.108's `serverUser.revokeSession`).
#[tokio::test]
async fn clients_see_only_their_own_sessions() {
    let f = fixture().await;
    let other_id = f.app.create_user("other_user").await.unwrap();
    let other = super::mint(&f.app, &f.project.id, &other_id, json!({})).await;

    let a = fetch(f.client(Method::GET, &list_path(&other_id))).await;
    assert_eq!(
        a.text_error(403),
        "Client can only list sessions for their own user."
    );
    let a = fetch(f.server(Method::GET, SESSIONS)).await;
    assert_schema_error(
        &a,
        "GET /api/v1/auth/sessions",
        &["query.user_id must be defined"],
    );
    let a = fetch(f.server(Method::GET, &format!("{SESSIONS}?user_id=x&limit=1"))).await;
    assert_schema_error(
        &a,
        "GET /api/v1/auth/sessions",
        &[
            "query.user_id must be a valid UUID",
            "query contains unknown properties: limit",
        ],
    );
    let a = fetch(f.server(Method::GET, &list_path("me"))).await;
    a.known(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    let a = fetch(f.bare(Method::GET, &list_path("me"))).await;
    a.known(400, "ACCESS_TYPE_REQUIRED");

    // Another user's session is not found for a client; a server deletes it, with or without
    // `user_id`.
    let path = format!("{SESSIONS}/{}?user_id=me", other.refresh_token_id);
    let a = fetch(f.client(Method::DELETE, &path)).await;
    assert_eq!(a.text_error(404), "Session not found.");
    let server_list = items(f.server(Method::GET, &list_path(&other_id))).await;
    assert_eq!(server_list.len(), 1);
    assert_eq!(server_list[0]["is_current_session"], false);
    let a = fetch(f.server(
        Method::DELETE,
        &format!("{SESSIONS}/{}", other.refresh_token_id),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        items(f.server(Method::GET, &list_path(&other_id)))
            .await
            .is_empty()
    );
    let a = fetch(f.server(Method::DELETE, &format!("{SESSIONS}/not-a-uuid?user_id=x"))).await;
    assert_schema_error(
        &a,
        "DELETE /api/v1/auth/sessions/not-a-uuid",
        &[
            "params.id must be a valid UUID",
            "query.user_id must be a valid UUID",
        ],
    );
    let unknown = uuid::Uuid::new_v4();
    let a = fetch(f.server(Method::DELETE, &format!("{SESSIONS}/{unknown}"))).await;
    assert_eq!(a.text_error(404), "Session not found.");
}

// index.test.ts "impersonation sessions hidden for non-admin clients and shown for admins" (the
// non-admin half: the gateway issues no admin keys).
#[tokio::test]
async fn impersonation_sessions_are_hidden_from_clients_and_servers() {
    let f = fixture().await;
    let impersonating = create(&f, json!({"user_id": f.user_id, "is_impersonation": true})).await;
    create(&f, json!({"user_id": f.user_id, "is_impersonation": false})).await;
    let listed = items(f.client(Method::GET, &list_path(&f.user_id))).await;
    assert_eq!(listed.len(), 2, "the current session and the regular one");
    assert!(listed.iter().all(|s| s["is_impersonation"] == false));
    assert_eq!(
        items(f.server(Method::GET, &list_path(&f.user_id)))
            .await
            .len(),
        2
    );
    // The impersonation session works as a session.
    let me = fetch(as_session(
        &f,
        &impersonating,
        Method::GET,
        "/api/v1/users/me",
    ))
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
}

// current/index.test.ts "should sign out users" and "should sign out user without refresh
// token, only using access token".
#[tokio::test]
async fn sign_out_ends_the_session_of_the_access_token() {
    let f = fixture().await;
    let a = fetch(
        f.client(Method::DELETE, &format!("{SESSIONS}/current"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.expect_json(), json!({"success": true}));
    assert_eq!(
        refresh_status(&f, &f.session.refresh).await,
        (401, Some("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED".into()))
    );
    assert!(
        items(f.server(Method::GET, &list_path(&f.user_id)))
            .await
            .is_empty()
    );
    // Again with the same access token: its session is gone.
    let a = fetch(f.client(Method::DELETE, &format!("{SESSIONS}/current"))).await;
    a.known(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    // Without an access token: the vendor's ACCESS_TOKEN_EXPIRED.
    let a = fetch(f.server(Method::DELETE, &format!("{SESSIONS}/current"))).await;
    let body = a.known(401, "ACCESS_TOKEN_EXPIRED");
    assert!(body["details"]["expired_at_millis"].is_i64());
    assert_eq!(body["details"]["refresh_token_id"], Value::Null);
}

// The published SDK: `serverUser.createSession`, `user.getActiveSessions`, `user.revokeSession`,
// `serverUser.getActiveSessions` / `revokeSession` and `user.signOut`.
#[tokio::test]
async fn sdk_sessions_scenario() {
    let f = fixture().await;
    let mut env = sdk_env(&f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    env.push(("SESSION_ID", f.session.refresh_token_id.clone()));
    run_sdk("sessions", env).await;
    assert_eq!(
        refresh_status(&f, &f.session.refresh).await,
        (401, Some("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED".into())),
        "the SDK revoked the fixture's session"
    );
    assert!(
        items(f.server(Method::GET, &list_path(&f.user_id)))
            .await
            .is_empty(),
        "every session the scenario opened is revoked or signed out"
    );
}
