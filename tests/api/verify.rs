//! The verification API end to end over HTTP (`POST /admin/journal/count` and `/find`): requests
//! on the `account-profile`, `platform` and `users` surfaces, then counted and found by surface,
//! method, path and path pattern, route, status, header, query, JSON body pointer and
//! `contains_json`, `since` and `limit`; `find` answers the entries `GET /admin/journal` shows;
//! refused patterns are 422 in the admin envelope.

use gateway_tests::{
    TestApp,
    http::{Answer, fetch},
    spawn_app,
};
use reqwest::Method;
use serde_json::{Value, json};

const PROFILE: &str = "/api/workspace/account/profile";
const PLATFORM_USER: &str = "/api/v1/user";

/// `POST /admin/journal/<what>` with `pattern`.
async fn verify(app: &TestApp, what: &str, pattern: Value) -> Answer {
    fetch(
        app.admin(Method::POST, &format!("/journal/{what}"))
            .json(&pattern),
    )
    .await
}

/// How many journaled requests match `pattern` (asserting a 200 `{"count": N}`).
async fn count(app: &TestApp, pattern: Value) -> u64 {
    let answer = verify(app, "count", pattern.clone()).await;
    assert_eq!(answer.status, 200, "{pattern}: {}", answer.describe());
    let body = answer.expect_json();
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only the count: {body}"
    );
    body["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count: {body}"))
}

/// The ids `find` answers for `pattern` (asserting `count` is their number).
async fn find_ids(app: &TestApp, pattern: Value) -> Vec<u64> {
    let answer = verify(app, "find", pattern.clone()).await;
    assert_eq!(answer.status, 200, "{pattern}: {}", answer.describe());
    let body = answer.expect_json();
    let ids: Vec<u64> = body["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("no requests: {body}"))
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(body["count"], ids.len(), "{body}");
    ids
}

/// A 422 in the admin envelope whose issue names `field`; returns the message.
fn refused(answer: &Answer, field: &str) -> String {
    assert_eq!(answer.status, 422, "{}", answer.describe());
    let body = answer.expect_json();
    assert_eq!(body["error"]["kind"], "validation", "{body}");
    assert_eq!(body["error"]["issues"][0]["field"], field, "{body}");
    body["error"]["issues"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn journaled_requests_are_counted_and_found_by_pattern() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await.unwrap();
    let profile_token = app
        .credentials(&alice, "account-profile", false)
        .await
        .unwrap()
        .token;
    let platform_key = app
        .credentials(&alice, "platform", true)
        .await
        .unwrap()
        .api_key
        .unwrap();

    // 1: a PUT with a JSON body and a query on account-profile.
    let put = fetch(
        app.client
            .put(app.url(&format!("{PROFILE}?trace=1&tag=a%20b&tag=c")))
            .bearer_auth(&profile_token)
            .json(&json!({
                "FirstName": "Ada",
                "LastName": "Lovelace",
                "Password": "hunter2",
                "Age": 36,
                "Address": {"City": "London", "Zip": "N1"},
                "Tags": ["math", "poetry", "engines"],
            })),
    )
    .await;
    // 2: a GET on account-profile.
    let get = fetch(app.client.get(app.url(PROFILE)).bearer_auth(&profile_token)).await;
    assert_eq!(get.status, 200, "{}", get.describe());
    // 3: a GET on platform with a key and a client header.
    let ok = fetch(
        app.client
            .get(app.url(PLATFORM_USER))
            .header("x-api-key", &platform_key)
            .header("X-Client", "sdk/1.4.2"),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.describe());
    // 4: the same without a credential.
    let unauthenticated = fetch(app.client.get(app.url(PLATFORM_USER))).await;
    assert_eq!(
        unauthenticated.status,
        401,
        "{}",
        unauthenticated.describe()
    );
    // 5: a route with a variable on the tiered surface.
    fetch(app.client.get(app.url("/api/v1/users/some-user"))).await;

    let journal = fetch(app.admin(Method::GET, "/journal"))
        .await
        .expect_json();
    let ids: Vec<u64> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .rev()
        .collect();
    assert_eq!(ids.len(), 5, "{journal}");
    let [put_id, get_id, ok_id, anon_id, tiered_id] = ids[..] else {
        unreachable!()
    };

    // Every entry, newest first; by surface.
    assert_eq!(count(&app, json!({})).await, 5);
    assert_eq!(
        find_ids(&app, json!({})).await,
        [tiered_id, anon_id, ok_id, get_id, put_id]
    );
    assert_eq!(
        find_ids(&app, json!({"surface": "platform"})).await,
        [anon_id, ok_id]
    );
    assert_eq!(count(&app, json!({"surface": "account-profile"})).await, 2);
    assert_eq!(count(&app, json!({"surface": "me"})).await, 0);

    // `find` answers the entries exactly as GET /admin/journal shows them.
    let found = verify(&app, "find", json!({"surface": "platform"})).await;
    let listed = fetch(app.admin(Method::GET, "/journal?surface=platform")).await;
    assert_eq!(found.expect_json()["requests"], listed.expect_json());
    assert_eq!(
        found.text,
        format!(r#"{{"count":2,"requests":{}}}"#, listed.text),
        "the same text, field for field"
    );

    // Method, path, path pattern (anchored), route, status.
    assert_eq!(find_ids(&app, json!({"method": "PUT"})).await, [put_id]);
    assert_eq!(find_ids(&app, json!({"method": "put"})).await, [put_id]);
    assert_eq!(count(&app, json!({"path": PROFILE})).await, 2);
    assert_eq!(count(&app, json!({"path": "/api/workspace"})).await, 0);
    assert_eq!(
        count(&app, json!({"path_pattern": "/api/workspace/.*"})).await,
        2
    );
    assert_eq!(
        find_ids(&app, json!({"path_pattern": "/api/v1/user(s/[a-z-]+)?"})).await,
        [tiered_id, anon_id, ok_id]
    );
    assert_eq!(
        count(&app, json!({"path_pattern": "/api/v1/use"})).await,
        0,
        "anchored"
    );
    assert_eq!(
        find_ids(&app, json!({"route": "/api/v1/users/{user_id}"})).await,
        [tiered_id]
    );
    assert_eq!(
        find_ids(&app, json!({"surface": "platform", "status": 401})).await,
        [anon_id]
    );
    assert_eq!(
        find_ids(&app, json!({"method": "PUT", "status": put.status})).await,
        [put_id]
    );
    assert_eq!(
        count(&app, json!({"method": "PUT", "status": put.status + 1})).await,
        0
    );

    // Headers: case-insensitive names, secrets in their redacted form, absent.
    assert_eq!(
        find_ids(
            &app,
            json!({"headers": {"X-CLIENT": {"matches": "sdk/1\\.\\d+\\.\\d+"}}})
        )
        .await,
        [ok_id]
    );
    assert_eq!(
        find_ids(
            &app,
            json!({"headers": {"x-api-key": {"equal_to": "[redacted]"}}})
        )
        .await,
        [ok_id]
    );
    assert_eq!(
        count(
            &app,
            json!({"headers": {"authorization": {"contains": &profile_token[..8]}}})
        )
        .await,
        0,
        "credentials are journaled redacted"
    );
    assert_eq!(
        find_ids(
            &app,
            json!({"surface": "platform", "headers": {"x-api-key": {"absent": true}}})
        )
        .await,
        [anon_id]
    );

    // Query: percent-decoded, any occurrence of a repeated parameter.
    assert_eq!(
        find_ids(&app, json!({"query": {"tag": {"equal_to": "a b"}}})).await,
        [put_id]
    );
    assert_eq!(
        count(
            &app,
            json!({"query": {"tag": {"equal_to": "c"}, "trace": {"absent": false}}})
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, json!({"query": {"trace": {"absent": true}}})).await,
        4
    );

    // Body: JSON pointers (JSON values: numbers too), contains_json, text.
    assert_eq!(
        find_ids(
            &app,
            json!({"body": [{"pointer": "/FirstName", "equal_to": "Ada"}, {"pointer": "/Age", "equal_to": 36}]})
        )
        .await,
        [put_id]
    );
    assert_eq!(
        count(
            &app,
            json!({"body": [{"pointer": "/Age", "equal_to": "36"}]})
        )
        .await,
        0,
        "a string is not the number"
    );
    assert_eq!(
        count(
            &app,
            json!({"body": [{"pointer": "/Password", "equal_to": "[redacted]"}]})
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            json!({"body": [{"pointer": "/Address/City", "matches": "Lon.*"}]})
        )
        .await,
        1
    );
    assert_eq!(
        find_ids(
            &app,
            json!({"body": [{"contains_json": {"Address": {"Zip": "N1"}, "Tags": ["math", "engines"]}}]})
        )
        .await,
        [put_id]
    );
    assert_eq!(
        count(
            &app,
            json!({"body": [{"contains_json": {"Tags": ["engines", "math"]}}]})
        )
        .await,
        0,
        "array elements keep their order"
    );
    assert_eq!(
        count(&app, json!({"body": [{"contains": "\"LastName\""}]})).await,
        1
    );
    assert_eq!(
        count(&app, json!({"body": [{"contains": "hunter2"}]})).await,
        0,
        "body secrets are journaled redacted"
    );

    // since, and limit (count still counts every match).
    assert_eq!(
        find_ids(&app, json!({"since": get_id})).await,
        [tiered_id, anon_id, ok_id]
    );
    assert_eq!(
        count(&app, json!({"surface": "account-profile", "since": put_id})).await,
        1
    );
    let limited = fetch(
        app.admin(Method::POST, "/journal/find?limit=1")
            .json(&json!({"surface": "platform"})),
    )
    .await
    .expect_json();
    assert_eq!(limited["count"], 2, "{limited}");
    assert_eq!(limited["requests"].as_array().unwrap().len(), 1);
    assert_eq!(limited["requests"][0]["id"], anon_id);

    // The verification API's own calls are not journaled.
    assert_eq!(count(&app, json!({})).await, 5);
}

#[tokio::test]
async fn refused_patterns_answer_422_naming_the_field() {
    let app = spawn_app().await;
    let message = refused(
        &verify(&app, "count", json!({"surface": "nowhere"})).await,
        "surface",
    );
    assert!(
        message.contains("\"nowhere\"") && message.contains("platform"),
        "{message}"
    );
    let message = refused(
        &verify(&app, "find", json!({"methd": "GET"})).await,
        "pattern",
    );
    assert!(message.contains("methd"), "{message}");
    refused(
        &verify(&app, "count", json!({"path_pattern": "(unclosed"})).await,
        "path_pattern",
    );
    refused(
        &verify(
            &app,
            "count",
            json!({"headers": {"accept": {"matches": "(a)\\1"}}}),
        )
        .await,
        "headers.accept.matches",
    );
    refused(
        &verify(&app, "find", json!({"query": {"q": {"equals": "x"}}})).await,
        "query.q",
    );
    refused(
        &verify(
            &app,
            "find",
            json!({"body": [{"pointer": "FirstName", "equal_to": "Ada"}]}),
        )
        .await,
        "body[0].pointer",
    );
    // Not JSON: the admin API's usual 400; without the admin token: 401.
    let answer = fetch(
        app.admin(Method::POST, "/journal/count")
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.describe());
    assert_eq!(answer.expect_json()["error"]["kind"], "validation");
    let answer = fetch(
        app.client
            .post(app.url("/admin/journal/count"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(answer.status, 401, "{}", answer.describe());
    let answer = fetch(
        app.admin(Method::POST, "/journal/find?limt=1")
            .json(&json!({})),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.describe());
}
