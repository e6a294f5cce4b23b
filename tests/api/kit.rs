//! The shared dialect kit seen from outside: the admin guard runs before any body is read, an
//! access token dies with its session on every surface whose tokens are the gateway's own, and
//! the core's account rule (banned, inactive) holds on every surface.

use std::time::Duration;

use gateway_tests::{ADMIN_TOKEN, TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One GET of each surface's current-user route with `token` (bearer).
async fn current_user(app: &TestApp, surface: &str, token: &str) -> u16 {
    let path = match surface {
        "platform" => "/api/v1/user",
        "users-me" => "/users/me",
        "account-profile" => "/api/workspace/account/profile",
        "me" => "/me",
        other => panic!("no current-user route for {other}"),
    };
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const SURFACES: [&str; 4] = ["platform", "users-me", "account-profile", "me"];

/// Issue 15 item 2: after a password change revoked every session, the old access tokens are
/// refused on every surface (they were accepted for the rest of their hour).
#[tokio::test]
async fn access_tokens_die_with_their_session() {
    let app = spawn_app().await;
    let id = app.create_user("sessioned").await.unwrap();
    let mut tokens = Vec::new();
    for surface in SURFACES {
        let token = app.credentials(&id, surface, false).await.unwrap().token;
        assert_eq!(current_user(&app, surface, &token).await, 200, "{surface}");
        tokens.push((surface, token));
    }
    let users_me = &tokens[1].1;
    let res = app
        .client
        .patch(app.url("/users/me"))
        .bearer_auth(users_me)
        .json(&json!({"password": "a-new-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    for (surface, token) in &tokens {
        assert_eq!(current_user(&app, surface, token).await, 401, "{surface}");
    }
    // A fresh token (a new session) works again.
    for surface in SURFACES {
        let token = app.credentials(&id, surface, false).await.unwrap().token;
        assert_eq!(current_user(&app, surface, &token).await, 200, "{surface}");
    }
}

/// Issue 15 item 5: a missing or wrong admin token is a bare 401 before the body is looked at:
/// no validation answer listing the accepted fields.
#[tokio::test]
async fn admin_refuses_before_reading_the_body() {
    let app = spawn_app().await;
    for auth in [None, Some("wrong-token")] {
        let mut req = app
            .client
            .post(app.url("/admin/users"))
            .json(&json!({"bogus": 1}));
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["kind"], "unauthenticated", "{body}");
        assert_eq!(body["error"]["issues"], json!([]), "{body}");
        assert!(!body.to_string().contains("username"), "{body}");
    }
    // An unknown admin path without the token is a 401 as well, not a 404 that maps the API.
    let res = app
        .client
        .get(app.url("/admin/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .admin(Method::GET, "/no-such-thing")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

/// The 401 for a wrong admin token arrives while the announced 4 MiB body is still unsent: the
/// server answered without waiting for (or buffering) the body.
#[tokio::test]
async fn admin_answers_a_wrong_token_without_waiting_for_the_body() {
    let app = spawn_app().await;
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /admin/fixtures HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer not-{ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"users\":[",
        4 << 20
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf))
        .await
        .expect("an answer before the body is sent")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
}

/// Issue 15 item 9: a banned account is refused by every surface whose tokens are the
/// gateway's own, each in its own envelope, and nothing is written.
#[tokio::test]
async fn banned_accounts_are_refused_on_every_surface() {
    let app = spawn_app().await;
    let id = app.create_user("to-be-banned").await.unwrap();
    let mut tokens = Vec::new();
    for surface in SURFACES {
        tokens.push((
            surface,
            app.credentials(&id, surface, false).await.unwrap().token,
        ));
    }
    let user: gateway_core::UserId = id.parse().unwrap();
    app.state
        .gateway
        .update_user(
            user,
            gateway_core::UserPatch {
                status: Some(gateway_core::UserStatus::Banned),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for (surface, token) in &tokens {
        let status = current_user(&app, surface, token).await;
        // users-me answers a disabled account like ZenML: the token no longer authenticates.
        let expected = if *surface == "users-me" { 401 } else { 403 };
        assert_eq!(status, expected, "{surface}");
    }
    let res = app
        .client
        .put(app.url("/api/workspace/account/profile"))
        .bearer_auth(&tokens[2].1)
        .json(&json!({"FirstName": "Changed While Banned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let after = app.state.gateway.user(user).await.unwrap();
    assert_ne!(
        after.profile.first_name.as_deref(),
        Some("Changed While Banned")
    );
}
