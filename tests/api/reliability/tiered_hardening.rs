//! Hardening of the tiered (Stack Auth) surface: bodies with thousands of keys are refused at the
//! shared body layer's cap before the caller is known; a token's issuer comes from the gateway's
//! configuration, never from a client header, and is compared exactly; access tokens follow the
//! vendor's rule for revoked sessions; and a user who is not in good standing is not served.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use gateway_core::{UserId, UserPatch, UserStatus};
use gateway_tests::{TestApp, spawn_app};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::{Answer, Gw, Kind, Project, record_figures, send};

/// The name of the tiered signing key in the shared secrets (`dialect_tiered::tokens`).
const KEY_SECRET_NAME: &str = "tiered_es256_pkcs8";
/// The gateway's default body limit.
const BODY_LIMIT: usize = 64 * 1024;
/// The shared body layer's default key cap.
const MAX_KEYS: usize = 1024;

/// A tiered session minted through the admin API.
struct Minted {
    access: String,
    refresh: String,
    refresh_token_id: String,
}

async fn setup(app: &TestApp, username: &str) -> (Gw, Project, String, Minted) {
    let gw = Gw::of(app);
    let project = gw
        .create_project(&format!("hardening {username}"), false)
        .await
        .expect("project");
    let user = gw.create_user(username).await.expect("user");
    let minted = mint(&gw, &project, &user).await;
    (gw, project, user, minted)
}

async fn mint(gw: &Gw, project: &Project, user: &str) -> Minted {
    let a = send(
        gw.admin(
            Method::POST,
            &format!("/projects/{}/users/{user}/sessions", project.id),
        )
        .json(&json!({})),
    )
    .await
    .expect("mint");
    assert_eq!(a.status, 201, "{}", a.describe());
    let v = a.json();
    Minted {
        access: v["access_token"].as_str().expect("access").to_owned(),
        refresh: v["refresh_token"].as_str().expect("refresh").to_owned(),
        refresh_token_id: v["refresh_token_id"].as_str().expect("id").to_owned(),
    }
}

/// A client request of `project` carrying `token`.
fn client(gw: &Gw, method: Method, path: &str, project: &Project, token: &str) -> RequestBuilder {
    Kind::tiered_headers(gw.req(method, path), project, false).header("x-stack-access-token", token)
}

/// A server request of `project` (secret key), without a user token.
fn server(gw: &Gw, method: Method, path: &str, project: &Project) -> RequestBuilder {
    Kind::tiered_headers(gw.req(method, path), project, true)
}

/// The SDK's refresh grant.
fn refresh_grant(gw: &Gw, project: &Project, refresh: &str) -> RequestBuilder {
    gw.req(Method::POST, "/api/v1/auth/oauth/token").form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", project.id.as_str()),
        ("client_secret", project.pck.as_str()),
    ])
}

/// Asserts a known error of this surface and returns its body.
fn known(a: &Answer, status: u16, code: &str) -> Value {
    assert_eq!(a.status, status, "{}", a.describe());
    assert_eq!(a.header("x-stack-known-error"), code, "{}", a.describe());
    let body = a.json();
    assert_eq!(body["code"], code, "{}", a.describe());
    body
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Distinct JSON object keys, shortest encodings first: one printable ASCII character, two of
/// them, then one two-byte character.
fn short_keys() -> impl Iterator<Item = String> {
    let ascii: Vec<char> = (' '..='~').filter(|c| *c != '"' && *c != '\\').collect();
    let one = ascii.clone().into_iter().map(String::from);
    let two = {
        let ascii = ascii.clone();
        ascii
            .clone()
            .into_iter()
            .flat_map(move |a| ascii.clone().into_iter().map(move |b| format!("{a}{b}")))
    };
    let wide = ('\u{a1}'..='\u{7ff}').map(String::from);
    one.chain(two).chain(wide)
}

/// A JSON object of distinct keys as large as the body limit allows; returns it and its keys.
fn json_with_many_keys() -> (String, usize) {
    let mut body = String::from("{");
    let mut count = 0;
    for key in short_keys() {
        let member = format!("{}\"{key}\":0", if count == 0 { "" } else { "," });
        if body.len() + member.len() + 1 > BODY_LIMIT {
            break;
        }
        body.push_str(&member);
        count += 1;
    }
    body.push('}');
    (body, count)
}

/// The attack: 64 KiB bodies with ~9,500 distinct keys, sent without credentials. The
/// old reader de-duplicated keys with a linear scan per key (0.5 s of CPU per request, before
/// authentication); now both are refused at the key cap as `BODY_PARSING_ERROR`s naming it.
#[tokio::test]
async fn tiered_bodies_with_thousands_of_keys_are_refused_at_the_cap() {
    let app = spawn_app().await;
    let (gw, project, _, minted) = setup(&app, "many_keys").await;

    let form: String = (0..9_521).map(|i| format!("{i:x}=&")).collect();
    assert!(form.len() <= BODY_LIMIT);
    let (json, json_keys) = json_with_many_keys();
    assert!(json.len() <= BODY_LIMIT && json_keys > 9_000, "{json_keys}");
    serde_json::from_str::<Value>(&json).expect("valid JSON");

    let started = std::time::Instant::now();
    let by_form = send(
        gw.req(Method::POST, "/api/v1/auth/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone()),
    )
    .await
    .expect("form");
    let by_json = send(
        gw.req(Method::PATCH, "/api/v1/users/me")
            .header("content-type", "application/json")
            .body(json.clone()),
    )
    .await
    .expect("json");
    // The same bodies from an authenticated client: refused the same way.
    let authed_json = send(
        client(
            &gw,
            Method::PATCH,
            "/api/v1/users/me",
            &project,
            &minted.access,
        )
        .header("content-type", "application/json")
        .body(json),
    )
    .await
    .expect("authenticated json");
    let elapsed = started.elapsed();
    let message = format!("Request body has too many keys (limit: {MAX_KEYS})");
    for (what, a) in [
        ("form", &by_form),
        ("json", &by_json),
        ("authenticated json", &authed_json),
    ] {
        let body = known(a, 400, "BODY_PARSING_ERROR");
        assert_eq!(body["error"], message.as_str(), "{what}");
        assert_eq!(body["details"]["message"], message.as_str(), "{what}");
    }

    // Below the cap the vendor path is unchanged: a refresh grant with 1,000 extra fields.
    let mut fields: Vec<(String, String)> = vec![
        ("grant_type".into(), "refresh_token".into()),
        ("refresh_token".into(), minted.refresh.clone()),
        ("client_id".into(), project.id.clone()),
        ("client_secret".into(), project.pck.clone()),
    ];
    fields.extend((0..MAX_KEYS - 24).map(|i| (format!("extra{i}"), String::new())));
    let ok = send(
        gw.req(Method::POST, "/api/v1/auth/oauth/token")
            .form(&fields),
    )
    .await
    .expect("refresh");
    assert_eq!(ok.status, 200, "{}", ok.describe());
    record_figures(
        "tiered_bodies_with_thousands_of_keys",
        &json!({
            "form_keys": 9_521, "form_bytes": form.len(), "json_keys": json_keys,
            "three_refusals_ms": elapsed.as_millis(),
        }),
    );
}

/// A refresh with `X-Forwarded-Host: evil.example` (or `Forwarded`, or another `Host`) mints a
/// token whose issuer is the gateway's own base, not the client's.
#[tokio::test]
async fn tiered_issuer_ignores_client_host_headers() {
    let app = spawn_app().await;
    let (gw, project, user, minted) = setup(&app, "forwarded").await;
    let expected = format!("{}/api/v1/projects/{}", gw.base, project.id);
    assert_eq!(payload(&minted.access)["iss"], expected.as_str());
    let spoofs: [(&str, &str); 4] = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=1.2.3.4;host=evil.example;proto=https"),
        ("x-forwarded-for", "1.2.3.4"),
    ];
    let with_spoofs = |rb: RequestBuilder| {
        spoofs
            .iter()
            .fold(rb, |rb, (name, value)| rb.header(*name, *value))
    };
    let grant = send(with_spoofs(refresh_grant(&gw, &project, &minted.refresh)))
        .await
        .expect("grant");
    assert_eq!(grant.status, 200, "{}", grant.describe());
    let rest = send(with_spoofs(
        server(
            &gw,
            Method::POST,
            "/api/v1/auth/sessions/current/refresh",
            &project,
        )
        .header("x-stack-refresh-token", &minted.refresh),
    ))
    .await
    .expect("rest refresh");
    assert_eq!(rest.status, 200, "{}", rest.describe());
    let admin = send(with_spoofs(
        gw.admin(
            Method::POST,
            &format!("/projects/{}/users/{user}/sessions", project.id),
        )
        .json(&json!({})),
    ))
    .await
    .expect("admin mint");
    assert_eq!(admin.status, 201, "{}", admin.describe());
    let host = send(refresh_grant(&gw, &project, &minted.refresh).header("host", "evil.example"))
        .await
        .expect("host");
    assert_eq!(host.status, 200, "{}", host.describe());
    for (what, a) in [
        ("oauth grant", &grant),
        ("rest refresh", &rest),
        ("admin mint", &admin),
        ("host header", &host),
    ] {
        let token = a.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        let iss = payload(&token)["iss"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(iss, expected, "{what}");
        assert!(!iss.contains("evil"), "{what}: {iss}");
        let me = send(client(
            &gw,
            Method::GET,
            "/api/v1/users/me",
            &project,
            &token,
        ))
        .await
        .expect("me");
        assert_eq!(me.status, 200, "{what}: {}", me.describe());
    }
}

/// A token signed with the gateway's own key whose `iss` merely ends with the right
/// `/api/v1/projects/{id}` is refused: the issuer is compared exactly.
#[tokio::test]
async fn tiered_tokens_whose_issuer_only_ends_right_are_refused() {
    let app = spawn_app().await;
    let (gw, project, _, minted) = setup(&app, "issuer_tail").await;
    // The key exists (the mint above stored it); the generator is never used then.
    let pem = app
        .state
        .gateway
        .shared_secret(KEY_SECRET_NAME, String::new)
        .await
        .expect("signing key");
    assert!(pem.contains("PRIVATE KEY"));
    let jwks = send(gw.req(
        Method::GET,
        &format!("/api/v1/projects/{}/.well-known/jwks.json", project.id),
    ))
    .await
    .expect("jwks");
    let kid = jwks.json()["keys"][0]["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    let key = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).expect("ES256 key");
    let sign = |iss: &str| {
        let mut claims = payload(&minted.access);
        claims["iss"] = Value::from(iss);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &claims, &key).expect("sign")
    };
    let tail = format!("/api/v1/projects/{}", project.id);
    // Control: re-signed with its own issuer, the token is accepted.
    let good = send(client(
        &gw,
        Method::GET,
        "/api/v1/users/me",
        &project,
        &sign(&format!("{}{tail}", gw.base)),
    ))
    .await
    .expect("control");
    assert_eq!(good.status, 200, "{}", good.describe());
    for iss in [
        format!("http://evil.example{tail}"),
        format!("https://evil.example/{}{tail}", gw.base),
        format!("{}.evil.example{tail}", gw.base),
        format!("{}/prefix{tail}", gw.base),
        tail.clone(),
    ] {
        let a = send(client(
            &gw,
            Method::GET,
            "/api/v1/users/me",
            &project,
            &sign(&iss),
        ))
        .await
        .expect("forged issuer");
        known(&a, 401, "UNPARSABLE_ACCESS_TOKEN");
    }
}

/// The vendor's rule (`apps/backend/src/lib/tokens.tsx` `decodeAccessToken` checks the JWT only;
/// the refresh token is looked up when refreshing): after its session is revoked, an access token
/// still reads until its `exp` (at most 600 s after it was issued), and the refresh token mints
/// nothing more.
#[tokio::test]
async fn tiered_access_tokens_stand_until_expiry_after_their_session_ends() {
    let app = spawn_app().await;
    let (gw, project, _, minted) = setup(&app, "revoked").await;
    let claims = payload(&minted.access);
    assert_eq!(claims["refresh_token_id"], minted.refresh_token_id.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let sid: uuid::Uuid = minted.refresh_token_id.parse().expect("session id");
    assert!(app.state.gateway.revoke_session(sid).await.expect("revoke"));

    let refreshed = send(refresh_grant(&gw, &project, &minted.refresh))
        .await
        .expect("grant");
    known(&refreshed, 401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    let me = send(client(
        &gw,
        Method::GET,
        "/api/v1/users/me",
        &project,
        &minted.access,
    ))
    .await
    .expect("me");
    assert_eq!(me.status, 200, "{}", me.describe());

    // A password change revokes every refresh token of the user; the same rule holds.
    let other = mint(&gw, &project, claims["sub"].as_str().unwrap()).await;
    let changed = send(
        server(
            &gw,
            Method::PATCH,
            &format!("/api/v1/users/{}", claims["sub"].as_str().unwrap()),
            &project,
        )
        .json(&json!({"password": "a-new-password"})),
    )
    .await
    .expect("password");
    assert_eq!(changed.status, 200, "{}", changed.describe());
    known(
        &send(refresh_grant(&gw, &project, &other.refresh))
            .await
            .expect("grant"),
        401,
        "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED",
    );
    let me = send(client(
        &gw,
        Method::GET,
        "/api/v1/users/me",
        &project,
        &other.access,
    ))
    .await
    .expect("me");
    assert_eq!(me.status, 200, "{}", me.describe());
}

/// A banned (or inactive) user's token carries no user: `/users/me` answers the vendor's error
/// for a token whose user cannot be loaded and writes nothing, its refresh token mints nothing,
/// and the server key may read the user by id but not change it.
#[tokio::test]
async fn tiered_users_not_in_good_standing_are_not_served() {
    let app = spawn_app().await;
    let (gw, project, user, minted) = setup(&app, "to_be_banned").await;
    let id: UserId = user.parse().expect("user id");
    let me = "/api/v1/users/me";
    let by_id = format!("/api/v1/users/{user}");
    let name = |v: &Value| v["display_name"].clone();

    let before = send(client(&gw, Method::GET, me, &project, &minted.access))
        .await
        .expect("read");
    assert_eq!(before.status, 200, "{}", before.describe());

    for patch in [
        UserPatch {
            status: Some(UserStatus::Banned),
            ..UserPatch::default()
        },
        UserPatch {
            status: Some(UserStatus::Active),
            is_active: Some(false),
            ..UserPatch::default()
        },
    ] {
        let what = format!("{:?}/{:?}", patch.status, patch.is_active);
        app.state
            .gateway
            .update_user(id, patch)
            .await
            .expect("change standing");
        let attempts = [
            (
                "client PATCH /users/me",
                client(&gw, Method::PATCH, me, &project, &minted.access)
                    .json(&json!({"display_name": "Changed While Banned"})),
            ),
            (
                "server PATCH /users/me with the user's token",
                server(&gw, Method::PATCH, me, &project)
                    .header("x-stack-access-token", &minted.access)
                    .json(&json!({"display_name": "Changed While Banned"})),
            ),
            (
                "client GET /users/me",
                client(&gw, Method::GET, me, &project, &minted.access),
            ),
            (
                "server DELETE /users/me with the user's token",
                server(&gw, Method::DELETE, me, &project)
                    .header("x-stack-access-token", &minted.access),
            ),
        ];
        for (label, rb) in attempts {
            let a = send(rb).await.expect("request");
            assert_eq!(a.status, 400, "{what} {label}: {}", a.describe());
            known(&a, 400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
        }
        let by_server = send(
            server(&gw, Method::PATCH, &by_id, &project)
                .json(&json!({"display_name": "Changed While Banned"})),
        )
        .await
        .expect("server patch");
        assert_eq!(by_server.status, 403, "{what}: {}", by_server.describe());
        assert_eq!(by_server.text, "Forbidden");
        let read = send(server(&gw, Method::GET, &by_id, &project))
            .await
            .expect("server read");
        assert_eq!(read.status, 200, "{what}: {}", read.describe());
        assert_eq!(name(&read.json()), name(&before.json()), "{what}");
        known(
            &send(refresh_grant(&gw, &project, &minted.refresh))
                .await
                .expect("grant"),
            401,
            "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED",
        );
        let rest = send(
            server(
                &gw,
                Method::POST,
                "/api/v1/auth/sessions/current/refresh",
                &project,
            )
            .header("x-stack-refresh-token", &minted.refresh),
        )
        .await
        .expect("rest refresh");
        known(&rest, 401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
        let stored = app.state.gateway.user(id).await.expect("user");
        assert_ne!(
            stored.profile.display_name.as_deref(),
            Some("Changed While Banned"),
            "{what}"
        );
    }

    // Back in good standing, the same token and refresh token work again.
    app.state
        .gateway
        .update_user(
            id,
            UserPatch {
                is_active: Some(true),
                ..UserPatch::default()
            },
        )
        .await
        .expect("restore");
    let again = send(
        client(&gw, Method::PATCH, me, &project, &minted.access)
            .json(&json!({"display_name": "Back"})),
    )
    .await
    .expect("patch");
    assert_eq!(again.status, 200, "{}", again.describe());
    assert_eq!(again.json()["display_name"], "Back");
    let grant = send(refresh_grant(&gw, &project, &minted.refresh))
        .await
        .expect("grant");
    assert_eq!(grant.status, 200, "{}", grant.describe());
}

/// `server.public_base_url` is the issuer base of every tiered token, whatever address the
/// request came in on (the lost-update suite runs two instances sharing it).
#[tokio::test]
async fn the_configured_public_base_url_is_the_issuer_of_every_instance() {
    let db = gateway_tests::TestDb::sqlite();
    let mut settings = gateway_tests::test_settings(&db).expect("settings");
    settings.server.public_base_url = "https://Auth.Example.com/".into();
    let app = gateway_tests::spawn_with(db, settings)
        .await
        .expect("start");
    let (gw, project, _user, minted) = setup(&app, "public-base").await;
    let expected = format!("https://auth.example.com/api/v1/projects/{}", project.id);
    assert_eq!(payload(&minted.access)["iss"], expected.as_str());
    let a = send(client(
        &gw,
        Method::GET,
        "/api/v1/users/me",
        &project,
        &minted.access,
    ))
    .await
    .expect("read");
    assert_eq!(a.status, 200, "{}", a.describe());
    let a = send(refresh_grant(&gw, &project, &minted.refresh))
        .await
        .expect("refresh");
    assert_eq!(a.status, 200, "{}", a.describe());
    let access = a.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_eq!(payload(&access)["iss"], expected.as_str());
}
