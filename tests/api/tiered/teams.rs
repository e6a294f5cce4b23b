//! The teams family of the tiered dialect (issue #16): `/api/v1/teams`, `/team-memberships` and
//! `/team-permissions`, and the personal team on sign-up. Cases ported from the vendor's e2e
//! files name their source (`apps/e2e/tests/backend/endpoints/api/v1/...` in
//! `stack-auth/stack-auth`) and compare whole bodies with ids and times stripped as the vendor's
//! snapshot serializer does. The vendor's helpers are mirrored by [`Vendor`]: `Auth.fastSignUp`
//! (server `POST /users`, then `POST /auth/sessions`), `Team.create` (server `POST /teams`),
//! `Team.addMember`, and requests carrying the current user's access token.

use gateway_tests::http::{Answer, fetch};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::{Fixture, Set, TieredAnswer, fixture_on, run_sdk, sdk_env};

/// The vendor's snapshot serializer, for the parts these cases show: UUIDs (alone or inside a
/// text) become `<stripped UUID>`, `created_at_millis` its placeholder.
pub(super) fn stripped(v: &Value) -> Value {
    let uuid = regex::Regex::new(
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    )
    .expect("regex");
    match v {
        Value::String(s) => Value::String(uuid.replace_all(s, "<stripped UUID>").into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(stripped).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k == "created_at_millis" && v.is_number() {
                        json!(format!("<stripped field '{k}'>"))
                    } else {
                        stripped(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Asserts an answer as the vendor's snapshot shows it: status and body (JSON, or a plain text).
pub(super) fn expect(a: &Answer, status: u16, body: Value) {
    assert_eq!(a.status, status, "{}", a.text);
    match &body {
        Value::String(text) => assert_eq!(&stripped(&json!(a.text)), &json!(text)),
        _ => assert_eq!(stripped(&a.expect_json()), body, "{}", a.text),
    }
    if let Some(code) = body.get("code").and_then(Value::as_str) {
        a.known(status, code);
    }
}

/// The server read object of a new team named `name` without metadata, as snapshots show it.
fn server_team(name: &str) -> Value {
    json!({
        "client_metadata": null, "client_read_only_metadata": null,
        "created_at_millis": "<stripped field 'created_at_millis'>", "display_name": name,
        "id": "<stripped UUID>", "profile_image_url": null, "server_metadata": null,
    })
}

/// The client read object of a team.
fn client_team(name: &str) -> Value {
    json!({
        "client_metadata": null, "client_read_only_metadata": null, "display_name": name,
        "id": "<stripped UUID>", "profile_image_url": null,
    })
}

/// The vendor's e2e context: a project and the current user's session.
pub(super) struct Vendor {
    pub(super) f: Fixture,
    pub(super) access: Option<String>,
}

impl Vendor {
    /// A fresh project (`Project.createAndSwitch`) with `settings`; no user signed in.
    pub(super) async fn new(settings: Value) -> Self {
        Self::on(gateway_tests::spawn_app().await, settings).await
    }

    /// As [`Vendor::new`] on a gateway the test started.
    pub(super) async fn on(app: gateway_tests::TestApp, settings: Value) -> Self {
        let mut body = json!({"display_name": "Teams"});
        body.as_object_mut()
            .unwrap()
            .extend(settings.as_object().unwrap().clone());
        let f = fixture_on(app, body).await;
        Self { f, access: None }
    }

    /// `Auth.fastSignUp(body)`: a user and a session, which becomes the current one.
    pub(super) async fn fast_sign_up(&mut self, body: Value) -> String {
        let a = fetch(self.f.server(Method::POST, "/api/v1/users").json(&body)).await;
        assert_eq!(a.status, 201, "{}", a.text);
        let user_id = a.expect_json()["id"].as_str().unwrap().to_owned();
        let a = fetch(self.f.server(Method::POST, "/api/v1/auth/sessions").json(
            &json!({"user_id": user_id, "expires_in_millis": 31_536_000_000_i64, "is_impersonation": false}),
        ))
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        self.access = Some(a.expect_json()["access_token"].as_str().unwrap().to_owned());
        user_id
    }

    /// A request of `access` type carrying the current user's token, if any.
    pub(super) fn req(&self, access: &str, method: Method, path: &str) -> RequestBuilder {
        let req = match access {
            "client" => self
                .f
                .bare(method, path)
                .set("x-stack-access-type", "client")
                .set("x-stack-project-id", &self.f.project.id)
                .set("x-stack-publishable-client-key", &self.f.project.pck),
            _ => self.f.server(method, path),
        };
        match &self.access {
            Some(token) => req.set("x-stack-access-token", token),
            None => req,
        }
    }

    pub(super) async fn send(
        &self,
        access: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let req = self.req(access, method, path);
        fetch(match body {
            Some(b) => req.json(&b),
            None => req,
        })
        .await
    }

    /// `Team.create` (server): 201 with the server shape; the team id.
    async fn create_team(&self, body: Value) -> String {
        let a = self
            .send("server", Method::POST, "/api/v1/teams", Some(body))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.expect_json()["id"].as_str().unwrap().to_owned()
    }

    /// `Team.createWithCurrentAsCreator` (server, `creator_user_id: "me"`).
    async fn create_team_as_me(&self) -> String {
        self.create_team(json!({"display_name": "New Team", "creator_user_id": "me"}))
            .await
    }

    /// `Team.addMember` (server).
    async fn add_member(&self, team: &str, user: &str) {
        let a = self
            .send(
                "server",
                Method::POST,
                &format!("/api/v1/team-memberships/{team}/{user}"),
                Some(json!({})),
            )
            .await;
        expect(
            &a,
            201,
            json!({"team_id": "<stripped UUID>", "user_id": "<stripped UUID>"}),
        );
    }

    async fn grant(&self, team: &str, user: &str, permission: &str) -> Answer {
        self.send(
            "server",
            Method::POST,
            &format!("/api/v1/team-permissions/{team}/{user}/{permission}"),
            Some(json!({})),
        )
        .await
    }
}

const CLIENT_LIST_OWN: &str = "Client can only list teams for their own user. user_id must be either \"me\" or the ID of the current user";

// teams.test.ts "is not allowed to list all the teams in a project on the client", "lists all
// the teams in a project with server access".
#[tokio::test]
async fn teams_listing_rules() {
    let mut v = Vendor::new(json!({})).await;
    v.fast_sign_up(json!({})).await;
    let a = v.send("client", Method::GET, "/api/v1/teams", None).await;
    expect(&a, 403, json!(CLIENT_LIST_OWN));
    v.create_team(json!({"display_name": "Other"})).await;
    let a = v.send("server", Method::GET, "/api/v1/teams", None).await;
    assert_eq!(a.status, 200);
    let body = a.expect_json();
    assert_eq!(body["is_paginated"], false);
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "every team");
}

// teams.test.ts "lists all the teams the current user has on the client" and "... on the server".
#[tokio::test]
async fn a_new_user_has_no_teams() {
    let mut v = Vendor::new(json!({})).await;
    let user = v.fast_sign_up(json!({})).await;
    for access in ["client", "server"] {
        for who in ["me", user.as_str()] {
            let a = v
                .send(
                    access,
                    Method::GET,
                    &format!("/api/v1/teams?user_id={who}"),
                    None,
                )
                .await;
            expect(&a, 200, json!({"is_paginated": false, "items": []}));
        }
    }
}

// teams.test.ts "creates a team on the client" (server access, as the vendor's helper),
// "creates a team on the server", "... without a creator", "... with a specific creator user
// id", "does not create a team when the creator user id does not exist".
#[tokio::test]
async fn teams_are_created_with_or_without_a_creator() {
    let mut v = Vendor::new(json!({})).await;
    let user = v.fast_sign_up(json!({})).await;
    for body in [
        json!({"display_name": "New Team", "creator_user_id": "me"}),
        json!({"display_name": "New Team"}),
        json!({"display_name": "New Team", "creator_user_id": user}),
    ] {
        let a = v
            .send("server", Method::POST, "/api/v1/teams", Some(body))
            .await;
        expect(&a, 201, server_team("New Team"));
    }
    let a = v
        .send("server", Method::GET, "/api/v1/teams?user_id=me", None)
        .await;
    assert_eq!(
        a.expect_json()["items"].as_array().unwrap().len(),
        2,
        "the user created two of the three"
    );
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "New Team", "creator_user_id": "12345678-1234-4234-9234-123456789012"})),
        )
        .await;
    expect(
        &a,
        404,
        json!({"code": "USER_NOT_FOUND", "error": "User not found."}),
    );
    let a = v.send("server", Method::GET, "/api/v1/teams", None).await;
    assert_eq!(
        a.expect_json()["items"].as_array().unwrap().len(),
        3,
        "no team is created for a creator that does not exist"
    );
}

// teams.test.ts "does not allow creating a team when not signed in" and "does not allow creating
// teams on the client for a different creator"; the project switch (§1.2 of the notes).
#[tokio::test]
async fn client_team_creation_rules() {
    let mut v = Vendor::new(json!({"client_team_creation_enabled": true})).await;
    let first = v.fast_sign_up(json!({})).await;
    let signed_in = v.access.take();
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "New Team", "creator_user_id": first})),
        )
        .await;
    expect(
        &a,
        401,
        json!({"code": "USER_AUTHENTICATION_REQUIRED", "error": "User authentication required for this endpoint."}),
    );
    v.access = signed_in;
    v.fast_sign_up(json!({})).await;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "New Team", "creator_user_id": first})),
        )
        .await;
    expect(
        &a,
        403,
        json!(
            "You cannot create a team as a user that is not yourself. Make sure you set the creator_user_id to 'me'."
        ),
    );
    // Allowed: the client is its team's creator, with the client shape.
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "Mine"})),
        )
        .await;
    expect(&a, 201, client_team("Mine"));
    let a = v
        .send("client", Method::GET, "/api/v1/teams?user_id=me", None)
        .await;
    expect(
        &a,
        200,
        json!({"is_paginated": false, "items": [client_team("Mine")]}),
    );
    // An http(s) image is a server's choice only.
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "X", "profile_image_url": "https://example.com/a.png"})),
        )
        .await;
    expect(&a, 400, json!("Invalid profile image URL"));
    // A project that does not allow it.
    let mut off = Vendor::new(json!({})).await;
    off.fast_sign_up(json!({})).await;
    let a = off
        .send(
            "client",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "New Team"})),
        )
        .await;
    expect(
        &a,
        403,
        json!("Client team creation is disabled for this project"),
    );
}

// teams.test.ts "gets a specific team on the client", "gets a specific team that the user is not
// part of on the client", "gets a team that the user is not part of on the server", "should not
// be allowed to get a team that the user is not part of on the client".
#[tokio::test]
async fn reading_a_team() {
    let mut v = Vendor::new(json!({})).await;
    v.fast_sign_up(json!({})).await;
    let team = v.create_team_as_me().await;
    let path = format!("/api/v1/teams/{team}");
    expect(
        &v.send("client", Method::GET, &path, None).await,
        200,
        client_team("New Team"),
    );
    v.fast_sign_up(json!({})).await;
    expect(
        &v.send("client", Method::GET, &path, None).await,
        404,
        json!({
            "code": "TEAM_MEMBERSHIP_NOT_FOUND",
            "details": {"team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> is not found in team <stripped UUID>.",
        }),
    );
    expect(
        &v.send("server", Method::GET, &path, None).await,
        200,
        server_team("New Team"),
    );
    // Not in the vendor's snapshots (notes §8.1, derived): a team that does not exist.
    let ghost = "/api/v1/teams/12345678-1234-4234-9234-123456789012";
    expect(
        &v.send("server", Method::GET, ghost, None).await,
        404,
        json!({"code": "TEAM_NOT_FOUND", "details": {"team_id": "<stripped UUID>"}, "error": "Team <stripped UUID> not found."}),
    );
    let a = v.send("client", Method::GET, ghost, None).await;
    a.known(404, "TEAM_MEMBERSHIP_NOT_FOUND");
    let a = v
        .send("server", Method::GET, "/api/v1/teams/not-a-uuid", None)
        .await;
    let body = a.known(400, "SCHEMA_ERROR");
    assert_eq!(
        body["error"],
        "Request validation failed on GET /api/v1/teams/not-a-uuid:\n  - params.team_id must be a valid UUID"
    );
}

// teams.test.ts "updates a team on the client", "can set a team's display name to the empty
// string", "updates team client metadata on the client", "should not be able to update team
// client read only metadata on the client", "should not update a team without permission on
// the client", "updates team client read only metadata on the server".
#[tokio::test]
async fn updating_a_team() {
    let mut v = Vendor::new(json!({})).await;
    let user = v.fast_sign_up(json!({})).await;
    let team = v.create_team_as_me().await;
    let path = format!("/api/v1/teams/{team}");
    v.grant(&team, &user, "$update_team").await;
    let patch = |body: Value| v.send("client", Method::PATCH, &path, Some(body));
    expect(
        &patch(json!({"display_name": "My Updated Team"})).await,
        200,
        client_team("My Updated Team"),
    );
    expect(
        &patch(json!({"display_name": ""})).await,
        200,
        client_team(""),
    );
    let mut with_metadata = client_team("");
    with_metadata["client_metadata"] = json!({"test": "test-value"});
    expect(
        &patch(json!({"client_metadata": {"test": "test-value"}})).await,
        200,
        with_metadata,
    );
    let message = "Request validation failed on PATCH /api/v1/teams/<stripped UUID>:\n  - body contains unknown properties: client_read_only_metadata";
    expect(
        &patch(json!({"client_read_only_metadata": {"test": "test-value"}})).await,
        400,
        json!({"code": "SCHEMA_ERROR", "details": {"message": message}, "error": message}),
    );
    let a = v
        .send(
            "server",
            Method::PATCH,
            &path,
            Some(json!({"client_read_only_metadata": {"test": "test-value"}, "server_metadata": [1]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.expect_json();
    assert_eq!(
        body["client_read_only_metadata"],
        json!({"test": "test-value"})
    );
    assert_eq!(body["server_metadata"], json!([1]));

    // Without the permission: a plain member.
    let other = v.create_team(json!({"display_name": "New Team"})).await;
    v.add_member(&other, &user).await;
    let a = v
        .send(
            "client",
            Method::PATCH,
            &format!("/api/v1/teams/{other}"),
            Some(json!({"display_name": "My Updated Team"})),
        )
        .await;
    expect(
        &a,
        401,
        json!({
            "code": "TEAM_PERMISSION_REQUIRED",
            "details": {"permission_id": "$update_team", "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> does not have permission $update_team in team <stripped UUID>.",
        }),
    );
}

// teams.test.ts "deletes a team on the client", "should not delete a team without permission on
// the client", "deletes a team on the server"; deleting the selected team unselects it.
#[tokio::test]
async fn deleting_a_team() {
    let mut v = Vendor::new(json!({})).await;
    let user = v.fast_sign_up(json!({})).await;
    let plain = v.create_team(json!({"display_name": "New Team"})).await;
    v.add_member(&plain, &user).await;
    let a = v
        .send(
            "client",
            Method::DELETE,
            &format!("/api/v1/teams/{plain}"),
            None,
        )
        .await;
    expect(
        &a,
        401,
        json!({
            "code": "TEAM_PERMISSION_REQUIRED",
            "details": {"permission_id": "$delete_team", "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> does not have permission $delete_team in team <stripped UUID>.",
        }),
    );
    // The creator holds team_admin, which contains $delete_team.
    let owned = v.create_team_as_me().await;
    let a = v
        .send(
            "client",
            Method::PATCH,
            "/api/v1/users/me",
            Some(json!({"selected_team_id": owned})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = v
        .send(
            "client",
            Method::DELETE,
            &format!("/api/v1/teams/{owned}"),
            None,
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await;
    let me = me.expect_json();
    assert_eq!(
        (&me["selected_team_id"], &me["selected_team"]),
        (&Value::Null, &Value::Null)
    );
    let a = v
        .send(
            "server",
            Method::DELETE,
            &format!("/api/v1/teams/{plain}"),
            None,
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    let a = v
        .send(
            "server",
            Method::GET,
            &format!("/api/v1/teams/{plain}"),
            None,
        )
        .await;
    a.known(404, "TEAM_NOT_FOUND");
    let a = v
        .send("server", Method::GET, "/api/v1/teams?user_id=me", None)
        .await;
    expect(&a, 200, json!({"is_paginated": false, "items": []}));
}

// team-memberships.test.ts "is not allowed to add user to team on client", "does not allow
// adding a user to a team if the user is already a member of the team", "does not allow adding a
// user that doesn't exist to a team", "allows leaving team", "removes user from team on the
// client".
#[tokio::test]
async fn memberships() {
    let mut v = Vendor::new(json!({})).await;
    let first = v.fast_sign_up(json!({})).await;
    let team = v.create_team_as_me().await;
    let add = format!("/api/v1/team-memberships/{team}/{first}");
    expect(
        &v.send("client", Method::POST, &add, Some(json!({}))).await,
        401,
        json!({
            "code": "INSUFFICIENT_ACCESS_TYPE",
            "details": {"actual_access_type": "client", "allowed_access_types": ["server", "admin"]},
            "error": "The x-stack-access-type header must be 'server' or 'admin', but was 'client'.",
        }),
    );
    expect(
        &v.send("server", Method::POST, &add, Some(json!({}))).await,
        409,
        json!({"code": "TEAM_MEMBERSHIP_ALREADY_EXISTS", "error": "Team membership already exists."}),
    );
    let ghost = format!("/api/v1/team-memberships/{team}/12345678-1234-4234-9234-123456789012");
    expect(
        &v.send("server", Method::POST, &ghost, Some(json!({})))
            .await,
        404,
        json!({"code": "USER_NOT_FOUND", "error": "User not found."}),
    );
    let leave = format!("/api/v1/team-memberships/{team}/me");
    expect(
        &v.send("client", Method::DELETE, &leave, Some(json!({})))
            .await,
        200,
        json!({"success": true}),
    );
    expect(
        &v.send("client", Method::DELETE, &leave, Some(json!({})))
            .await,
        404,
        json!({
            "code": "TEAM_MEMBERSHIP_NOT_FOUND",
            "details": {"team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> is not found in team <stripped UUID>.",
        }),
    );

    // Removing someone else takes $remove_members.
    let second = v.fast_sign_up(json!({})).await;
    let shared = v.create_team(json!({"display_name": "New Team"})).await;
    v.add_member(&shared, &first).await;
    v.add_member(&shared, &second).await;
    let remove_first = format!("/api/v1/team-memberships/{shared}/{first}");
    expect(
        &v.send("client", Method::DELETE, &remove_first, Some(json!({})))
            .await,
        401,
        json!({
            "code": "TEAM_PERMISSION_REQUIRED",
            "details": {"permission_id": "$remove_members", "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> does not have permission $remove_members in team <stripped UUID>.",
        }),
    );
    assert_eq!(
        v.grant(&shared, &second, "$remove_members").await.status,
        201
    );
    expect(
        &v.send("client", Method::DELETE, &remove_first, Some(json!({})))
            .await,
        200,
        json!({"success": true}),
    );
}

// team-memberships.test.ts "creates a team on the server and adds a different user as the
// creator"; users.test.ts "should be able to update selected team" (its rules).
#[tokio::test]
async fn creator_and_selected_team() {
    let mut v = Vendor::new(json!({})).await;
    let creator = v.fast_sign_up(json!({})).await;
    let creator_token = v.access.clone();
    v.fast_sign_up(json!({})).await;
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/teams",
            Some(json!({"display_name": "My Team", "creator_user_id": creator})),
        )
        .await;
    expect(&a, 201, server_team("My Team"));
    let team = a.expect_json()["id"].as_str().unwrap().to_owned();
    v.access = creator_token;
    expect(
        &v.send("client", Method::GET, "/api/v1/teams?user_id=me", None)
            .await,
        200,
        json!({"is_paginated": false, "items": [client_team("My Team")]}),
    );
    // Creating a team does not select it; selecting it shows it on the user; leaving unselects.
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(me.expect_json()["selected_team"], Value::Null);
    let a = v
        .send(
            "client",
            Method::PATCH,
            "/api/v1/users/me",
            Some(json!({"selected_team_id": team})),
        )
        .await;
    let body = a.expect_json();
    assert_eq!(body["selected_team_id"], json!(team));
    assert_eq!(stripped(&body["selected_team"]), client_team("My Team"));
    let leave = format!("/api/v1/team-memberships/{team}/me");
    v.send("client", Method::DELETE, &leave, None).await;
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await;
    let me = me.expect_json();
    assert_eq!(
        (&me["selected_team_id"], &me["selected_team"]),
        (&Value::Null, &Value::Null)
    );
}

// team-memberships.test.ts "should give team creator default permissions"; the expansions of
// notes §3.1 (derived from the vendor's source for a new project).
#[tokio::test]
async fn permissions_of_creators_and_members() {
    let mut v = Vendor::new(json!({})).await;
    let member = v.fast_sign_up(json!({})).await;
    let creator = v.fast_sign_up(json!({})).await;
    let team = v.create_team_as_me().await;
    v.add_member(&team, &member).await;
    let vr = &v;
    let list = |user: &str, extra: &str| {
        let path = format!("/api/v1/team-permissions?team_id={team}&user_id={user}{extra}");
        async move { vr.send("server", Method::GET, &path, None).await }
    };
    let items = |ids: &[&str]| json!({"is_paginated": false, "items": ids.iter().map(|id| json!({"id": id, "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"})).collect::<Vec<_>>()});
    expect(&list(&creator, "").await, 200, items(&["team_admin"]));
    expect(&list(&member, "").await, 200, items(&["team_member"]));
    expect(
        &list(&creator, "&recursive=true").await,
        200,
        items(&[
            "$delete_team",
            "$invite_members",
            "$manage_api_keys",
            "$read_members",
            "$remove_members",
            "$update_team",
            "team_admin",
        ]),
    );
    expect(
        &list(&member, "&recursive=true").await,
        200,
        items(&["$invite_members", "$read_members", "team_member"]),
    );
    expect(
        &list(&member, "&recursive=true&permission_id=$read_members").await,
        200,
        items(&["$read_members"]),
    );
    // Clients list their own only.
    let a = v
        .send(
            "client",
            Method::GET,
            "/api/v1/team-permissions?user_id=me",
            None,
        )
        .await;
    expect(&a, 200, items(&["team_admin"]));
    let a = v
        .send("client", Method::GET, "/api/v1/team-permissions", None)
        .await;
    expect(
        &a,
        403,
        json!(
            "Client can only list permissions for their own user. user_id must be either \"me\" or the ID of the current user"
        ),
    );
    // Grant, again (idempotent), revoke; unknown ids and held-through-team_admin ones.
    for _ in 0..2 {
        let a = v.grant(&team, &member, "$update_team").await;
        expect(
            &a,
            201,
            json!({"id": "$update_team", "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"}),
        );
    }
    expect(
        &list(&member, "").await,
        200,
        items(&["$update_team", "team_member"]),
    );
    expect(
        &v.grant(&team, &member, "nope").await,
        404,
        json!({"code": "PERMISSION_NOT_FOUND", "details": {"permission_id": "nope"}, "error": "Permission \"nope\" not found. Make sure you created it on the dashboard."}),
    );
    let revoke = |user: &str, p: &str| {
        let path = format!("/api/v1/team-permissions/{team}/{user}/{p}");
        async move { vr.send("server", Method::DELETE, &path, None).await }
    };
    expect(
        &revoke(&member, "$update_team").await,
        200,
        json!({"success": true}),
    );
    expect(
        &revoke(&creator, "$update_team").await,
        401,
        json!({
            "code": "TEAM_PERMISSION_NOT_FOUND",
            "details": {"permission_id": "$update_team", "team_id": "<stripped UUID>", "user_id": "<stripped UUID>"},
            "error": "User <stripped UUID> does not have permission $update_team in team <stripped UUID>.",
        }),
    );
    let a = v.grant(&team, &member, "$nope").await;
    let body = a.known(400, "SCHEMA_ERROR");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("  - params.permission_id Invalid system permission"),
        "{body}"
    );
}

// notes §4: the personal team on sign-up (users.test.ts "should be able to create a user" shows
// the 201 without it; the internal project's snapshots show "<name>'s Team" selected after).
#[tokio::test]
async fn personal_teams_on_sign_up() {
    let mut v = Vendor::new(json!({"create_team_on_sign_up": true})).await;
    let a = v
        .send(
            "server",
            Method::POST,
            "/api/v1/users",
            Some(json!({"display_name": "Test User"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let created = a.expect_json();
    assert_eq!(
        created["selected_team"],
        Value::Null,
        "the vendor's 201 precedes the team"
    );
    let id = created["id"].as_str().unwrap();
    let later = v
        .send("server", Method::GET, &format!("/api/v1/users/{id}"), None)
        .await
        .expect_json();
    assert_eq!(
        stripped(&later["selected_team"]),
        server_team("Test User's Team")
    );
    let perms = v
        .send(
            "server",
            Method::GET,
            &format!("/api/v1/team-permissions?user_id={id}"),
            None,
        )
        .await
        .expect_json();
    assert_eq!(
        perms["items"][0]["id"], "team_admin",
        "the user is its creator"
    );

    // Password sign-up: named after the email. Anonymous: "Personal Team", renamed on upgrade.
    let email = format!("p{}@example.com", uuid::Uuid::new_v4().simple());
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/sign-up",
            Some(json!({"email": email, "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    v.access = Some(a.expect_json()["access_token"].as_str().unwrap().to_owned());
    let me = v
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(
        me["selected_team"]["display_name"],
        format!("{email}'s Team")
    );

    v.access = None;
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/anonymous/sign-up",
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    v.access = Some(a.expect_json()["access_token"].as_str().unwrap().to_owned());
    let me = |v: &Vendor| {
        v.req("client", Method::GET, "/api/v1/users/me")
            .set("x-stack-allow-anonymous-user", "true")
    };
    let anon = fetch(me(&v)).await.expect_json();
    assert_eq!(anon["selected_team"]["display_name"], "Personal Team");
    let email = format!("u{}@example.com", uuid::Uuid::new_v4().simple());
    let a = fetch(
        v.req("client", Method::POST, "/api/v1/auth/password/sign-up")
            .set("x-stack-allow-anonymous-user", "true")
            .json(&json!({"email": email, "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    v.access = Some(a.expect_json()["access_token"].as_str().unwrap().to_owned());
    let upgraded = fetch(me(&v)).await.expect_json();
    assert_eq!(
        upgraded["selected_team"]["display_name"],
        format!("{email}'s Team")
    );

    // Off (a new vendor project's default): no team.
    let mut off = Vendor::new(json!({})).await;
    off.fast_sign_up(json!({})).await;
    let me = off
        .send("client", Method::GET, "/api/v1/users/me", None)
        .await
        .expect_json();
    assert_eq!(me["selected_team"], Value::Null);
}

// Scenario 40: @stackframe/js 2.8.108 unmodified: user.createTeam, user.listTeams, team.update,
// serverTeam.addUser, user.leaveTeam and serverTeam.delete.
#[tokio::test]
async fn sdk_teams_scenario() {
    let v = Vendor::new(json!({"client_team_creation_enabled": true})).await;
    let f = &v.f;
    let other = fetch(f.server(Method::POST, "/api/v1/users").json(&json!({}))).await;
    let other = other.expect_json()["id"].as_str().unwrap().to_owned();
    let mut env = sdk_env(f, &f.session);
    env.push(("SECRET_SERVER_KEY", f.project.ssk.clone()));
    env.push(("OTHER_USER_ID", other));
    run_sdk("teams", env).await;
}

// One team is one record in every dialect that shows teams: a team made, renamed and left on the
// tiered surface is the platform surface's `teams[]` entry (owner through `creator_user_id`).
#[tokio::test]
async fn a_tiered_team_is_the_platform_users_team() {
    let v = Vendor::new(json!({})).await;
    let f = &v.f;
    let team = v
        .create_team(json!({"display_name": "Shared", "creator_user_id": f.user_id}))
        .await;
    let platform = f
        .app
        .credentials(&f.user_id, "platform", false)
        .await
        .unwrap();
    let teams = || async {
        let a = fetch(
            f.bare(Method::GET, "/api/v1/user")
                .bearer_auth(&platform.token),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.expect_json()["teams"].clone()
    };
    let shown = teams().await;
    assert_eq!(shown.as_array().map(Vec::len), Some(1), "{shown}");
    assert_eq!(
        (
            &shown[0]["team_id"],
            &shown[0]["team_name"],
            &shown[0]["role"]
        ),
        (&json!(team), &json!("Shared"), &json!("owner"))
    );
    let renamed = v
        .send(
            "server",
            Method::PATCH,
            &format!("/api/v1/teams/{team}"),
            Some(json!({"display_name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(teams().await[0]["team_name"], "Renamed");
    let left = v
        .send(
            "server",
            Method::DELETE,
            &format!("/api/v1/team-memberships/{team}/{}", f.user_id),
            None,
        )
        .await;
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(teams().await, json!([]));
}

/// `GET /users?team_id=<team>` (server): the page.
async fn team_users(v: &Vendor, team: &str) -> Value {
    let a = v
        .send(
            "server",
            Method::GET,
            &format!("/api/v1/users?team_id={team}"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.expect_json()
}

// team-memberships.test.ts "creates a team and allows managing users on the server" (its listing
// part): `GET /users?team_id=` lists the team's members only, as a page; a bad id is a
// SCHEMA_ERROR.
#[tokio::test]
async fn users_of_a_team() {
    let mut v = Vendor::new(json!({})).await;
    let first = v.fast_sign_up(json!({})).await;
    let second = v.fast_sign_up(json!({})).await;
    let team = v.create_team(json!({"display_name": "New Team"})).await;
    let page = team_users(&v, &team).await;
    assert_eq!(page["items"], json!([]), "{page}");
    v.add_member(&team, &first).await;
    let page = team_users(&v, &team).await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str()], "{page}");
    assert_eq!(page["is_paginated"], true);
    assert_eq!(page["pagination"]["next_cursor"], Value::Null);
    v.add_member(&team, &second).await;
    let page = team_users(&v, &team).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    let a = v
        .send("server", Method::GET, "/api/v1/users?team_id=nope", None)
        .await;
    let body = a.known(400, "SCHEMA_ERROR");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("  - query.team_id must be a valid UUID"),
        "{body}"
    );
}
