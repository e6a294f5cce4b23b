//! End-to-end tests of the pascal dialect: the Moltaro workspace account profile
//! (`shared/specs/pascal.md`, `docs/dialects/pascal.md`) on the real server. The vendor publishes
//! no SDK, so [`moltaro`] is a small typed client written the way the vendor's documented C# and
//! JavaScript samples call the API; the other tests send raw HTTP. Each scenario of the spec has
//! a test named after its number. SQLite always; PostgreSQL for the main read/write path when
//! `GATEWAY_TEST_POSTGRES_URL` is set.

use std::collections::BTreeMap;

use chrono::Duration;
use gateway_core::{Surface, UserId};
use gateway_http::Tokens;
use gateway_tests::{
    TestApp, TestDb,
    http::{Answer, fetch},
    spawn_app, spawn_app_on,
};
use reqwest::{Method, header};
use serde_json::{Value, json};

const PATH: &str = "/api/workspace/account/profile";
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A client in the style of the vendor's documented samples (C# `HttpClient` with
/// `EnsureSuccessStatusCode`, JavaScript `fetch`, curl): the documented path, the credential as
/// `Authorization: Bearer <token>` or the documented `access_token` query parameter, and on PUT
/// exactly the documented `Content-Type: application/json`. Bodies are the documented PascalCase
/// types; unknown response properties are an error, so the wire shape is held to the docs.
mod moltaro {
    use std::collections::HashMap;

    use serde::{Deserialize, Serialize};

    /// `Data`: profile fields for the authenticated workspace account.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub struct AccountProfile {
        pub user_id: Option<String>,
        pub user_name: Option<String>,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub user_type: i32,
    }

    /// An item of `Errors` or `Warnings`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub struct Message {
        pub code: Option<String>,
        pub message: Option<String>,
        pub target: Option<String>,
        pub field: Option<String>,
        pub metadata: Option<HashMap<String, Option<String>>>,
        #[serde(rename = "Type")]
        pub message_type: Option<i32>,
        pub severity: Option<i32>,
    }

    /// The result envelope.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub struct AccountProfileResult {
        pub data: Option<AccountProfile>,
        pub errors: Option<Vec<Message>>,
        pub warnings: Option<Vec<Message>>,
        pub success: bool,
    }

    /// The PUT payload. Like a C# client with System.Text.Json defaults, it sends every
    /// property, `null` for the ones it does not set.
    #[derive(Debug, Clone, Default, Serialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct UpdateAccountProfileRequest {
        pub user_name: Option<String>,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
    }

    /// Where the token travels.
    #[derive(Debug, Clone)]
    pub enum Credential {
        /// `Authorization: Bearer <token>` (what the docs prefer).
        Bearer(String),
        /// `?access_token=<token>`, for clients that cannot set headers.
        Query(String),
    }

    /// `EnsureSuccessStatusCode` failed, or the transport did.
    #[derive(Debug)]
    pub enum ClientError {
        Status { status: u16, body: String },
        Transport(reqwest::Error),
    }

    impl From<reqwest::Error> for ClientError {
        fn from(e: reqwest::Error) -> Self {
            Self::Transport(e)
        }
    }

    pub struct Client {
        http: reqwest::Client,
        base_url: String,
        credential: Credential,
    }

    impl Client {
        pub fn new(base_url: &str, credential: Credential) -> Self {
            Self {
                http: reqwest::Client::new(),
                base_url: base_url.to_owned(),
                credential,
            }
        }

        fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
            let url = format!("{}/api/workspace/account/profile", self.base_url);
            match &self.credential {
                Credential::Bearer(token) => self
                    .http
                    .request(method, url)
                    .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}")),
                Credential::Query(token) => self
                    .http
                    .request(method, url)
                    .query(&[("access_token", token)]),
            }
        }

        async fn read(res: reqwest::Response) -> Result<AccountProfileResult, ClientError> {
            let status = res.status();
            let body = res.text().await?;
            if !status.is_success() {
                return Err(ClientError::Status {
                    status: status.as_u16(),
                    body,
                });
            }
            serde_json::from_str(&body).map_err(|e| ClientError::Status {
                status: status.as_u16(),
                body: format!("{e}: {body}"),
            })
        }

        /// `GET /api/workspace/account/profile`.
        pub async fn get_profile(&self) -> Result<AccountProfileResult, ClientError> {
            Self::read(self.request(reqwest::Method::GET).send().await?).await
        }

        /// `PUT /api/workspace/account/profile`.
        pub async fn update_profile(
            &self,
            request: &UpdateAccountProfileRequest,
        ) -> Result<AccountProfileResult, ClientError> {
            let body = serde_json::to_string(request).map_err(|e| ClientError::Status {
                status: 0,
                body: format!("cannot serialise the request: {e}"),
            })?;
            let res = self
                .request(reqwest::Method::PUT)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await?;
            Self::read(res).await
        }
    }
}

use moltaro::{Client, ClientError, Credential, UpdateAccountProfileRequest};

/// A regular user `username` (email `<username>@example.com`) with first and last name, and an
/// account-profile token.
async fn user(app: &TestApp, username: &str) -> (String, String) {
    let created = app
        .create_user_with(json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "first_name": "Grace",
            "last_name": "Hopper",
            "status": "active",
        }))
        .await
        .expect("create user");
    let id = created["id"].as_str().expect("user id").to_owned();
    let token = app
        .credentials(&id, "account-profile", false)
        .await
        .expect("token")
        .token;
    (id, token)
}

fn get(app: &TestApp, token: &str) -> reqwest::RequestBuilder {
    app.client.get(app.url(PATH)).bearer_auth(token)
}

fn put(app: &TestApp, token: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .put(app.url(PATH))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
}

/// The error of a 400/404 envelope at `index`.
fn error(reply: &Answer, index: usize) -> Value {
    reply.json()["Errors"][index].clone()
}

/// Asserts the keys of the JSON object `text` come in `order` (the wire order, which `Value`
/// does not keep).
fn assert_key_order(text: &str, order: &[&str]) {
    let positions: Vec<usize> = order
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys not in order {order:?}: {text}"
    );
}

fn assert_problem(reply: &Answer, status: u16, title: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.header_opt(header::CONTENT_TYPE), Some(JSON_UTF8));
    assert_eq!(reply.json()["status"], status);
    assert_eq!(reply.json()["title"], title);
    assert_eq!(reply.json()["instance"], PATH);
    assert_eq!(
        reply.json()["traceId"].as_str(),
        reply.header_opt(header::HeaderName::from_static("x-request-id")),
        "traceId is the request id"
    );
    assert_key_order(
        &reply.text,
        &["type", "title", "status", "detail", "instance", "traceId"],
    );
}

fn assert_failed_envelope(reply: &Answer, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.header_opt(header::CONTENT_TYPE), Some(JSON_UTF8));
    assert_eq!(reply.json()["Data"], Value::Null);
    assert_eq!(reply.json()["Warnings"], Value::Null);
    assert_eq!(reply.json()["Success"], false);
    assert_eq!(error(reply, 0)["Code"], code, "{}", reply.text);
    assert_key_order(&reply.text, &["Data", "Errors", "Warnings", "Success"]);
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".Data.UserId" => "[user id]",
            ".traceId" => "[request id]",
        })
    };
}

// Scenario 1: GET with `Authorization: Bearer` -> 200 and the full envelope.
#[tokio::test]
async fn s01_get_with_a_bearer_token_answers_the_envelope() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let reply = fetch(get(&app, &token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header_opt(header::CONTENT_TYPE), Some(JSON_UTF8));
    assert!(
        reply
            .header_opt(header::HeaderName::from_static("x-request-id"))
            .is_some()
    );
    assert_key_order(&reply.text, &["Data", "Errors", "Warnings", "Success"]);
    assert_key_order(
        &reply.text,
        &[
            "UserId",
            "UserName",
            "Email",
            "FirstName",
            "LastName",
            "UserType",
        ],
    );
    assert_eq!(
        reply.json(),
        json!({
            "Data": {"UserId": id, "UserName": "grace", "Email": "grace@example.com",
                     "FirstName": "Grace", "LastName": "Hopper", "UserType": 0},
            "Errors": null, "Warnings": null, "Success": true,
        })
    );
    snapshot!("s01_get", reply.json());
}

// Scenario 2: the same with `?access_token=` and no header.
#[tokio::test]
async fn s02_get_with_the_access_token_query_parameter() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let by_header = fetch(get(&app, &token)).await;
    let by_query = fetch(
        app.client
            .get(app.url(PATH))
            .query(&[("access_token", token.as_str())]),
    )
    .await;
    assert_eq!(by_query.status, 200, "{}", by_query.text);
    assert_eq!(by_query.json(), by_header.json());
}

// Scenario 3: a header token of A and a query token of B -> A (the header wins).
#[tokio::test]
async fn s03_the_header_wins_over_the_query() {
    let app = spawn_app().await;
    let (a, token_a) = user(&app, "alice").await;
    let (_, token_b) = user(&app, "bob").await;
    let reply = fetch(get(&app, &token_a).query(&[("access_token", token_b.as_str())])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["Data"]["UserId"], a);
    assert_eq!(reply.json()["Data"]["UserName"], "alice");
    // A bad header token is not rescued by a good query token either.
    let reply = fetch(
        app.client
            .get(app.url(PATH))
            .bearer_auth("not-a-token")
            .query(&[("access_token", token_b.as_str())]),
    )
    .await;
    assert_problem(&reply, 401, "Unauthorized");
}

// Scenario 4: no token -> 401 ProblemDetails and `WWW-Authenticate: Bearer`.
#[tokio::test]
async fn s04_no_token_is_a_401_problem_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for method in [Method::GET, Method::PUT] {
        let reply = fetch(
            app.client
                .request(method.clone(), app.url(PATH))
                .header(header::CONTENT_TYPE, "application/json")
                .body("{}"),
        )
        .await;
        assert_problem(&reply, 401, "Unauthorized");
        assert_eq!(
            reply.header_opt(header::WWW_AUTHENTICATE),
            Some("Bearer"),
            "{method}"
        );
        snapshot!("s04_no_token", reply.json());
    }
}

// Scenario 5: expired, forged, `alg: none`, and another surface's token -> 401 ProblemDetails.
#[tokio::test]
async fn s05_expired_forged_unsigned_and_foreign_tokens_are_401() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let user_id: UserId = id.parse().expect("uuid");
    let tokens = &app.state.tokens;
    let expired = tokens
        .issue(
            user_id,
            Surface::AccountProfile,
            None,
            Some(Duration::seconds(-60)),
        )
        .expect("issue")
        .token;
    let forged = Tokens::new(
        b"an-attacker-secret-an-attacker-s",
        tokens.issuer(),
        Duration::minutes(5),
    )
    .issue(user_id, Surface::AccountProfile, None, None)
    .expect("issue")
    .token;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    // base64url of {"alg":"none","typ":"JWT"}
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let foreign = app
        .credentials(&id, "me", false)
        .await
        .expect("token")
        .token;
    for (name, bad) in [
        ("expired", expired),
        ("forged", forged),
        ("alg_none", unsigned),
        ("foreign", foreign),
    ] {
        let reply = fetch(get(&app, &bad)).await;
        assert_problem(&reply, 401, "Unauthorized");
        let challenge = reply
            .header_opt(header::WWW_AUTHENTICATE)
            .unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
        snapshot!(format!("s05_{name}"), reply.json());
    }
}

// Scenario 6: a service account's API key -> 403 ProblemDetails, for GET and PUT, as Bearer and
// as `access_token`.
#[tokio::test]
async fn s06_service_account_api_keys_are_403() {
    let app = spawn_app().await;
    let robot = app
        .create_user_with(
            json!({"username": "robot", "kind": "service_account", "status": "active"}),
        )
        .await
        .expect("create service account");
    let robot_id = robot["id"].as_str().expect("id");
    let key = app
        .credentials(robot_id, "account-profile", true)
        .await
        .expect("key")
        .api_key
        .expect("an api key");
    assert!(key.starts_with("mt_"), "{key}");
    let body = json!({"FirstName": "Robo"});
    let requests = [
        ("get_bearer", get(&app, &key)),
        ("put_bearer", put(&app, &key, &body)),
        (
            "get_query",
            app.client
                .get(app.url(PATH))
                .query(&[("access_token", key.as_str())]),
        ),
        (
            "put_query",
            app.client
                .put(app.url(PATH))
                .query(&[("access_token", key.as_str())])
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        ),
    ];
    for (name, req) in requests {
        let reply = fetch(req).await;
        assert_problem(&reply, 403, "Forbidden");
        assert_eq!(
            reply.json()["type"],
            "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            "{name}"
        );
        snapshot!("s06_service_account_key", reply.json());
    }
    let user = app
        .state
        .gateway
        .user(robot_id.parse().expect("uuid"))
        .await
        .expect("user");
    assert_eq!(
        user.profile.first_name, None,
        "the refused PUT wrote nothing"
    );
}

// Scenario 6 (the other side of the rule): API keys of people, and tokens of service accounts,
// are accepted; the docs only refuse service accounts' keys.
#[tokio::test]
async fn s06_other_api_keys_and_service_account_tokens_are_accepted() {
    let app = spawn_app().await;
    let (id, _) = user(&app, "grace").await;
    let key = app
        .credentials(&id, "account-profile", true)
        .await
        .expect("key")
        .api_key
        .expect("key");
    let reply = fetch(get(&app, &key)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Data"]["UserName"], "grace");

    let robot = app
        .create_user_with(json!({"username": "robot", "kind": "service_account"}))
        .await
        .expect("create service account");
    let robot_id = robot["id"].as_str().expect("id");
    let token = app
        .credentials(robot_id, "account-profile", false)
        .await
        .expect("token")
        .token;
    let reply = fetch(get(&app, &token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Data"]["UserType"], 2);

    // A key of another surface is not a key here: it is refused as a token.
    let other = app
        .credentials(&id, "me", true)
        .await
        .expect("key")
        .api_key
        .expect("key");
    assert_problem(&fetch(get(&app, &other)).await, 401, "Unauthorized");
    // A revoked key is refused.
    let keys = app
        .state
        .gateway
        .api_keys_of(id.parse().expect("uuid"))
        .await
        .expect("keys");
    let mine = keys
        .iter()
        .find(|k| k.surface == Surface::AccountProfile)
        .expect("the key");
    app.state
        .gateway
        .revoke_api_key(&mine.id)
        .await
        .expect("revoke");
    assert_problem(&fetch(get(&app, &key)).await, 401, "Unauthorized");
}

// Scenario 7: a valid token of a deleted user -> 404 envelope `NotFound`.
#[tokio::test]
async fn s07_a_deleted_users_token_is_the_404_envelope() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let res = app
        .admin(Method::DELETE, &format!("/users/{id}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 204);
    for req in [
        get(&app, &token),
        put(&app, &token, &json!({"FirstName": "Ada"})),
    ] {
        let reply = fetch(req).await;
        assert_failed_envelope(&reply, 404, "NotFound");
        snapshot!("s07_deleted_user", reply.json());
    }
}

// Scenario 8: PUT with all four properties -> 200 with the new values; GET returns them.
#[tokio::test]
async fn s08_put_all_four_properties_then_get() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let body = json!({"UserName": "ada", "Email": "ada@example.org", "FirstName": "Ada", "LastName": "Lovelace"});
    let reply = fetch(put(&app, &token, &body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let expected = json!({"UserId": id, "UserName": "ada", "Email": "ada@example.org",
                          "FirstName": "Ada", "LastName": "Lovelace", "UserType": 0});
    assert_eq!(reply.json()["Data"], expected);
    assert_eq!(reply.json()["Warnings"], Value::Null);
    snapshot!("s08_put", reply.json());
    let read = fetch(get(&app, &token)).await;
    assert_eq!(read.json()["Data"], expected);
}

// Scenario 9: PUT `{"FirstName":"Ada"}` leaves the other properties unchanged.
#[tokio::test]
async fn s09_a_partial_put_changes_only_what_it_names() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"FirstName": "Ada"}))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &fetch(get(&app, &token)).await.json()["Data"];
    assert_eq!(data["FirstName"], "Ada");
    assert_eq!(data["UserName"], "grace");
    assert_eq!(data["Email"], "grace@example.com");
    assert_eq!(data["LastName"], "Hopper");
    snapshot!("s09_partial_put", reply.json());
    // null is "unchanged" too.
    let reply = fetch(put(&app, &token, &json!({"LastName": null, "Email": null}))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["Data"]["LastName"], "Hopper");
    assert_eq!(reply.json()["Data"]["Email"], "grace@example.com");
}

// Scenario 10: `""` clears `LastName`; `""` for `UserName` is 400 `Required`.
#[tokio::test]
async fn s10_empty_clears_names_but_not_the_username() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"LastName": ""}))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Data"]["LastName"], Value::Null);
    snapshot!("s10_last_name_cleared", reply.json());
    assert_eq!(
        fetch(get(&app, &token)).await.json()["Data"]["LastName"],
        Value::Null
    );
    let reply = fetch(put(&app, &token, &json!({"Email": ""}))).await;
    assert_eq!(reply.json()["Data"]["Email"], Value::Null);

    let reply = fetch(put(&app, &token, &json!({"UserName": ""}))).await;
    assert_failed_envelope(&reply, 400, "Required");
    assert_eq!(error(&reply, 0)["Field"], "UserName");
    snapshot!("s10_username_required", reply.json());
    assert_eq!(
        fetch(get(&app, &token)).await.json()["Data"]["UserName"],
        "grace"
    );
}

// Scenario 11: an invalid email -> 400 `InvalidFormat` on `Email`, Type 0, Severity 2.
#[tokio::test]
async fn s11_an_invalid_email_is_invalid_format() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"Email": "not-an-email"}))).await;
    assert_failed_envelope(&reply, 400, "InvalidFormat");
    let e = error(&reply, 0);
    assert_eq!(
        (&e["Field"], &e["Type"], &e["Severity"]),
        (&json!("Email"), &json!(0), &json!(2))
    );
    snapshot!("s11_invalid_email", reply.json());
}

// Scenario 12: a 257-character `FirstName` -> 400 `TooLong`, `Metadata` `{"MaxLength":"256"}`.
#[tokio::test]
async fn s12_a_too_long_first_name_is_too_long() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let reply = fetch(put(
        &app,
        &token,
        &json!({"FirstName": "a".repeat(257), "Email": "x@y.io"}),
    ))
    .await;
    assert_failed_envelope(&reply, 400, "TooLong");
    assert_eq!(error(&reply, 0)["Field"], "FirstName");
    assert_eq!(error(&reply, 0)["Metadata"], json!({"MaxLength": "256"}));
    snapshot!("s12_too_long", reply.json());
    let user = app
        .state
        .gateway
        .user(id.parse().expect("uuid"))
        .await
        .expect("user");
    assert_eq!(
        user.identity.email.as_deref(),
        Some("grace@example.com"),
        "no partial write"
    );
    // 256 is fine.
    let reply = fetch(put(&app, &token, &json!({"FirstName": "a".repeat(256)}))).await;
    assert_eq!(reply.status, 200);
}

// Scenario 13: `{"FirstName":42}` -> 400 `InvalidType` on `FirstName`.
#[tokio::test]
async fn s13_a_wrong_json_type_is_invalid_type() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"FirstName": 42}))).await;
    assert_failed_envelope(&reply, 400, "InvalidType");
    assert_eq!(error(&reply, 0)["Field"], "FirstName");
    snapshot!("s13_invalid_type", reply.json());
}

// Scenario 14: a truncated body -> 400 `InvalidJson`, `Data` null, `Success` false.
#[tokio::test]
async fn s14_malformed_json_is_invalid_json() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let req = app
        .client
        .put(app.url(PATH))
        .bearer_auth(&token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(r#"{"FirstName":"#);
    let reply = fetch(req).await;
    assert_failed_envelope(&reply, 400, "InvalidJson");
    snapshot!("s14_invalid_json", reply.json());
}

// Scenario 15: unknown properties are ignored.
#[tokio::test]
async fn s15_unknown_properties_are_ignored() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(
        &app,
        &token,
        &json!({"FirstName": "Ada", "Nickname": "x"}),
    ))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Data"]["FirstName"], "Ada");
    assert!(!reply.text.contains("Nickname"));
    snapshot!("s15_unknown_property_ignored", reply.json());
}

// Scenario 16: camelCase property names bind (case-insensitive, as ASP.NET Core does).
#[tokio::test]
async fn s16_camel_case_names_are_accepted() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(
        &app,
        &token,
        &json!({"firstName": "Ada", "userName": "ada"}),
    ))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Data"]["FirstName"], "Ada");
    assert_eq!(reply.json()["Data"]["UserName"], "ada");
    snapshot!("s16_camel_case", reply.json());
}

// Scenario 17: a taken `UserName` (or `Email`) -> 400 `Duplicate`.
#[tokio::test]
async fn s17_a_taken_username_or_email_is_a_duplicate() {
    let app = spawn_app().await;
    user(&app, "taken").await;
    let (_, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"UserName": "taken"}))).await;
    assert_failed_envelope(&reply, 400, "Duplicate");
    assert_eq!(error(&reply, 0)["Field"], "UserName");
    snapshot!("s17_duplicate_username", reply.json());
    let reply = fetch(put(&app, &token, &json!({"Email": "Taken@Example.com"}))).await;
    assert_failed_envelope(&reply, 400, "Duplicate");
    assert_eq!(error(&reply, 0)["Field"], "Email");
    assert_eq!(
        fetch(get(&app, &token)).await.json()["Data"]["UserName"],
        "grace"
    );
}

// Scenario 18: a non-JSON content type -> 415; a body over 64 KiB -> 413; both ProblemDetails.
#[tokio::test]
async fn s18_wrong_media_type_is_415_and_a_big_body_is_413() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let req = app
        .client
        .put(app.url(PATH))
        .bearer_auth(&token)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"FirstName":"Ada"}"#);
    let reply = fetch(req).await;
    assert_problem(&reply, 415, "Unsupported Media Type");
    snapshot!("s18_unsupported_media_type", reply.json());
    // No content type at all is the same.
    let req = app
        .client
        .put(app.url(PATH))
        .bearer_auth(&token)
        .body(r#"{"FirstName":"Ada"}"#);
    assert_problem(&fetch(req).await, 415, "Unsupported Media Type");

    let big = json!({"FirstName": "a".repeat(64 * 1024)});
    let reply = fetch(put(&app, &token, &big)).await;
    assert_problem(&reply, 413, "Payload Too Large");
    snapshot!("s18_payload_too_large", reply.json());
    assert_eq!(
        fetch(get(&app, &token)).await.json()["Data"]["FirstName"],
        "Grace"
    );
}

// Scenario 19: DELETE (and PATCH) -> 405 ProblemDetails with `Allow: GET, PUT`.
#[tokio::test]
async fn s19_other_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    for method in [Method::DELETE, Method::PATCH, Method::POST] {
        let reply = fetch(
            app.client
                .request(method.clone(), app.url(PATH))
                .bearer_auth(&token),
        )
        .await;
        assert_problem(&reply, 405, "Method Not Allowed");
        assert_eq!(
            reply.header_opt(header::ALLOW),
            Some("GET, PUT"),
            "{method}"
        );
        snapshot!(
            format!("s19_{}", method.as_str().to_lowercase()),
            reply.json()
        );
    }
    // Unknown paths under the prefix are this dialect's 404 ProblemDetails.
    let reply = fetch(app.client.get(app.url("/api/workspace/account/profiles"))).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["title"], "Not Found");
    assert_eq!(reply.json()["instance"], "/api/workspace/account/profiles");
    snapshot!("s19_unknown_route", reply.json());
}

// Scenario 20: a PUT here is seen by the snake `platform` surface (the same core user).
#[tokio::test]
async fn s20_a_change_here_is_seen_through_the_core_user() {
    let app = spawn_app().await;
    let (id, token) = user(&app, "grace").await;
    let reply = fetch(put(&app, &token, &json!({"FirstName": "Ada"}))).await;
    assert_eq!(reply.status, 200);
    let platform = app
        .credentials(&id, "platform", false)
        .await
        .expect("token")
        .token;
    let read = fetch(
        app.client
            .get(app.url("/api/v1/user"))
            .bearer_auth(&platform),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["first_name"], "Ada");
    assert_eq!(read.json()["username"], "grace");
}

/// A minimal JSON Schema check for the subset the OpenAPI 3.1 document uses: `$ref`, `oneOf`,
/// `type` (one or a list), `enum`, `format: int32`, `required`, `properties`,
/// `additionalProperties` and `items`. Returns every violation.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return violations(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let matching = options
            .iter()
            .filter(|o| violations(doc, o, value, at).is_empty())
            .count();
        return if matching == 1 {
            Vec::new()
        } else {
            vec![format!("{at}: matches {matching} of the oneOf options")]
        };
    }
    let mut out = Vec::new();
    let type_of = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = type_of(value);
    if !allowed.is_empty()
        && !allowed
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        out.push(format!("{at}: {actual} is not {allowed:?}"));
        return out;
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    if schema["format"] == "int32"
        && let Some(n) = value.as_i64()
        && i32::try_from(n).is_err()
    {
        out.push(format!("{at}: {n} is not an int32"));
    }
    if let Value::Object(members) = value {
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !members.contains_key(name) {
                out.push(format!("{at}: required {name} is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, member) in members {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => out.extend(violations(doc, s, member, &format!("{at}.{name}"))),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => out.push(format!("{at}: {name} is not allowed")),
                    s @ Value::Object(_) => {
                        out.extend(violations(doc, s, member, &format!("{at}.{name}")));
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            out.extend(violations(doc, item_schema, item, &format!("{at}[{i}]")));
        }
    }
    out
}

// Scenario 21: every 400/404 body validates against the documented envelope schema and every
// 401/403/405/413/415 body against ProblemDetails, as published in the dialect's OpenAPI document.
#[tokio::test]
async fn s21_every_error_body_matches_the_openapi_document() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/openapi/account-profile.json"))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("json document");
    let operation = &doc["paths"][PATH]["put"];
    let schema_for = |status: u16| -> Value {
        let response = &operation["responses"][status.to_string()]["content"]["application/json"];
        match response.get("schema") {
            Some(schema) => schema.clone(),
            // 405 is not an operation's response: it is the ProblemDetails of the document.
            None => json!({"$ref": "#/components/schemas/ProblemDetails"}),
        }
    };
    assert_eq!(
        schema_for(400)["$ref"],
        "#/components/schemas/AccountProfileResult"
    );
    assert_eq!(
        schema_for(403)["$ref"],
        "#/components/schemas/ProblemDetails"
    );

    let (id, token) = user(&app, "grace").await;
    let robot = app
        .create_user_with(json!({"username": "robot", "kind": "service_account"}))
        .await
        .expect("service account");
    let key = app
        .credentials(robot["id"].as_str().expect("id"), "account-profile", true)
        .await
        .expect("key")
        .api_key
        .expect("key");
    let (gone_id, gone_token) = user(&app, "gone").await;
    app.admin(Method::DELETE, &format!("/users/{gone_id}"))
        .send()
        .await
        .expect("delete");

    let long = "a".repeat(300);
    let replies = vec![
        fetch(get(&app, &token)).await,
        fetch(put(&app, &token, &json!({"LastName": " Hopper "}))).await,
        fetch(put(&app, &token, &json!({"Email": "nope"}))).await,
        fetch(put(
            &app,
            &token,
            &json!({"FirstName": long, "LastName": long}),
        ))
        .await,
        fetch(put(&app, &token, &json!({"FirstName": 42}))).await,
        fetch(put(&app, &token, &json!({"UserName": ""}))).await,
        fetch(
            app.client
                .put(app.url(PATH))
                .bearer_auth(&token)
                .header(header::CONTENT_TYPE, "application/json")
                .body("{"),
        )
        .await,
        fetch(get(&app, &gone_token)).await,
        fetch(app.client.get(app.url(PATH))).await,
        fetch(get(&app, &key)).await,
        fetch(app.client.delete(app.url(PATH)).bearer_auth(&token)).await,
        fetch(put(&app, &token, &json!({"FirstName": "a".repeat(70_000)}))).await,
        fetch(
            app.client
                .put(app.url(PATH))
                .bearer_auth(&token)
                .header(header::CONTENT_TYPE, "text/plain")
                .body("x"),
        )
        .await,
    ];
    let mut seen = Vec::new();
    for reply in &replies {
        let status = reply.status;
        seen.push(status);
        let problems = violations(&doc, &schema_for(status), &reply.json(), "$");
        assert!(problems.is_empty(), "{status} {}: {problems:?}", reply.text);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, [200, 400, 401, 403, 404, 405, 413, 415]);
    assert!(id.parse::<UserId>().is_ok());

    // The check can fail: bodies that break the documented shapes are caught.
    let envelope = schema_for(400);
    let broken =
        json!({"Data": null, "Errors": [{"Message": "x"}], "Warnings": null, "Success": false});
    assert!(
        !violations(&doc, &envelope, &broken, "$").is_empty(),
        "Code is required"
    );
    let broken = json!({"Data": {"UserId": "x", "UserName": "x", "UserType": 7}, "Errors": null, "Warnings": null, "Success": true});
    assert!(
        !violations(&doc, &envelope, &broken, "$").is_empty(),
        "UserType is 0, 1 or 2"
    );
    let broken =
        json!({"type": null, "title": null, "status": "403", "detail": null, "instance": null});
    assert!(
        !violations(&doc, &schema_for(403), &broken, "$").is_empty(),
        "status is an int32"
    );
}

// Warnings are real: the core's notices and this dialect's trimming, Severity 1, on a 200.
#[tokio::test]
async fn normalised_values_come_back_as_warnings() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let body = json!({"UserName": "  ada ", "Email": "Ada@Example.ORG", "FirstName": " Ada", "LastName": "Lovelace  "});
    let reply = fetch(put(&app, &token, &body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["Success"], true);
    assert_eq!(reply.json()["Errors"], Value::Null);
    let data = &reply.json()["Data"];
    assert_eq!(
        (
            &data["UserName"],
            &data["Email"],
            &data["FirstName"],
            &data["LastName"]
        ),
        (
            &json!("ada"),
            &json!("ada@example.org"),
            &json!("Ada"),
            &json!("Lovelace")
        )
    );
    let warnings: BTreeMap<String, String> = reply.json()["Warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            assert_eq!(w["Severity"], 1, "{w}");
            (
                w["Field"].as_str().unwrap_or("").to_owned(),
                w["Code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        BTreeMap::from([
            ("UserName".into(), "Trimmed".into()),
            ("Email".into(), "Normalized".into()),
            ("FirstName".into(), "Trimmed".into()),
            ("LastName".into(), "Trimmed".into()),
        ])
    );
    snapshot!("warnings", reply.json());
}

// Faults injected through the admin API render in this dialect's shapes.
#[tokio::test]
async fn injected_faults_are_problem_details() {
    let app = spawn_app().await;
    let (_, token) = user(&app, "grace").await;
    let res = app
        .admin(Method::POST, "/faults")
        .json(&json!({"surface": "account-profile", "status": 503, "retry_after": 3, "message": "maintenance", "count": 1}))
        .send()
        .await
        .expect("add fault");
    assert_eq!(res.status(), 201);
    let reply = fetch(get(&app, &token)).await;
    assert_problem(&reply, 503, "Service Unavailable");
    assert_eq!(reply.header_opt(header::RETRY_AFTER), Some("3"));
    assert_eq!(reply.json()["detail"], "maintenance");
    snapshot!("fault_503", reply.json());
    assert_eq!(
        fetch(get(&app, &token)).await.status,
        200,
        "the rule fired once"
    );
}

// The documented client flows (header and query credentials) on every backend: the main
// read/write path on SQLite and, when configured, PostgreSQL.
#[tokio::test]
async fn documented_client_flows_on_every_backend() {
    for db in TestDb::all() {
        let backend = db.backend();
        let app = spawn_app_on(db).await.expect("start the gateway");
        let (id, token) = user(&app, "grace").await;
        for credential in [
            Credential::Bearer(token.clone()),
            Credential::Query(token.clone()),
        ] {
            let client = Client::new(&app.base_url, credential.clone());
            let read = client.get_profile().await.expect("get profile");
            assert!(read.success, "{backend}");
            let profile = read.data.expect("data");
            assert_eq!(profile.user_id.as_deref(), Some(id.as_str()), "{backend}");
            assert_eq!(profile.user_type, 0);

            let written = client
                .update_profile(&UpdateAccountProfileRequest {
                    first_name: Some("Ada".into()),
                    last_name: Some(" Lovelace ".into()),
                    ..Default::default()
                })
                .await
                .expect("update profile");
            let profile = written.data.expect("data");
            assert_eq!(profile.first_name.as_deref(), Some("Ada"), "{backend}");
            assert_eq!(profile.last_name.as_deref(), Some("Lovelace"), "{backend}");
            assert_eq!(
                profile.user_name.as_deref(),
                Some("grace"),
                "nulls leave values unchanged"
            );
            let warning = &written.warnings.expect("the trimmed LastName is a warning")[0];
            assert_eq!(
                (
                    warning.code.as_deref(),
                    warning.field.as_deref(),
                    warning.severity
                ),
                (Some("Trimmed"), Some("LastName"), Some(1))
            );
            assert_eq!(client.get_profile().await.expect("get").data, Some(profile));

            // EnsureSuccessStatusCode throws on the documented 400.
            let refused = client
                .update_profile(&UpdateAccountProfileRequest {
                    email: Some("not-an-email".into()),
                    ..Default::default()
                })
                .await;
            match refused {
                Err(ClientError::Status { status: 400, body }) => {
                    assert!(body.contains("\"InvalidFormat\""), "{backend}: {body}");
                }
                Err(ClientError::Transport(e)) => panic!("{backend}: transport error {e}"),
                other => panic!("{backend}: expected a 400, got {other:?}"),
            }
            client
                .update_profile(&UpdateAccountProfileRequest {
                    first_name: Some("Grace".into()),
                    last_name: Some("Hopper".into()),
                    ..Default::default()
                })
                .await
                .expect("restore");
        }
        let conflict = user(&app, "taken").await;
        let client = Client::new(&app.base_url, Credential::Bearer(token));
        let duplicate = client
            .update_profile(&UpdateAccountProfileRequest {
                user_name: Some("taken".into()),
                ..Default::default()
            })
            .await;
        assert!(
            matches!(&duplicate, Err(ClientError::Status { status: 400, body }) if body.contains("Duplicate")),
            "{backend}: {duplicate:?} (other user {})",
            conflict.0
        );
    }
}
