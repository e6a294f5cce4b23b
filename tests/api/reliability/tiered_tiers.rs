//! The tiered wall: a client caller can never read or write server-only data, whatever the body,
//! headers or route. Server-only values are planted with markers; every client attempt (spoofed
//! access types, both header prefixes, duplicate and odd-cased headers, method overrides, odd
//! paths, escaped, re-cased and nested keys, form bodies, the by-id routes) must not show a marker
//! and must not change a server-only field.

use gateway_tests::spawn_app;
use reqwest::Method;
use serde_json::json;

use super::{Answer, Gw, Kind, Project, leak, ready_surfaces, record_figures, send};

/// Keys a client read must never contain (top level).
const SERVER_ONLY: [&str; 6] = [
    "server_metadata",
    "primary_email_auth_enabled",
    "last_active_at_millis",
    "restricted_by_admin_private_details",
    "country_code",
    "risk_scores",
];

fn client(
    gw: &Gw,
    method: Method,
    path: &str,
    p: &Project,
    token: &str,
) -> reqwest::RequestBuilder {
    Kind::tiered_headers(gw.req(method, path), p, false).header("x-stack-access-token", token)
}

#[tokio::test]
async fn tiered_clients_never_read_or_write_server_only_data() {
    let app = spawn_app().await;
    let gw = Gw::of(&app);
    let (surfaces, project) = ready_surfaces(&gw, "tiers")
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        surfaces.iter().any(|s| s.kind == Kind::Users),
        "the tiered surface `users` is not registered"
    );
    let project = project.expect("a project for the tiered surface");
    let user = gw.create_user("tiered_wall").await.expect("user");
    let c = gw
        .creds(Kind::Users, &user, Some(&project))
        .await
        .expect("creds");
    let secret = format!("SRV-{}", uuid::Uuid::new_v4().simple());
    let ro = format!("RO-{}", uuid::Uuid::new_v4().simple());
    let planted = json!({
        "server_metadata": {"secret": secret},
        "client_read_only_metadata": {"ro": ro},
        "country_code": "NL",
        "display_name": "Wall",
    });
    let a = send(Kind::as_server(gw.req(Method::PATCH, "/api/v1/users/me"), &c).json(&planted))
        .await
        .expect("plant");
    assert_eq!(a.status, 200, "server PATCH: {}", a.describe());
    let me = "/api/v1/users/me";
    let by_id = format!("/api/v1/users/{user}");
    let (p, t) = (&project, c.token.as_str());

    let mut attempts: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
    let mut add = |label: &str, rb: reqwest::RequestBuilder| attempts.push((label.to_owned(), rb));
    // Reads.
    add("client GET /users/me", client(&gw, Method::GET, me, p, t));
    add(
        "client GET /users/{own id}",
        client(&gw, Method::GET, &by_id, p, t),
    );
    add(
        "access type server without a secret key",
        gw.req(Method::GET, me)
            .header("x-stack-project-id", &p.id)
            .header("x-stack-access-type", "server")
            .header("x-stack-publishable-client-key", &p.pck)
            .header("x-stack-access-token", t),
    );
    add(
        "publishable key as secret key",
        gw.req(Method::GET, me)
            .header("x-stack-project-id", &p.id)
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", &p.pck)
            .header("x-stack-access-token", t),
    );
    add(
        "x-hexclave client over x-stack server",
        client(&gw, Method::GET, me, p, t)
            .header("x-hexclave-access-type", "client")
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", "ssk_guess"),
    );
    add(
        "x-stack client, x-hexclave server without its key",
        client(&gw, Method::GET, me, p, t).header("x-hexclave-access-type", "server"),
    );
    for odd in ["Server", "SERVER", "server ", "admin", "client,server"] {
        add(
            &format!("access type {odd:?}"),
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &p.id)
                .header("x-stack-access-type", odd)
                .header("x-stack-publishable-client-key", &p.pck)
                .header("x-stack-access-token", t),
        );
    }
    add(
        "two access-type headers",
        client(&gw, Method::GET, me, p, t).header("x-stack-access-type", "server"),
    );
    add(
        "access type in the query",
        client(
            &gw,
            Method::GET,
            &format!("{me}?x-stack-access-type=server&access_type=server"),
            p,
            t,
        ),
    );
    add(
        "override-error-status",
        client(&gw, Method::GET, &by_id, p, t).header("x-stack-override-error-status", "true"),
    );
    add(
        "method override to GET by id",
        client(&gw, Method::POST, &by_id, p, t).header("x-http-method-override", "GET"),
    );
    for path in [
        "/api/v1/users/me/",
        "/api/v1//users/me",
        "/api/v1/users/ME",
        "/api/v1/users/%6de",
        "/API/V1/USERS/ME",
        "/api/v1/users/./me",
        "/api/v1/users/me%2f",
        "/api/v1/users/me;server",
    ] {
        add(
            &format!("path {path}"),
            client(&gw, Method::GET, path, p, t),
        );
    }
    add(
        &format!("path /api/v1/users/{user}/"),
        client(&gw, Method::GET, &format!("{by_id}/"), p, t),
    );
    // Writes.
    let evil = json!({"secret": "overwritten-by-a-client"});
    for body in [
        json!({"server_metadata": evil}),
        json!({"client_read_only_metadata": evil}),
        json!({"display_name": "Hacked", "server_metadata": evil}),
        json!({"Server_Metadata": evil}),
        json!({"serverMetadata": evil}),
        json!({"SERVER_METADATA": evil}),
        json!({"country_code": "US"}),
        json!({"risk_scores": {"sign_up": {"bot": 0, "free_trial_abuse": 0}}}),
        json!({"primary_email_verified": true}),
        json!({"restricted_by_admin": true}),
        json!({"password": "client-sets-a-password"}),
        json!({"client_metadata": {"ok": 1}, "client_read_only_metadata": evil}),
    ] {
        add(
            &format!("client PATCH {body}"),
            client(&gw, Method::PATCH, me, p, t).json(&body),
        );
    }
    add(
        "escaped key server\\u005fmetadata",
        client(&gw, Method::PATCH, me, p, t)
            .header("content-type", "application/json")
            .body(r#"{"server\u005fmetadata":{"secret":"overwritten-by-a-client"}}"#),
    );
    add(
        "duplicate key: client_metadata then server_metadata",
        client(&gw, Method::PATCH, me, p, t)
            .header("content-type", "application/json")
            .body(r#"{"client_metadata":{},"server_metadata":{"secret":"overwritten-by-a-client"},"client_metadata":{}}"#),
    );
    add(
        "form body",
        client(&gw, Method::PATCH, me, p, t)
            .form(&[("server_metadata", "overwritten-by-a-client")]),
    );
    add(
        "client PATCH /users/{own id}",
        client(&gw, Method::PATCH, &by_id, p, t).json(&json!({"server_metadata": evil})),
    );
    add(
        "method override to PATCH by id",
        client(&gw, Method::POST, &by_id, p, t)
            .header("x-http-method-override", "PATCH")
            .json(&json!({"server_metadata": evil})),
    );
    add(
        "client PATCH with access type server and the publishable key",
        gw.req(Method::PATCH, me)
            .header("x-stack-project-id", &p.id)
            .header("x-stack-access-type", "server")
            .header("x-stack-publishable-client-key", &p.pck)
            .header("x-stack-access-token", t)
            .json(&json!({"server_metadata": evil})),
    );
    add(
        "hexclave-only client headers, server-only body",
        gw.req(Method::PATCH, me)
            .header("x-hexclave-project-id", &p.id)
            .header("x-hexclave-access-type", "client")
            .header("x-hexclave-publishable-client-key", &p.pck)
            .header("x-hexclave-access-token", t)
            .json(&json!({"server_metadata": evil})),
    );
    add(
        "client DELETE /users/{own id}",
        client(&gw, Method::DELETE, &by_id, p, t),
    );

    let mut failures = Vec::new();
    let total = attempts.len();
    for (label, rb) in attempts {
        let a: Answer = send(rb).await.expect("send");
        if a.text.contains(&secret) || a.text.contains("overwritten-by-a-client") {
            failures.push(format!(
                "{label}: server-only data in the answer: {}",
                a.describe()
            ));
        }
        if a.status == 200
            && let Some(obj) = a.json().as_object()
        {
            let shown: Vec<_> = SERVER_ONLY
                .iter()
                .filter(|k| obj.contains_key(**k))
                .collect();
            if !shown.is_empty() {
                failures.push(format!("{label}: a client answer shows {shown:?}"));
            }
        }
        if a.status >= 500 {
            failures.push(format!("{label}: {}", a.describe()));
        }
        if let Some(l) = leak(&a.text, &c.secrets()) {
            failures.push(format!("{label}: {l}"));
        }
    }
    let after = send(Kind::as_server(gw.req(Method::GET, me), &c))
        .await
        .expect("server read")
        .json();
    for (field, want) in [
        ("server_metadata", json!({"secret": secret})),
        ("client_read_only_metadata", json!({"ro": ro})),
        ("country_code", json!("NL")),
        ("display_name", json!("Wall")),
    ] {
        if after[field] != want {
            failures.push(format!("{field} changed to {} (want {want})", after[field]));
        }
    }
    record_figures(
        "tiered_wall",
        &json!({"attempts": total, "failed": failures.len()}),
    );
    assert!(
        failures.is_empty(),
        "the tiered wall leaked:\n{}",
        failures.join("\n")
    );
}
