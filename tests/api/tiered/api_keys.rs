//! User API keys of the tiered dialect (issue #16): `/api/v1/user-api-keys`. Cases ported from
//! the vendor's `apps/e2e/tests/backend/endpoints/api/v1/api-keys.test.ts` (in
//! `stack-auth/stack-auth`), compared as its snapshot serializer shows them; the key texts are
//! checked against the vendor's format.

use gateway_tests::http::Answer;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    TieredAnswer,
    teams::{Vendor, expect, stripped},
};

const KEYS: &str = "/api/v1/user-api-keys";
const CHECK: &str = "/api/v1/user-api-keys/check";

/// A fresh project with user API keys on (`createAndSwitchToAPIEnabledProject`).
async fn enabled() -> Vendor {
    Vendor::new(json!({"allow_user_api_keys": true})).await
}

/// The read object as the vendor's snapshots show it: the secret (`value`) by its kind, the
/// last four characters and times by their placeholders.
fn shown(a: &Answer) -> Value {
    let mut body = stripped(&a.expect_json());
    normalise(&mut body);
    body
}

fn normalise(body: &mut Value) {
    if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
        items.iter_mut().for_each(normalise);
        return;
    }
    let Some(map) = body.as_object_mut() else {
        return;
    };
    for field in ["expires_at_millis", "manually_revoked_at_millis"] {
        if map.get(field).is_some_and(Value::is_number) {
            map.insert(field.into(), json!(format!("<stripped field '{field}'>")));
        }
    }
    match map.get("value") {
        Some(Value::String(text)) => {
            let re = regex::Regex::new(
                "^(sk|pk)_[0-9a-z]{45}[0-9a-f]{32}user(1|3)574ck4u7h[0-9a-f]{8}$",
            )
            .unwrap();
            assert!(re.is_match(text), "the vendor's key format: {text}");
            let kind = if text.starts_with("pk_") {
                "pk_<stripped public user API key>"
            } else {
                "sk_<stripped user API key>"
            };
            map.insert("value".into(), json!(kind));
        }
        Some(Value::Object(v)) => {
            assert_eq!(v["last_four"].as_str().map(str::len), Some(4), "{v:?}");
            map.insert(
                "value".into(),
                json!({"last_four": "<stripped field 'last_four'>"}),
            );
        }
        _ => {}
    }
}

/// A key as the vendor shows it, with `extra` fields.
fn key(description: &str, value: Value, extra: Value) -> Value {
    let mut k = json!({
        "created_at_millis": "<stripped field 'created_at_millis'>",
        "description": description, "id": "<stripped UUID>", "is_public": false,
        "type": "user", "user_id": "<stripped UUID>", "value": value,
    });
    k.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    k
}

fn last_four() -> Value {
    json!({"last_four": "<stripped field 'last_four'>"})
}

/// `ProjectApiKey.User.create` (server): 200; the body.
async fn create(v: &Vendor, body: Value) -> Value {
    // Keys are listed newest first; two made within one clock tick would tie (and then follow
    // their random ids), so the cases that compare list order make each in its own tick.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let a = v.send("server", Method::POST, KEYS, Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

// api-keys.test.ts "throws an error when user API keys are disabled and trying to use user API
// keys" (its user-key part).
#[tokio::test]
async fn keys_need_the_project_switch() {
    let mut v = Vendor::new(json!({})).await;
    v.fast_sign_up(json!({})).await;
    let off = json!("User API keys are not enabled for this project.");
    let a = v
        .send(
            "client",
            Method::POST,
            KEYS,
            Some(json!({"user_id": "me", "description": "This should fail", "expires_at_millis": null})),
        )
        .await;
    expect(&a, 400, off.clone());
    let a = v
        .send("client", Method::GET, &format!("{KEYS}?user_id=me"), None)
        .await;
    expect(&a, 400, off);
    // The schema is checked first.
    let a = v
        .send("client", Method::POST, KEYS, Some(json!({"user_id": "me"})))
        .await;
    a.known(400, "SCHEMA_ERROR");
}

// api-keys.test.ts "can create public API keys", "can create API keys that expire", "returns 404
// when checking a non-existent API key".
#[tokio::test]
async fn creating_and_checking_keys() {
    let mut v = enabled().await;
    let user = v.fast_sign_up(json!({})).await;
    let public = v
        .send(
            "server",
            Method::POST,
            KEYS,
            Some(json!({"user_id": "me", "description": "Test API Key", "expires_at_millis": null, "is_public": true})),
        )
        .await;
    assert_eq!(public.status, 200, "{}", public.text);
    let mut want = key(
        "Test API Key",
        json!("pk_<stripped public user API key>"),
        json!({}),
    );
    want["is_public"] = json!(true);
    assert_eq!(shown(&public), want);

    let hour = 60 * 60 * 1000;
    let expiring = create(
        &v,
        json!({"user_id": user, "description": "Test Expiring User API Key", "expires_at_millis": now_millis() + hour}),
    )
    .await;
    let expired = create(
        &v,
        json!({"user_id": user, "description": "Test Expired User API Key", "expires_at_millis": now_millis() - hour}),
    )
    .await;
    let exp = json!({"expires_at_millis": "<stripped field 'expires_at_millis'>"});
    let check = |text: &Value| {
        v.send(
            "server",
            Method::POST,
            CHECK,
            Some(json!({"api_key": text})),
        )
    };
    let a = check(&expiring["value"]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        shown(&a),
        key("Test Expiring User API Key", last_four(), exp.clone())
    );
    expect(
        &check(&expired["value"]).await,
        401,
        json!({"code": "API_KEY_EXPIRED", "error": "API key has expired."}),
    );
    let a = v
        .send(
            "client",
            Method::GET,
            &format!("{KEYS}?user_id={user}"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        shown(&a),
        json!({"is_paginated": false, "items": [
            key("Test Expired User API Key", last_four(), exp.clone()),
            key("Test Expiring User API Key", last_four(), exp),
            key("Test API Key", last_four(), json!({"is_public": true})),
        ]}),
        "newest first"
    );
    let not_found = json!({"code": "API_KEY_NOT_FOUND", "error": "API key not found."});
    expect(
        &check(&json!("sk_this_is_a_fake_api_key_123456789")).await,
        404,
        not_found.clone(),
    );
    // A key with the right shape but another secret (the id of a real key).
    let real = expiring["value"].as_str().unwrap();
    let forged = format!(
        "{}{}",
        &real[..3],
        &real[3..].replacen(&real[3..8], "00000", 1)
    );
    expect(&check(&json!(forged)).await, 404, not_found);
    let a = v
        .send(
            "client",
            Method::POST,
            CHECK,
            Some(json!({"api_key": real})),
        )
        .await;
    a.known(401, "INSUFFICIENT_ACCESS_TYPE");
}

// api-keys.test.ts "can read own API key on the client", "does not require user_id in read
// requests on the client", "... on the server".
#[tokio::test]
async fn reading_keys() {
    let mut v = enabled().await;
    let user = v.fast_sign_up(json!({})).await;
    let created = create(
        &v,
        json!({"user_id": user, "description": "Test API Key", "expires_at_millis": null}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let want = key("Test API Key", last_four(), json!({}));
    for (access, query) in [
        ("client", format!("?user_id={user}")),
        ("client", String::new()),
        ("server", String::new()),
    ] {
        let a = v
            .send(access, Method::GET, &format!("{KEYS}/{id}{query}"), None)
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(shown(&a), want, "{access} {query}");
    }
    let a = v
        .send(
            "client",
            Method::GET,
            &format!("{KEYS}/{id}?user_id={user}&team_id=some-team-id"),
            None,
        )
        .await;
    let message = "Request validation failed on GET /api/v1/user-api-keys/<stripped UUID>:\n  - query contains unknown properties: team_id";
    expect(
        &a,
        400,
        json!({"code": "SCHEMA_ERROR", "details": {"message": message}, "error": message}),
    );
    let a = v
        .send(
            "server",
            Method::GET,
            &format!("{KEYS}/12345678-1234-4234-9234-123456789012"),
            None,
        )
        .await;
    a.known(404, "API_KEY_NOT_FOUND");
}

// api-keys.test.ts "prevents creating API keys for other users", "can create API keys for other
// users on the server", "prevents updating API keys for other users on the client", "prevents
// listing API keys for other users on the client", "cannot list all API keys for all users on the
// server".
#[tokio::test]
async fn keys_belong_to_their_user() {
    let mut v = enabled().await;
    let other = v.fast_sign_up(json!({})).await;
    v.fast_sign_up(json!({})).await;
    let own_only = json!("Client can only manage their own api keys");
    let a = v
        .send(
            "client",
            Method::POST,
            KEYS,
            Some(
                json!({"user_id": other, "description": "Test API Key", "expires_at_millis": null}),
            ),
        )
        .await;
    expect(&a, 403, own_only.clone());
    let theirs = create(
        &v,
        json!({"user_id": other, "description": "Test API Key", "expires_at_millis": null}),
    )
    .await;
    assert_eq!(theirs["user_id"], json!(other));
    let path = format!("{KEYS}/{}", theirs["id"].as_str().unwrap());
    let a = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"description": "Updated"})),
        )
        .await;
    expect(&a, 403, own_only.clone());
    let a = v.send("client", Method::GET, &path, None).await;
    expect(&a, 403, own_only.clone());
    let a = v
        .send(
            "client",
            Method::GET,
            &format!("{KEYS}?user_id={other}"),
            None,
        )
        .await;
    expect(&a, 403, own_only);
    for access in ["client", "server"] {
        let a = v.send(access, Method::GET, KEYS, None).await;
        expect(
            &a,
            400,
            json!({"code": "SCHEMA_ERROR", "details": {"message": "user_id is required for user API keys"}, "error": "user_id is required for user API keys"}),
        );
    }
}

// api-keys.test.ts "can revoke API keys", "cannot pass user_id or team_id in update requests",
// "revoking an API key twice will not change the revocation timestamp".
#[tokio::test]
async fn revoking_and_updating_keys() {
    let mut v = enabled().await;
    let user = v.fast_sign_up(json!({})).await;
    let created = create(
        &v,
        json!({"user_id": user, "description": "Test API Key", "expires_at_millis": null}),
    )
    .await;
    let path = format!("{KEYS}/{}", created["id"].as_str().unwrap());
    let a = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"description": "Renamed"})),
        )
        .await;
    assert_eq!(shown(&a), key("Renamed", last_four(), json!({})));
    let a = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"team_id": "x", "user_id": user})),
        )
        .await;
    let body = a.known(400, "SCHEMA_ERROR");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("  - body contains unknown properties: team_id, user_id"),
        "{body}"
    );
    let first = v
        .send(
            "client",
            Method::PATCH,
            &path,
            Some(json!({"revoked": true})),
        )
        .await;
    assert_eq!(
        shown(&first),
        key(
            "Renamed",
            last_four(),
            json!({"manually_revoked_at_millis": "<stripped field 'manually_revoked_at_millis'>"})
        )
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = v
        .send(
            "server",
            Method::PATCH,
            &path,
            Some(json!({"revoked": true})),
        )
        .await;
    assert_eq!(
        second.expect_json()["manually_revoked_at_millis"],
        first.expect_json()["manually_revoked_at_millis"],
        "the first revocation's time stays"
    );
    let a = v
        .send(
            "server",
            Method::POST,
            CHECK,
            Some(json!({"api_key": created["value"]})),
        )
        .await;
    expect(
        &a,
        401,
        json!({"code": "API_KEY_REVOKED", "error": "API key has been revoked."}),
    );
    let a = v
        .send(
            "server",
            Method::PATCH,
            &path,
            Some(json!({"revoked": false})),
        )
        .await;
    let body = a.known(400, "SCHEMA_ERROR");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("  - body.revoked must be one of the following values: true"),
        "{body}"
    );
}

// Scenario 41: @stackframe/js 2.8.108 unmodified: user.createApiKey, user.listApiKeys,
// apiKey.revoke and serverApp.checkApiKey-style validation through the server.
#[tokio::test]
async fn sdk_api_keys_scenario() {
    let v = enabled().await;
    let f = &v.f;
    let mut env = super::sdk_env(f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    super::run_sdk("api-keys", env).await;
}
