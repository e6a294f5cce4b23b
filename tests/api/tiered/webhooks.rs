//! Webhooks (issue #16): a project's endpoint receives the vendor's events in Svix's format,
//! verified by the `svix` package's own verifier; the payloads are the vendor's (server read
//! objects, ids of what went away); a change made outside the tiered surface is announced too; a
//! failed delivery is retried with the same message id; filters, deletion and the admin API's
//! refusals; every attempt is in the journal.

use std::time::Duration;

use gateway_tests::{hooks::HookReceiver, http::fetch, sdk};
use reqwest::Method;
use serde_json::{Value, json};

use super::teams::Vendor;

/// A gateway with short retry waits and a project without personal teams.
async fn vendor() -> Vendor {
    let db = gateway_tests::TestDb::sqlite();
    let mut settings = gateway_tests::test_settings(&db).unwrap();
    settings.webhooks.retry_delays_ms = vec![100, 100];
    settings.webhooks.timeout_ms = 3000;
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    Vendor::on(app, json!({"create_team_on_sign_up": false})).await
}

/// `POST /admin/projects/{id}/webhooks` with `body`; the answer.
async fn add_endpoint(v: &Vendor, body: Value) -> gateway_tests::http::Answer {
    let path = format!("/projects/{}/webhooks", v.f.project.id);
    fetch(v.f.app.admin(Method::POST, &path).json(&body)).await
}

/// An endpoint for `url` (every event type); its secret.
async fn endpoint(v: &Vendor, url: &str) -> String {
    let a = add_endpoint(v, json!({"url": url, "description": "test"})).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.expect_json()["secret"].as_str().unwrap().to_owned()
}

/// The deliveries verified by `svix`'s `Webhook.verify` (fails the test on any that does not).
async fn verified(secret: &str, deliveries: &[gateway_tests::hooks::Delivery]) -> Vec<Value> {
    sdk::node_ready().unwrap();
    let input = json!({
        "secret": secret,
        "deliveries": deliveries.iter().map(|d| json!({"headers": d.headers, "body": d.body})).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deliveries.json");
    std::fs::write(&file, input.to_string()).unwrap();
    let out = sdk::run(
        std::path::Path::new("bash"),
        &[
            "-c",
            "node tests/sdk/js/verify_webhooks.mjs < \"$DELIVERIES\"",
        ],
        &[("DELIVERIES", file.display().to_string())],
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    serde_json::from_str(&out).unwrap()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn send(v: &Vendor, method: Method, path: &str, body: Option<Value>) -> Value {
    let a = v.send("server", method, path, body).await;
    assert!(a.status < 300, "{path}: {} {}", a.status, a.text);
    if a.text.is_empty() {
        Value::Null
    } else {
        a.expect_json()
    }
}

#[tokio::test]
async fn events_arrive_in_svix_format_with_the_vendors_payloads() {
    let receiver = HookReceiver::start(&[]).unwrap();
    let v = vendor().await;
    let secret = endpoint(&v, &receiver.url()).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let user = send(
        &v,
        Method::POST,
        "/api/v1/users",
        Some(json!({"primary_email": "hooked@example.com", "display_name": "Hooked"})),
    )
    .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let updated = send(
        &v,
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(json!({"display_name": "Renamed"})),
    )
    .await;
    let team = send(
        &v,
        Method::POST,
        "/api/v1/teams",
        Some(json!({"display_name": "Hooks", "creator_user_id": id})),
    )
    .await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let member = &v.f.user_id;
    let membership = format!("/api/v1/team-memberships/{team_id}/{member}");
    send(&v, Method::POST, &membership, Some(json!({}))).await;
    send(
        &v,
        Method::POST,
        &format!("/api/v1/team-permissions/{team_id}/{member}/$update_team"),
        Some(json!({})),
    )
    .await;
    send(
        &v,
        Method::PATCH,
        &format!("/api/v1/teams/{team_id}"),
        Some(json!({"display_name": "Hooks 2"})),
    )
    .await;
    send(&v, Method::DELETE, &membership, None).await;
    // A change through the gateway's own admin API is the same user's change.
    let a = fetch(
        v.f.app
            .admin(Method::PATCH, &format!("/users/{member}"))
            .json(&json!({"display_name": "Outside"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    send(&v, Method::DELETE, &format!("/api/v1/users/{id}"), None).await;
    send(
        &v,
        Method::DELETE,
        &format!("/api/v1/teams/{team_id}"),
        None,
    )
    .await;

    let deliveries = receiver.wait_for(11).await;
    let events = verified(&secret, &deliveries).await;
    assert_eq!(
        types(&events),
        [
            "user.created",
            "user.updated",
            "team.created",
            "team_membership.created",
            "team_permission.created",
            "team.updated",
            "team_membership.deleted",
            "user.updated",
            "team_membership.deleted",
            "user.deleted",
            "team.deleted",
        ],
        "{events:#?}"
    );
    // Users and teams are the server read objects, as the API answered them.
    let mut created = events[0]["data"].clone();
    let mut answered = user.clone();
    for v in [&mut created, &mut answered] {
        v.as_object_mut().unwrap().remove("last_active_at_millis");
    }
    assert_eq!(created, answered);
    assert_eq!(events[1]["data"]["display_name"], updated["display_name"]);
    assert_eq!(events[2]["data"], team);
    assert_eq!(
        events[3]["data"],
        json!({"team_id": team_id, "user_id": member})
    );
    assert_eq!(
        events[4]["data"],
        json!({"id": "$update_team", "team_id": team_id, "user_id": member})
    );
    assert_eq!(events[5]["data"]["display_name"], "Hooks 2");
    assert_eq!(events[7]["data"]["id"], json!(member));
    assert_eq!(events[7]["data"]["display_name"], "Outside");
    assert_eq!(
        events[8]["data"],
        json!({"team_id": team_id, "user_id": id})
    );
    assert_eq!(
        events[9]["data"],
        json!({"id": id, "teams": [{"id": team_id}]})
    );
    assert_eq!(events[10]["data"], json!({"id": team_id}));

    // Svix's headers, one message id per event, JSON bodies.
    let ids: std::collections::BTreeSet<_> = deliveries
        .iter()
        .map(|d| d.headers["svix-id"].clone())
        .collect();
    assert_eq!(ids.len(), deliveries.len());
    for d in &deliveries {
        assert!(d.headers["svix-id"].starts_with("msg_"), "{:?}", d.headers);
        assert!(d.headers["svix-signature"].starts_with("v1,"));
        assert_eq!(d.headers["content-type"], "application/json");
    }

    // Every attempt is in the journal, without the secret.
    let a = fetch(
        v.f.app
            .admin(Method::GET, "/journal?surface=webhooks&limit=50"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let journal = a.expect_json();
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 11, "{journal:#}");
    assert!(entries.iter().all(|e| e["response"]["status"] == 204));
    assert_eq!(entries[0]["route"], "team.deleted");
    assert_eq!(entries[0]["request"]["path"], receiver.url());
    assert!(
        !a.text.contains(&secret[6..]),
        "the secret is in the journal"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_message_id() {
    let receiver = HookReceiver::start(&[500, 503]).unwrap();
    let v = vendor().await;
    let secret = endpoint(&v, &receiver.url()).await;
    send(
        &v,
        Method::POST,
        "/api/v1/users",
        Some(json!({"primary_email": "retried@example.com"})),
    )
    .await;
    let deliveries = receiver.wait_for(3).await;
    assert_eq!(deliveries.len(), 3);
    assert!(
        deliveries
            .iter()
            .all(|d| d.headers["svix-id"] == deliveries[0].headers["svix-id"]),
        "{deliveries:#?}"
    );
    // Each attempt is signed anew, and each verifies.
    let events = verified(&secret, &deliveries).await;
    assert_eq!(types(&events), ["user.created"; 3]);

    let a = fetch(v.f.app.admin(Method::GET, "/journal?surface=webhooks")).await;
    let statuses: Vec<Value> = a
        .expect_json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["response"]["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(204), json!(503), json!(500)]);

    // Two retries are configured: a delivery failing three times is given up.
    let receiver = HookReceiver::start(&[500, 500, 500, 500]).unwrap();
    endpoint(&v, &receiver.url()).await;
    send(
        &v,
        Method::POST,
        "/api/v1/users",
        Some(json!({"primary_email": "given-up@example.com"})),
    )
    .await;
    receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn filters_deletion_and_refusals() {
    let receiver = HookReceiver::start(&[]).unwrap();
    let v = vendor().await;
    let a = add_endpoint(
        &v,
        json!({"url": receiver.url(), "filter_types": ["team.created"]}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let created = a.expect_json();
    let endpoint_id = created["id"].as_str().unwrap().to_owned();
    let base = format!("/projects/{}/webhooks", v.f.project.id);

    // The secret can be read again; listings never show it.
    let a = fetch(
        v.f.app
            .admin(Method::GET, &format!("{base}/{endpoint_id}/secret")),
    )
    .await;
    assert_eq!(a.expect_json(), json!({"key": created["secret"]}));
    let a = fetch(v.f.app.admin(Method::GET, &base)).await;
    let listed = a.expect_json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("secret").is_none());
    assert_eq!(listed["items"][0]["filter_types"], json!(["team.created"]));

    send(
        &v,
        Method::POST,
        "/api/v1/users",
        Some(json!({"primary_email": "filtered@example.com"})),
    )
    .await;
    send(
        &v,
        Method::POST,
        "/api/v1/teams",
        Some(json!({"display_name": "Only this"})),
    )
    .await;
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got_after.len(), 1, "only team.created passes the filter");
    assert!(got_after[0].body.contains("\"team.created\""));

    // Deleted: nothing more.
    let a = fetch(
        v.f.app
            .admin(Method::DELETE, &format!("{base}/{endpoint_id}")),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.text);
    send(
        &v,
        Method::POST,
        "/api/v1/teams",
        Some(json!({"display_name": "Unheard"})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1);
    let a = fetch(
        v.f.app
            .admin(Method::DELETE, &format!("{base}/{endpoint_id}")),
    )
    .await;
    assert_eq!(a.status, 404, "{}", a.text);

    // Refusals: the admin API's validation errors, its 400 for an unknown field, 404 without the
    // project.
    for (body, field) in [
        (json!({"url": "ftp://example.com/"}), "url"),
        (json!({"url": "https://user:pw@example.com/"}), "url"),
        (
            json!({"url": "https://example.com/", "filter_types": ["user.exploded"]}),
            "filter_types",
        ),
    ] {
        let a = add_endpoint(&v, body.clone()).await;
        assert_eq!(a.status, 422, "{body}: {}", a.text);
        assert!(a.text.contains(field), "{body}: {}", a.text);
    }
    let a = add_endpoint(&v, json!({"url": "https://example.com/", "secret": "x"})).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let path = format!("/projects/{}/webhooks", uuid::Uuid::new_v4());
    let a = fetch(
        v.f.app
            .admin(Method::POST, &path)
            .json(&json!({"url": "https://example.com/"})),
    )
    .await;
    assert_eq!(a.status, 404, "{}", a.text);
}
