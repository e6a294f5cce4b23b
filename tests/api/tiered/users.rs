//! The users collection of the tiered dialect (issue #16, notes §1): `GET /api/v1/users` (page
//! shape, cursor, order, direction, search, anonymous and restricted filters, query validation)
//! and `POST /api/v1/users` (201 server object, conflicts, validation, the vendor's plain-text
//! refusals), and the access-type refusals of both.

use gateway_tests::http::fetch;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Fixture, Set, TieredAnswer, assert_schema_error, fixture, run_sdk, sdk_env, server_keys,
};

const USERS: &str = "/api/v1/users";

/// Creates a user through `POST /api/v1/users`; returns the 201 body.
async fn create(f: &Fixture, body: Value) -> Value {
    let a = fetch(f.server(Method::POST, USERS).json(&body)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.expect_json()
}

/// `GET /api/v1/users?<query>` as the server; the page.
async fn list(f: &Fixture, query: &str) -> Value {
    let a = fetch(f.server(Method::GET, &format!("{USERS}?{query}"))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn next(page: &Value) -> Value {
    page["pagination"]["next_cursor"].clone()
}

/// Three users created in this order (a few milliseconds apart), with names and emails to
/// search; returns their ids.
async fn three(f: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for (name, email) in [
        ("Alice Liddell", "alice@wonder.example"),
        ("Bob Builder", "bob@build.example"),
        ("Carol Danvers", "carol@marvel.example"),
    ] {
        let u = create(f, json!({"display_name": name, "primary_email": email})).await;
        out.push(u["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    out
}

#[tokio::test]
async fn users_collection_refuses_clients_and_missing_access_types() {
    let f = fixture().await;
    for method in [Method::GET, Method::POST] {
        let a = fetch(f.client(method.clone(), USERS).json(&json!({}))).await;
        let body = a.known(401, "INSUFFICIENT_ACCESS_TYPE");
        assert_eq!(
            body["error"],
            "The x-stack-access-type header must be 'server' or 'admin', but was 'client'."
        );
        assert_eq!(
            body["details"],
            json!({"actual_access_type": "client", "allowed_access_types": ["server", "admin"]})
        );
        let a = fetch(f.bare(method, USERS).json(&json!({}))).await;
        a.known(400, "ACCESS_TYPE_REQUIRED");
    }
    // The access type is checked before the query and the body.
    let a = fetch(f.client(Method::GET, &format!("{USERS}?limit=x"))).await;
    a.known(401, "INSUFFICIENT_ACCESS_TYPE");
    let a = fetch(f.client(Method::POST, USERS).json(&json!({"nope": 1}))).await;
    a.known(401, "INSUFFICIENT_ACCESS_TYPE");
}

#[tokio::test]
async fn list_pages_with_an_inclusive_cursor() {
    let f = fixture().await;
    let created = three(&f).await;
    let mut all = vec![f.user_id.clone()];
    all.extend(created);

    let whole = list(&f, "").await;
    assert_eq!(ids(&whole), all, "signed_up_at ascending by default");
    assert_eq!(whole["is_paginated"], true);
    assert_eq!(next(&whole), Value::Null, "no limit, no cursor");
    let mut keys: Vec<String> = whole["items"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, server_keys(), "items are server read objects");

    let first = list(&f, "limit=2").await;
    assert_eq!(ids(&first), all[..2]);
    assert_eq!(
        next(&first),
        json!(all[2]),
        "id of the first user of the next page"
    );
    let second = list(&f, &format!("limit=2&cursor={}", all[2])).await;
    assert_eq!(ids(&second), all[2..]);
    assert_eq!(next(&second), Value::Null, "last page");
    let exact = list(&f, "limit=4").await;
    assert_eq!(ids(&exact).len(), 4);
    assert_eq!(next(&exact), Value::Null);

    let desc = list(&f, "desc=true&limit=3").await;
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(ids(&desc), reversed[..3]);
    assert_eq!(next(&desc), json!(reversed[3]));
    let desc_rest = list(&f, &format!("desc=true&cursor={}", reversed[3])).await;
    assert_eq!(ids(&desc_rest), reversed[3..]);

    let unknown = list(&f, &format!("cursor={}", uuid::Uuid::new_v4())).await;
    assert_eq!(
        ids(&unknown),
        Vec::<String>::new(),
        "a cursor naming no user"
    );
    assert_eq!(next(&unknown), Value::Null);
}

// SDK 2.8.108's `orderBy: "lastActiveAt"`: accepted (notes §10). The gateway does not move
// `last_active_at` yet (it is the creation time), so the order is the sign-up order here; the
// unit tests of `listing` cover diverging times.
#[tokio::test]
async fn list_orders_by_last_active_at() {
    let f = fixture().await;
    let mut all = vec![f.user_id.clone()];
    all.extend(three(&f).await);
    let page = list(&f, "order_by=last_active_at&limit=2").await;
    assert_eq!(ids(&page), all[..2]);
    assert_eq!(next(&page), json!(all[2]));
    let desc = list(&f, "order_by=last_active_at&desc=true").await;
    all.reverse();
    assert_eq!(ids(&desc), all);
}

#[tokio::test]
async fn list_searches_ids_names_and_emails() {
    let f = fixture().await;
    let created = three(&f).await;
    assert_eq!(ids(&list(&f, "query=liddell").await), [created[0].as_str()]);
    assert_eq!(
        ids(&list(&f, "query=BUILD.EX").await),
        [created[1].as_str()]
    );
    assert_eq!(
        ids(&list(&f, "query=a").await).len(),
        4,
        "every display name or email has an a"
    );
    let by_id = list(&f, &format!("query=%20{}%21", created[2])).await;
    assert_eq!(ids(&by_id), [created[2].as_str()], "id after cleaning");
    assert_eq!(ids(&list(&f, "query=zzz").await), Vec::<String>::new());
    let paged = list(&f, "query=example&limit=1").await;
    assert_eq!(ids(&paged).len(), 1);
    assert!(next(&paged).is_string());
}

#[tokio::test]
async fn list_hides_anonymous_and_restricted_users_unless_asked() {
    let f = fixture().await;
    let anon = create(&f, json!({"is_anonymous": true})).await;
    assert_eq!(anon["is_anonymous"], true);
    assert_eq!(anon["is_restricted"], true);
    assert_eq!(anon["restricted_reason"], json!({"type": "anonymous"}));
    let anon = anon["id"].as_str().unwrap().to_owned();
    let restricted = create(
        &f,
        json!({"restricted_by_admin": true, "restricted_by_admin_reason": "spam"}),
    )
    .await;
    assert_eq!(restricted["restricted_by_admin_reason"], "spam");
    let restricted = restricted["id"].as_str().unwrap().to_owned();

    assert_eq!(ids(&list(&f, "").await), [f.user_id.as_str()]);
    assert_eq!(
        ids(&list(&f, "include_restricted=true").await),
        [f.user_id.clone(), restricted.clone()]
    );
    assert_eq!(
        ids(&list(&f, "include_anonymous=true").await),
        [f.user_id.clone(), anon.clone(), restricted.clone()]
    );
    assert_eq!(
        ids(&list(&f, "include_anonymous=true&only_anonymous=true").await),
        [anon.as_str()]
    );
    let a = fetch(f.server(Method::GET, &format!("{USERS}?only_anonymous=true"))).await;
    assert_eq!(
        a.text_error(400),
        "only_anonymous=true requires include_anonymous=true"
    );
}

#[tokio::test]
async fn list_query_is_validated() {
    let f = fixture().await;
    let a = fetch(f.server(
        Method::GET,
        &format!("{USERS}?limit=0&cursor=abc&order_by=name&desc=1&include_anonymous=yes&team&x=1"),
    ))
    .await;
    assert_schema_error(
        &a,
        "GET /api/v1/users",
        &[
            "query.limit must be greater than or equal to 1",
            "query.cursor must be a valid UUID",
            "query.order_by must be one of the following values: signed_up_at, last_active_at",
            "query.desc must be one of the following values: true, false",
            "query.include_anonymous must be one of the following values: true, false",
            "query contains unknown properties: team, x",
        ],
    );
    let a = fetch(f.server(Method::GET, &format!("{USERS}?limit=1.5"))).await;
    assert_schema_error(&a, "GET /api/v1/users", &["query.limit must be an integer"]);
}

#[tokio::test]
async fn create_answers_201_with_the_server_object() {
    let f = fixture().await;
    let empty = create(&f, json!({})).await;
    let mut keys: Vec<String> = empty.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, server_keys());
    assert_eq!(empty["primary_email"], Value::Null);
    assert_eq!(empty["display_name"], Value::Null);
    assert_eq!(empty["has_password"], false);
    assert_eq!(empty["otp_auth_enabled"], false, "off unless asked");
    assert_eq!(empty["auth_with_email"], false);
    assert_eq!(empty["is_anonymous"], false);
    assert_eq!(
        empty["risk_scores"],
        json!({"sign_up": {"bot": 0, "free_trial_abuse": 0}})
    );

    let full = create(
        &f,
        json!({
            "display_name": "Full User",
            "primary_email": "Full@Example.COM",
            "primary_email_verified": true,
            "primary_email_auth_enabled": true,
            "password": "short",
            "otp_auth_enabled": true,
            "client_metadata": {"c": 1},
            "client_read_only_metadata": {"r": 2},
            "server_metadata": "test",
            "country_code": "de",
            "risk_scores": {"sign_up": {"bot": 10, "free_trial_abuse": 20}},
            "restricted_by_admin": true,
            "restricted_by_admin_reason": "why",
            "restricted_by_admin_private_details": "details",
        }),
    )
    .await;
    assert_eq!(full["primary_email"], "full@example.com", "normalised");
    assert_eq!(full["primary_email_verified"], true);
    assert_eq!(full["primary_email_auth_enabled"], true);
    assert_eq!(
        full["has_password"], true,
        "no minimum length on POST /users"
    );
    assert_eq!(full["auth_with_email"], true);
    assert_eq!(full["otp_auth_enabled"], true);
    assert_eq!(full["client_metadata"], json!({"c": 1}));
    assert_eq!(full["client_read_only_metadata"], json!({"r": 2}));
    assert_eq!(full["server_metadata"], "test");
    assert_eq!(full["country_code"], "DE");
    assert_eq!(
        full["risk_scores"],
        json!({"sign_up": {"bot": 10, "free_trial_abuse": 20}})
    );
    assert_eq!(full["restricted_by_admin"], true);
    assert_eq!(full["restricted_by_admin_private_details"], "details");
    assert_eq!(full["is_restricted"], true);
    // What POST answered is what GET reads.
    let id = full["id"].as_str().unwrap();
    let read = fetch(f.server(Method::GET, &format!("{USERS}/{id}"))).await;
    assert_eq!(read.expect_json(), full);

    let hashed = create(
        &f,
        json!({"primary_email": "hash@example.com", "password_hash": "$2a$13$TVyY/gpw9Db/w1fBeJkCgeNg2Rae2JfNqrZbLfZOgfXX6FJXKwKSW"}),
    )
    .await;
    assert_eq!(hashed["has_password"], true);
    assert_eq!(hashed["auth_with_email"], true);
    assert_eq!(
        hashed["primary_email_auth_enabled"], false,
        "off unless asked"
    );
    assert_eq!(hashed["primary_email_verified"], false);

    // The answer is also valid with the x-hexclave prefix and the SDK's content type spelling.
    let a = fetch(
        f.bare(Method::POST, USERS)
            .set("x-hexclave-access-type", "server")
            .set("x-hexclave-project-id", &f.project.id)
            .set("x-hexclave-secret-server-key", &f.project.ssk)
            .set("content-type", "application/json")
            .body(r#"{"display_name":""}"#),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.expect_json()["display_name"], Value::Null, "\"\" is null");
}

#[tokio::test]
async fn create_refuses_taken_emails() {
    let f = fixture().await;
    let a = fetch(f.server(Method::POST, USERS).json(&json!({
        "primary_email": f.email.to_uppercase(),
        "primary_email_auth_enabled": true,
    })))
    .await;
    let body = a.known(409, "USER_EMAIL_ALREADY_EXISTS");
    assert_eq!(
        body["details"],
        json!({"email": f.email, "would_work_if_email_was_verified": false})
    );
    // The gateway's choice: primary emails are unique even without email sign-in.
    let a = fetch(
        f.server(Method::POST, USERS)
            .json(&json!({"primary_email": f.email, "primary_email_auth_enabled": false})),
    )
    .await;
    a.known(409, "USER_EMAIL_ALREADY_EXISTS");
    // Nothing was created by the refusals.
    assert_eq!(ids(&list(&f, "include_anonymous=true").await).len(), 1);
}

#[tokio::test]
async fn create_validates_the_body() {
    let f = fixture().await;
    let route = "POST /api/v1/users";
    let a = fetch(f.server(Method::POST, USERS).json(&json!({
        "primary_email": "not-an-email",
        "display_name": 5,
        "selected_team_id": null,
        "is_anonymous": "yes",
        "restricted_by_admin_reason": "r",
        "oauth_providers": [{"id": "github"}],
        "username": "x",
    })))
    .await;
    assert_schema_error(
        &a,
        route,
        &[
            "body.display_name must be a `string` type, but the final value was: `5`.",
            "body.primary_email must be a valid email",
            "body.is_anonymous must be a `boolean` type, but the final value was: `\"yes\"`.",
            "body.oauth_providers[0].account_id must be defined",
            "restricted_by_admin_reason must be null when restricted_by_admin is not true",
            "body contains unknown properties: selected_team_id, username",
        ],
    );
    let a = fetch(
        f.server(Method::POST, USERS)
            .json(&json!({"password": "x".repeat(71)})),
    )
    .await;
    assert_schema_error(&a, route, &["body.password must be at most 70 characters"]);

    let refusals = [
        (
            json!({"password": "password1", "password_hash": "$2a$13$TVyY/gpw9Db/w1fBeJkCgeNg2Rae2JfNqrZbLfZOgfXX6FJXKwKSW"}),
            "Cannot set both password and password_hash at the same time.",
        ),
        (
            json!({"password_hash": "$2a$17$too-short"}),
            "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format.",
        ),
        // The vendor takes bcrypt only, at most 16 rounds: a well-formed 17-round hash and an
        // argon2 hash (which the core could verify) are refused, and no session ends.
        (
            json!({"password_hash": "$2b$17$TVyY/gpw9Db/w1fBeJkCgeNg2Rae2JfNqrZbLfZOgfXX6FJXKwKSW"}),
            "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format.",
        ),
        (
            json!({"password_hash": "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo"}),
            "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format.",
        ),
        (
            json!({"primary_email_auth_enabled": true}),
            "primary_email_auth_enabled cannot be true without primary_email",
        ),
        (
            json!({"primary_email_verified": true, "primary_email": null}),
            "primary_email_verified cannot be true without primary_email",
        ),
        (
            json!({"primary_email": "oauth@example.com", "oauth_providers": [{"id": "github", "account_id": "1"}]}),
            "OAuth provider github not found",
        ),
        (
            json!({"primary_email": "passkey@example.com", "passkey_auth_enabled": true}),
            "Cannot manually enable passkey auth, it is enabled iff there is a passkey auth method",
        ),
    ];
    for (body, text) in refusals {
        let a = fetch(f.server(Method::POST, USERS).json(&body)).await;
        assert_eq!(a.text_error(400), text, "{body}");
    }
    // A refused create leaves no user behind (the emails above are free again).
    assert_eq!(
        ids(&list(&f, "include_anonymous=true").await),
        [f.user_id.as_str()]
    );
    create(&f, json!({"primary_email": "oauth@example.com"})).await;
}

// The published SDK against the collection: `serverApp.createUser()` and `serverApp.listUsers()`
// (limit, cursor, `nextCursor`, `orderBy: "lastActiveAt"`, `desc`, `query`).
#[tokio::test]
async fn sdk_users_scenario() {
    let f = fixture().await;
    let mut env = sdk_env(&f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    run_sdk("users", env).await;
    let page = list(&f, "").await;
    assert_eq!(ids(&page).len(), 3, "the SDK created two users");
    assert_eq!(page["items"][1]["display_name"], "SDK Created");
    assert_eq!(page["items"][1]["primary_email_auth_enabled"], true);
}

// The collection on every backend (SQLite, and PostgreSQL when `GATEWAY_TEST_POSTGRES_URL` is
// set): create with every kind of field, pages, filters, a conflict and a refused create.
#[tokio::test]
async fn collection_on_every_backend() {
    for db in gateway_tests::TestDb::all() {
        let backend = db.backend();
        let app = gateway_tests::spawn_app_on(db).await.unwrap();
        let f = super::fixture_on(app, json!({"display_name": backend})).await;
        let made = create(
            &f,
            json!({
                "primary_email": "Made@Example.com",
                "password": "pw",
                "display_name": "Made",
                "server_metadata": {"b": backend},
                "risk_scores": {"sign_up": {"bot": 1, "free_trial_abuse": 2}},
            }),
        )
        .await;
        assert_eq!(made["primary_email"], "made@example.com", "{backend}");
        assert_eq!(made["has_password"], true, "{backend}");
        let anon = create(&f, json!({"is_anonymous": true})).await;
        let made_id = made["id"].as_str().unwrap();
        let anon_id = anon["id"].as_str().unwrap();

        let first = list(&f, "limit=1").await;
        assert_eq!(ids(&first), [f.user_id.as_str()], "{backend}");
        assert_eq!(next(&first), json!(made_id), "{backend}");
        let rest = list(&f, &format!("cursor={made_id}&include_anonymous=true")).await;
        assert_eq!(ids(&rest), [made_id, anon_id], "{backend}");
        assert_eq!(ids(&list(&f, "query=MADE").await), [made_id], "{backend}");
        assert_eq!(
            list(&f, "query=made").await["items"][0],
            made,
            "{backend}: listed as created"
        );

        let a = fetch(
            f.server(Method::POST, USERS)
                .json(&json!({"primary_email": "made@example.com"})),
        )
        .await;
        a.known(409, "USER_EMAIL_ALREADY_EXISTS");
        let a = fetch(f.server(Method::POST, USERS).json(&json!({
            "primary_email": "gone@example.com",
            "oauth_providers": [{"id": "google", "account_id": "g"}],
        })))
        .await;
        assert_eq!(
            a.text_error(400),
            "OAuth provider google not found",
            "{backend}"
        );
        assert_eq!(
            ids(&list(&f, "include_anonymous=true").await).len(),
            3,
            "{backend}: the refused create left nothing"
        );
    }
}
