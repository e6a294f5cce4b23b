//! Reliability and security suite (issue 9): schemathesis fuzzing from our own OpenAPI documents,
//! lost updates and uniqueness races across instances, durability across `kill -9`, database
//! faults, token and credential attacks, request boundaries, and the tiered client/server wall.
//!
//! The surfaces covered are those of the server's dialect registry
//! (`gateway_server::dialects::REGISTRY`): every registered surface must have its entry in
//! [`Kind`] (where its credential goes, its error envelopes, its writable fields, taken from
//! `shared/specs/`), serve its OpenAPI document with the routes the suite drives, and answer on
//! them. Anything less fails the test that asked; nothing is skipped.
//!
//! Bounded by default (`make test`); `RELIABILITY_LONG=1` (set by `make fuzz` / `make chaos`)
//! runs the long versions, and the `RELIABILITY_*` variables documented in `docs/reliability.md`
//! tune the counts. Each test prints a `RELIABILITY` line with its figures.

mod boundaries;
mod db_faults;
mod durability;
mod fuzz;
mod hardening_ops;
mod input_hardening;
mod journal_bounds;
mod lost_updates;
mod tiered_hardening;
mod tiered_tiers;
mod tokens;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::OnceLock,
    time::Duration,
};

use anyhow::{Context, bail};
use gateway_server::dialects::REGISTRY;
use gateway_tests::{ADMIN_TOKEN, TestApp, TestDb};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Whether the long versions run (`make fuzz`, `make chaos`).
pub fn long() -> bool {
    std::env::var("RELIABILITY_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A count from the environment, else `short` (bounded run) or `long` (`RELIABILITY_LONG=1`).
pub fn knob(name: &str, short: u64, long_value: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if long() { long_value } else { short })
}

/// A gateway reached over HTTP: an in-process test app, another instance on its database, or
/// the real binary started as a child process.
#[derive(Clone)]
pub struct Gw {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The HTTP client (no redirects).
    pub client: reqwest::Client,
}

pub use gateway_tests::http::{Answer, send};

/// Texts that must never reach a client: library and driver names, Rust error debris.
const LEAK_MARKERS: [&str; 30] = [
    "jsonwebtoken",
    "InvalidSignature",
    "InvalidToken",
    "ExpiredSignature",
    "ImmatureSignature",
    "InvalidAlgorithm",
    "InvalidIssuer",
    "InvalidAudience",
    "InvalidKeyFormat",
    "MissingRequiredClaim",
    "Base64Error",
    "Utf8Error",
    "r2d2",
    "diesel",
    "DatabaseError",
    "ClosedConnection",
    "panicked",
    "RUST_BACKTRACE",
    ".rs:",
    "CoreError",
    "ErrorKind::",
    "StoreError",
    "Connection refused",
    "could not connect to server",
    "connection to server",
    "PgConnection",
    "SqliteConnection",
    "database is locked",
    "thread '",
    "Os { code",
];

/// The first internal text (or secret) found in `text`, if any.
pub fn leak(text: &str, secrets: &[&str]) -> Option<String> {
    if let Some(m) = LEAK_MARKERS.iter().find(|m| text.contains(**m)) {
        return Some(format!("internal text {m:?}"));
    }
    secrets
        .iter()
        .filter(|s| s.len() >= 12)
        .find(|s| text.contains(**s))
        .map(|s| {
            format!(
                "a secret is echoed ({}...)",
                s.chars().take(8).collect::<String>()
            )
        })
}

/// A tiered project and its keys.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project UUID.
    pub id: String,
    /// Publishable client key.
    pub pck: String,
    /// Secret server key.
    pub ssk: String,
}

/// One user's credentials for one surface.
#[derive(Debug, Clone)]
pub struct Creds {
    /// The surface.
    pub kind: Kind,
    /// The user id.
    pub user_id: String,
    /// The access token of the surface (tiered: the project's ES256 access token).
    pub token: String,
    /// The surface's API key (none for tiered).
    pub key: Option<String>,
    /// Tiered: the project.
    pub project: Option<Project>,
    /// Tiered: the refresh token.
    pub refresh: Option<String>,
}

impl Creds {
    /// Every secret of these credentials (never to be echoed).
    pub fn secrets(&self) -> Vec<&str> {
        let mut s = vec![self.token.as_str()];
        s.extend(self.key.as_deref());
        s.extend(self.refresh.as_deref());
        if let Some(p) = &self.project {
            s.push(&p.pck);
            s.push(&p.ssk);
        }
        s
    }
}

impl Gw {
    /// The gateway of an in-process test app.
    pub fn of(app: &TestApp) -> Self {
        Self {
            base: app.base_url.clone(),
            client: app.client.clone(),
        }
    }

    /// A gateway at `base` with a fresh client.
    pub fn at(base: String) -> Self {
        #[expect(clippy::expect_used, reason = "test setup")]
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .expect("http client");
        Self { base, client }
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request to `path`.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .timeout(Duration::from_secs(30))
    }

    /// An admin API request.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.req(method, &format!("/admin{path}"))
            .bearer_auth(ADMIN_TOKEN)
    }

    async fn admin_json(
        &self,
        method: Method,
        path: &str,
        body: Value,
        want: u16,
    ) -> anyhow::Result<Value> {
        let a = send(self.admin(method.clone(), path).json(&body)).await?;
        anyhow::ensure!(a.status == want, "admin {method} {path}: {}", a.describe());
        Ok(a.json())
    }

    /// Creates an active user `username` (email `<username>@example.com`); returns its id.
    pub async fn create_user(&self, username: &str) -> anyhow::Result<String> {
        let body = json!({
            "username": username, "email": format!("{username}@example.com"),
            "password": "initial-password", "status": "active",
        });
        let user = self.admin_json(Method::POST, "/users", body, 201).await?;
        user["id"].as_str().map(str::to_owned).context("user id")
    }

    /// Creates a service account (kind `service_account`); returns its id.
    pub async fn create_service_account(&self, username: &str) -> anyhow::Result<String> {
        let body = json!({"username": username, "kind": "service_account", "status": "active"});
        let user = self.admin_json(Method::POST, "/users", body, 201).await?;
        user["id"].as_str().map(str::to_owned).context("user id")
    }

    /// The admin view of a user (`None` when it does not exist).
    pub async fn user(&self, id: &str) -> anyhow::Result<Option<Value>> {
        let a = send(self.admin(Method::GET, &format!("/users/{id}"))).await?;
        match a.status {
            200 => Ok(Some(a.json())),
            404 => Ok(None),
            _ => bail!("admin GET /users/{id}: {}", a.describe()),
        }
    }

    /// Deletes a user through the admin API.
    pub async fn delete_user(&self, id: &str) -> anyhow::Result<()> {
        let a = send(self.admin(Method::DELETE, &format!("/users/{id}"))).await?;
        anyhow::ensure!(
            a.status == 204,
            "admin DELETE /users/{id}: {}",
            a.describe()
        );
        Ok(())
    }

    /// Creates a tiered project (client deletion allowed when `allow_delete`).
    pub async fn create_project(&self, name: &str, allow_delete: bool) -> anyhow::Result<Project> {
        let body = json!({"display_name": name, "allow_client_user_deletion": allow_delete});
        let p = self
            .admin_json(Method::POST, "/projects", body, 201)
            .await?;
        Ok(Project {
            id: p["id"].as_str().context("project id")?.to_owned(),
            pck: p["publishable_client_key"]
                .as_str()
                .context("publishable_client_key")?
                .to_owned(),
            ssk: p["secret_server_key"]
                .as_str()
                .context("secret_server_key")?
                .to_owned(),
        })
    }

    /// Mints a tiered session (access + refresh token) of `user` in `project`.
    pub async fn tiered_session(
        &self,
        project: &Project,
        user: &str,
        access_ttl_secs: Option<i64>,
    ) -> anyhow::Result<(String, String)> {
        let body = match access_ttl_secs {
            Some(ttl) => json!({"access_token_ttl_secs": ttl}),
            None => json!({}),
        };
        let path = format!("/projects/{}/users/{user}/sessions", project.id);
        let s = self.admin_json(Method::POST, &path, body, 201).await?;
        Ok((
            s["access_token"]
                .as_str()
                .context("access_token")?
                .to_owned(),
            s["refresh_token"]
                .as_str()
                .context("refresh_token")?
                .to_owned(),
        ))
    }

    /// Credentials of `user` for `kind` (tiered: a session in `project`, which is required).
    pub async fn creds(
        &self,
        kind: Kind,
        user: &str,
        project: Option<&Project>,
    ) -> anyhow::Result<Creds> {
        if kind == Kind::Users {
            let project = project.context("the tiered surface needs a project")?;
            let (token, refresh) = self.tiered_session(project, user, None).await?;
            return Ok(Creds {
                kind,
                user_id: user.to_owned(),
                token,
                key: None,
                project: Some(project.clone()),
                refresh: Some(refresh),
            });
        }
        let body = json!({"surface": kind.name(), "with_keys": true});
        let v = self
            .admin_json(Method::POST, &format!("/users/{user}/tokens"), body, 201)
            .await?;
        let c = &v["credentials"][0];
        Ok(Creds {
            kind,
            user_id: user.to_owned(),
            token: c["access_token"]
                .as_str()
                .context("access_token")?
                .to_owned(),
            key: c["api_key"].as_str().map(str::to_owned),
            project: None,
            refresh: None,
        })
    }

    /// Every surface of the registry, mounted on this gateway: its OpenAPI document is served with
    /// every route the suite drives on it, and its read route answers (an unauthenticated read is
    /// refused, not a 404 or a 5xx). An error names every surface that falls short.
    pub async fn surfaces(&self) -> anyhow::Result<Vec<Surface>> {
        let mut found = Vec::new();
        let mut problems = Vec::new();
        for kind in registered_kinds()? {
            let name = kind.name();
            let a = send(self.req(Method::GET, &format!("/openapi/{name}.json"))).await?;
            let doc = a.json();
            if a.status != 200 || doc["paths"].as_object().is_none_or(|p| p.is_empty()) {
                problems.push(format!(
                    "surface {name} is registered but /openapi/{name}.json has no paths: {}",
                    a.describe()
                ));
                continue;
            }
            let surface = Surface { kind, doc };
            let missing = surface.missing_routes();
            if !missing.is_empty() {
                problems.push(format!(
                    "surface {name} does not document the routes the suite drives: {}",
                    missing.join(", ")
                ));
                continue;
            }
            let probe = send(self.req(Method::GET, kind.read_path())).await?;
            if probe.status == 404 || probe.status >= 500 {
                problems.push(format!(
                    "surface {name} does not answer on GET {}: {}",
                    kind.read_path(),
                    probe.describe()
                ));
                continue;
            }
            found.push(surface);
        }
        anyhow::ensure!(
            problems.is_empty(),
            "registered surfaces are not served:\n{}",
            problems.join("\n")
        );
        Ok(found)
    }
}

/// The surfaces the suite covers: every surface of `gateway_server::dialects::REGISTRY`, in
/// registration order, each with its [`Kind`]. An error when the registry has a surface with no
/// entry in [`Kind`] (the suite does not know how to drive it), a [`Kind`] names a surface the
/// registry does not have, or the registry has none.
pub fn registered_kinds() -> anyhow::Result<Vec<Kind>> {
    let names: Vec<&str> = REGISTRY.surfaces().map(|s| s.name).collect();
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| Kind::from_name(n).is_none())
        .collect();
    anyhow::ensure!(
        unknown.is_empty(),
        "registered surface(s) {unknown:?} have no entry in the reliability suite's `Kind` table \
         (tests/api/reliability.rs): add one, with its routes, envelopes and fields"
    );
    let unregistered: Vec<&str> = Kind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|n| !names.contains(n))
        .collect();
    anyhow::ensure!(
        unregistered.is_empty(),
        "`Kind` names surface(s) {unregistered:?} that the registry does not have (registered: \
         {names:?})"
    );
    anyhow::ensure!(!names.is_empty(), "the dialect registry has no surface");
    Ok(names.into_iter().filter_map(Kind::from_name).collect())
}

/// A mounted surface and its OpenAPI document.
#[derive(Debug, Clone)]
pub struct Surface {
    /// Which surface.
    pub kind: Kind,
    /// Its document.
    pub doc: Value,
}

impl Surface {
    /// Whether the document has `method path`.
    pub fn has(&self, method: &str, path: &str) -> bool {
        self.doc["paths"][path]
            .get(method.to_ascii_lowercase())
            .is_some()
    }

    /// The routes the suite drives on this surface that its document does not have
    /// (`METHOD path`).
    pub fn missing_routes(&self) -> Vec<String> {
        self.kind
            .routes()
            .iter()
            .filter(|(m, p)| !self.has(m, p))
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
}

/// The five surfaces and what the suite knows of each (from `shared/specs/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// snake `platform` (Dreadnode).
    Platform,
    /// snake `users-me` (ZenML Pro).
    UsersMe,
    /// Pascal `account-profile` (Moltaro).
    AccountProfile,
    /// camel `me` (Bird).
    Me,
    /// tiered `users` (Stack Auth).
    Users,
}

/// A field the lost-update test writes: its wire name, and the values it may take when they are
/// constrained (locale, time zone, country code).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The surface that writes it.
    pub kind: Kind,
    /// Wire name.
    pub name: &'static str,
    /// Allowed values, when not free text.
    pub values: Option<&'static [&'static str]>,
}

const LOCALES: &[&str] = &[
    "en-US", "fr-FR", "de-DE", "nl-NL", "es-ES", "it-IT", "pt-BR", "ja-JP", "ko-KR", "sv-SE",
    "da-DK", "fi-FI", "pl-PL", "cs-CZ", "tr-TR", "el-GR", "hu-HU", "ro-RO", "uk-UA", "he-IL",
];
const TIMEZONES: &[&str] = &[
    "Europe/Amsterdam",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Africa/Cairo",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Oslo",
    "Europe/Vienna",
    "Asia/Kolkata",
    "America/Denver",
    "America/Lima",
    "Asia/Dubai",
    "Europe/Lisbon",
    "Europe/Prague",
    "Pacific/Auckland",
];
const COUNTRIES: &[&str] = &[
    "NL", "FR", "DE", "US", "GB", "ES", "IT", "JP", "KR", "SE", "DK", "FI", "PL", "CZ", "TR", "GR",
    "HU", "RO", "PT", "BE",
];

/// Which unique identity a race is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The username.
    Username,
    /// The primary email.
    Email,
}

impl Kind {
    /// Every surface.
    pub const ALL: [Kind; 5] = [
        Kind::Platform,
        Kind::UsersMe,
        Kind::AccountProfile,
        Kind::Me,
        Kind::Users,
    ];

    /// The `Kind` of the surface named `name`, if the suite has one.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The surface name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Platform => "platform",
            Kind::UsersMe => "users-me",
            Kind::AccountProfile => "account-profile",
            Kind::Me => "me",
            Kind::Users => "users",
        }
    }

    /// The routes the suite drives on this surface.
    pub fn routes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Platform => &[("GET", "/api/v1/user"), ("POST", "/api/v1/user/username")],
            Kind::UsersMe => &[
                ("POST", "/auth/login"),
                ("GET", "/users/me"),
                ("PATCH", "/users/me"),
            ],
            Kind::AccountProfile => &[
                ("GET", "/api/workspace/account/profile"),
                ("PUT", "/api/workspace/account/profile"),
            ],
            Kind::Me => &[("GET", "/me"), ("PATCH", "/me")],
            Kind::Users => &[
                ("GET", "/api/v1/users/me"),
                ("PATCH", "/api/v1/users/me"),
                ("GET", "/api/v1/users/{user_id}"),
                ("POST", "/api/v1/auth/oauth/token"),
            ],
        }
    }

    /// The read route (the caller's own user).
    pub fn read_path(self) -> &'static str {
        match self {
            Kind::Platform => "/api/v1/user",
            Kind::UsersMe => "/users/me",
            Kind::AccountProfile => "/api/workspace/account/profile",
            Kind::Me => "/me",
            Kind::Users => "/api/v1/users/me",
        }
    }

    /// The write route and method.
    pub fn write_route(self) -> (Method, &'static str) {
        match self {
            Kind::Platform => (Method::POST, "/api/v1/user/username"),
            Kind::UsersMe => (Method::PATCH, "/users/me"),
            Kind::AccountProfile => (Method::PUT, "/api/workspace/account/profile"),
            Kind::Me => (Method::PATCH, "/me"),
            Kind::Users => (Method::PATCH, "/api/v1/users/me"),
        }
    }

    /// Tiered headers of a caller: client (publishable key) or server (secret key).
    pub fn tiered_headers(rb: RequestBuilder, project: &Project, server: bool) -> RequestBuilder {
        let rb = rb.header("x-stack-project-id", &project.id);
        if server {
            rb.header("x-stack-access-type", "server")
                .header("x-stack-secret-server-key", &project.ssk)
        } else {
            rb.header("x-stack-access-type", "client")
                .header("x-stack-publishable-client-key", &project.pck)
        }
    }

    /// `rb` carrying `token` where this surface reads its access token (tiered: as a client).
    pub fn with_token(self, rb: RequestBuilder, creds: &Creds, token: &str) -> RequestBuilder {
        match (self, &creds.project) {
            (Kind::Users, Some(p)) => {
                Self::tiered_headers(rb, p, false).header("x-stack-access-token", token)
            }
            _ => rb.bearer_auth(token),
        }
    }

    /// `rb` carrying `key` where this surface reads its API key.
    pub fn with_key(self, rb: RequestBuilder, creds: &Creds, key: &str) -> RequestBuilder {
        match self {
            Kind::Platform => rb.header("x-api-key", key),
            Kind::Users => match &creds.project {
                Some(p) => rb
                    .header("x-stack-project-id", &p.id)
                    .header("x-stack-access-type", "server")
                    .header("x-stack-secret-server-key", key),
                None => rb,
            },
            _ => rb.bearer_auth(key),
        }
    }

    /// `rb` authenticated as the user of `creds` (tiered: as a client).
    pub fn authed(self, rb: RequestBuilder, creds: &Creds) -> RequestBuilder {
        self.with_token(rb, creds, &creds.token)
    }

    /// `rb` authenticated as a tiered server caller acting on the user of `creds`.
    pub fn as_server(rb: RequestBuilder, creds: &Creds) -> RequestBuilder {
        match &creds.project {
            Some(p) => {
                Self::tiered_headers(rb, p, true).header("x-stack-access-token", &creds.token)
            }
            None => rb,
        }
    }

    /// A read of the caller's own user (tiered: as a server, which sees every field).
    pub fn read(self, gw: &Gw, creds: &Creds) -> RequestBuilder {
        let rb = gw.req(Method::GET, self.read_path());
        match self {
            Kind::Users => Self::as_server(rb, creds),
            _ => self.authed(rb, creds),
        }
    }

    /// The fields this surface writes in the lost-update test (disjoint core fields across
    /// surfaces, so concurrent writers through different dialects never share a column).
    pub fn fields(self) -> Vec<Field> {
        let f = |name, values| Field {
            kind: self,
            name,
            values,
        };
        match self {
            Kind::Platform => vec![f("username", None)],
            Kind::UsersMe => vec![
                f("name", None),
                f("company", None),
                f("job_title", None),
                f("avatar_url", None),
            ],
            Kind::AccountProfile => {
                vec![f("FirstName", None), f("LastName", None), f("Email", None)]
            }
            Kind::Me => vec![
                f("bio", None),
                f("locale", Some(LOCALES)),
                f("timezone", Some(TIMEZONES)),
            ],
            Kind::Users => vec![
                f("client_metadata", None),
                f("server_metadata", None),
                f("client_read_only_metadata", None),
                f("country_code", Some(COUNTRIES)),
            ],
        }
    }

    /// The wire value for `token` (a short unique text) in `field`.
    pub fn wire_value(field: &Field, token: &str) -> Value {
        match field.name {
            "avatar_url" => json!(format!("https://example.com/{token}.png")),
            "Email" => json!(format!("{token}@example.com")),
            "client_metadata" | "server_metadata" | "client_read_only_metadata" => {
                json!({"v": token})
            }
            _ => json!(token),
        }
    }

    /// The comparable text of `field` in a read answer of this surface.
    pub fn read_value(field: &Field, body: &Value) -> Option<String> {
        let v = match field.kind {
            Kind::AccountProfile => &body["Data"][field.name],
            _ => &body[field.name],
        };
        match field.name {
            "avatar_url" => v.as_str().map(|s| {
                s.trim_start_matches("https://example.com/")
                    .trim_end_matches(".png")
                    .to_owned()
            }),
            "Email" => v
                .as_str()
                .map(|s| s.trim_end_matches("@example.com").to_owned()),
            "client_metadata" | "server_metadata" | "client_read_only_metadata" => {
                v["v"].as_str().map(str::to_owned)
            }
            _ => v.as_str().map(str::to_owned),
        }
    }

    /// A write of `field` = `value` (the text the read answer will show).
    pub fn write(self, gw: &Gw, creds: &Creds, field: &Field, value: &str) -> RequestBuilder {
        let (method, path) = self.write_route();
        let body = json!({ field.name: Self::wire_value(field, value) });
        let rb = gw.req(method, path).json(&body);
        match (self, field.name) {
            (Kind::Users, "server_metadata" | "client_read_only_metadata" | "country_code") => {
                Self::as_server(rb, creds)
            }
            _ => self.authed(rb, creds),
        }
    }

    /// Which identities this surface can change (for the uniqueness race).
    pub fn identities(self) -> &'static [Identity] {
        match self {
            Kind::Platform => &[Identity::Username],
            Kind::UsersMe | Kind::AccountProfile => &[Identity::Username, Identity::Email],
            Kind::Me => &[],
            Kind::Users => &[Identity::Email],
        }
    }

    /// A request setting the caller's username or email to `value`.
    pub fn set_identity(
        self,
        gw: &Gw,
        creds: &Creds,
        which: Identity,
        value: &str,
    ) -> RequestBuilder {
        let (method, path) = self.write_route();
        let name = match (self, which) {
            (Kind::AccountProfile, Identity::Username) => "UserName",
            (Kind::AccountProfile, Identity::Email) => "Email",
            (Kind::Users, _) => "primary_email",
            (_, Identity::Username) => "username",
            (_, Identity::Email) => "email",
        };
        let rb = gw.req(method, path).json(&json!({ name: value }));
        match self {
            Kind::Users => Self::as_server(rb, creds),
            _ => self.authed(rb, creds),
        }
    }

    /// Whether `a` is this surface's "already taken" answer.
    pub fn conflict(self, a: &Answer) -> Result<(), String> {
        let body = a.json();
        let ok = match self {
            Kind::Platform => {
                a.status == 409 && body["type"] == "conflict_error" && body["code"] == 409
            }
            Kind::UsersMe => a.status == 409 && body["detail"][0] == "EntityExistsError",
            Kind::AccountProfile => {
                a.status == 400
                    && body["Success"] == false
                    && body["Errors"][0]["Code"] == "Duplicate"
            }
            Kind::Me => a.status == 409,
            Kind::Users => {
                a.status == 409
                    && body["code"] == "USER_EMAIL_ALREADY_EXISTS"
                    && a.header("x-stack-known-error") == "USER_EMAIL_ALREADY_EXISTS"
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{}: not the conflict error: {}",
                self.name(),
                a.describe()
            ))
        }
    }

    /// Whether `a` is this surface's answer to a missing or bad credential (`code`: the tiered
    /// known-error code expected, when the caller is tiered).
    pub fn refused(self, a: &Answer, tiered_code: &str) -> Result<(), String> {
        let body = a.json();
        let ok = match self {
            Kind::Platform => {
                a.status == 401
                    && body
                        == json!({"code": 401, "detail": "Authentication failed", "type": "authentication_error"})
                    && a.header("content-type").starts_with("application/json")
            }
            Kind::UsersMe => {
                a.status == 401
                    && body["detail"][0] == "CredentialsNotValid"
                    && body["detail"].as_array().is_some_and(|d| d.len() == 2)
                    && a.header("www-authenticate").starts_with("Bearer")
            }
            Kind::AccountProfile => {
                a.status == 401
                    && body["status"] == 401
                    && body["title"] == "Unauthorized"
                    && a.header("www-authenticate").starts_with("Bearer")
            }
            Kind::Me => {
                a.status == 401
                    && body["type"] == "auth_error"
                    && body["code"] == "Unauthorized"
                    && body["request_id"]
                        .as_str()
                        .is_some_and(|id| id == a.header("x-request-id"))
            }
            Kind::Users => {
                (400..500).contains(&a.status)
                    && body["code"] == tiered_code
                    && a.header("x-stack-known-error") == tiered_code
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{}: not its refusal: {}",
                self.name(),
                a.describe()
            ))
        }
    }

    /// Whether `a` is this surface's "storage unavailable" answer (503 class, own envelope).
    pub fn unavailable(self, a: &Answer) -> Result<(), String> {
        let body = a.json();
        let ok = match self {
            Kind::Platform => {
                a.status == 502 && body["type"] == "bad_gateway_error" && body["code"] == 502
            }
            Kind::UsersMe => a.status == 503 && body["detail"][0] == "RuntimeError",
            Kind::AccountProfile => a.status == 503 && body["status"] == 503,
            Kind::Me => a.status == 503 && body["type"] == "service_unavailable_error",
            Kind::Users => matches!(a.status, 502..=504) && !a.text.is_empty(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{}: not its unavailable answer: {}",
                self.name(),
                a.describe()
            ))
        }
    }
}

/// Credentials of one user on every ready surface (one tiered project for all).
pub async fn creds_for(
    gw: &Gw,
    surfaces: &[Surface],
    user: &str,
    project: Option<&Project>,
) -> anyhow::Result<Vec<Creds>> {
    let mut all = Vec::new();
    for s in surfaces {
        all.push(gw.creds(s.kind, user, project).await?);
    }
    Ok(all)
}

/// Every registered surface of `gw` (see [`Gw::surfaces`]; an error when one is not served) and,
/// when tiered is among them, a project for it.
pub async fn ready_surfaces(gw: &Gw, tag: &str) -> anyhow::Result<(Vec<Surface>, Option<Project>)> {
    let surfaces = gw.surfaces().await?;
    let project = if surfaces.iter().any(|s| s.kind == Kind::Users) {
        Some(
            gw.create_project(&format!("reliability {tag}"), true)
                .await?,
        )
    } else {
        None
    };
    Ok((surfaces, project))
}

/// The suite covers exactly the registry's surfaces, and each of them is served and answers.
#[tokio::test]
async fn the_suite_covers_every_registered_surface() {
    let app = gateway_tests::spawn_app().await;
    let surfaces = Gw::of(&app)
        .surfaces()
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let covered: Vec<&str> = surfaces.iter().map(|s| s.kind.name()).collect();
    assert_eq!(
        covered,
        gateway_server::dialects::openapi_names(),
        "the suite covers every registered surface, in registration order"
    );
}

/// Another instance of the deployment of `db`: the same database URL, its own pool, listener
/// and state (the database stays owned by the caller).
pub async fn another_instance(db: &TestDb) -> anyhow::Result<Gw> {
    let settings = deployment_settings(db)?;
    let app = gateway_server::Application::build(&settings).await?;
    let gw = Gw::at(format!("http://127.0.0.1:{}", app.port()));
    tokio::spawn(app.run_until_stopped());
    Ok(gw)
}

/// The address clients reach a test deployment of several instances at: like a real deployment
/// behind one URL, its instances share `server.public_base_url` (the tiered surface's token
/// issuer), so a token minted by one is accepted by the others.
pub const DEPLOYMENT_URL: &str = "http://gateway.test";

/// Test settings for an instance of the deployment at [`DEPLOYMENT_URL`] on `db`.
pub fn deployment_settings(db: &TestDb) -> anyhow::Result<gateway_server::Settings> {
    let mut settings = gateway_tests::test_settings(db)?;
    settings.server.public_base_url = DEPLOYMENT_URL.into();
    Ok(settings)
}

/// Where the profile of this test executable puts its outputs, and the `cargo build` arguments
/// that build the `gateway` binary there. Cargo runs integration tests from
/// `<target-dir>[/<triple>]/<profile-dir>/deps/`; `<profile-dir>` is `debug` for the `dev` and
/// `test` profiles, `release` for `release` and `bench`, else the profile's own name.
fn gateway_build() -> anyhow::Result<(PathBuf, Vec<String>)> {
    let exe = std::env::current_exe().context("locate the test executable")?;
    let deps = exe
        .parent()
        .filter(|d| d.ends_with("deps"))
        .with_context(|| {
            format!(
                "{} is not in a cargo `deps` directory: cannot tell which profile to build the \
             gateway with",
                exe.display()
            )
        })?;
    let profile_dir = deps.parent().context("the profile directory")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => bail!("odd profile directory {}", profile_dir.display()),
    };
    let above = profile_dir.parent().context("the target directory")?;
    // `CACHEDIR.TAG` marks the root of a cargo target directory.
    let (target_dir, triple) = if above.join("CACHEDIR.TAG").is_file() {
        (above, None)
    } else {
        let target_dir = above
            .parent()
            .filter(|t| t.join("CACHEDIR.TAG").is_file())
            .with_context(|| format!("no cargo target directory above {}", above.display()))?;
        (target_dir, above.file_name().and_then(|n| n.to_str()))
    };
    let mut args: Vec<String> = [
        "build",
        "-p",
        "gateway-server",
        "--bin",
        "gateway",
        "--profile",
        profile,
    ]
    .map(str::to_owned)
    .into();
    args.extend(["--target-dir".to_owned(), target_dir.display().to_string()]);
    if let Some(triple) = triple {
        args.extend(["--target".to_owned(), triple.to_owned()]);
    }
    Ok((profile_dir.join("gateway"), args))
}

/// The `gateway` binary of the current sources: built once per test run with
/// `cargo build -p gateway-server --bin gateway` (the cargo that built the tests, the same
/// profile, target directory and target), so `cargo test` alone never runs a stale binary. When
/// the outer build already made it (`make test` builds the whole workspace), this is a no-op
/// check; a failed build fails every test that needs the binary.
pub fn gateway_binary() -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_gateway().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn build_gateway() -> anyhow::Result<PathBuf> {
    let (bin, args) = gateway_build()?;
    let cargo = env!("CARGO");
    let out = std::process::Command::new(cargo)
        .args(&args)
        .current_dir(gateway_tests::sdk::repo_root())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {cargo}"))?;
    anyhow::ensure!(
        out.status.success(),
        "`cargo {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    anyhow::ensure!(
        bin.is_file(),
        "`cargo {}` succeeded but {} is not there",
        args.join(" "),
        bin.display()
    );
    Ok(bin)
}

/// The real `gateway` binary running as a child process (killed when dropped).
pub struct Binary {
    child: tokio::process::Child,
    /// Its process id.
    pub pid: u32,
    /// The gateway it serves.
    pub gw: Gw,
    _config_dir: tempfile::TempDir,
}

impl Binary {
    /// Starts `gateway serve` on `db_url` (port 0, test admin token, quiet logs) with extra
    /// `GATEWAY__...` settings; waits for its listening line.
    pub async fn start(db_url: &str, settings: &[(&str, String)]) -> anyhow::Result<Self> {
        let bin = gateway_binary()?;
        let config_dir = tempfile::tempdir()?;
        let mut cmd = tokio::process::Command::new(&bin);
        cmd.arg("--config-dir")
            .arg(config_dir.path())
            .arg("serve")
            .env_remove("GATEWAY_ENV")
            .env_remove("GATEWAY_CONFIG")
            .env_remove("RUST_LOG")
            .env("GATEWAY__SERVER__PORT", "0")
            .env("GATEWAY__SERVER__WORKERS", "2")
            .env("GATEWAY__DATABASE__URL", db_url)
            .env("GATEWAY__DATABASE__MAX_CONNECTIONS", "4")
            .env("GATEWAY__ADMIN__TOKEN", ADMIN_TOKEN)
            .env("GATEWAY__LOG__FILTER", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in settings {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("spawn {}", bin.display()))?;
        let pid = child.id().context("child pid")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("gateway listening on ") {
                    return Ok::<_, anyhow::Error>(url.trim().to_owned());
                }
            }
            bail!("the gateway exited before listening")
        })
        .await
        .context("the gateway did not start within 60 s")?;
        let base = match base {
            Ok(b) => b,
            Err(e) => {
                let _ = child.start_kill();
                let out = child.wait_with_output().await?;
                bail!("{e}: {}", String::from_utf8_lossy(&out.stderr));
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            pid,
            gw: Gw::at(base),
            _config_dir: config_dir,
        })
    }

    /// Resident memory of the process, in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmRSS")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `kill -9` and wait for the exit.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await??;
        use std::os::unix::process::ExitStatusExt;
        anyhow::ensure!(
            status.signal() == Some(9),
            "the gateway did not die of SIGKILL: {status}"
        );
        Ok(())
    }
}

/// The host:port of a PostgreSQL URL (`postgres://user@host:port/db...`).
pub fn pg_host_port(url: &str) -> anyhow::Result<String> {
    let rest = url.split_once("://").map(|(_, r)| r).context("scheme")?;
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let host = rest.split(['/', '?']).next().context("host")?;
    Ok(if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    })
}

/// A TCP proxy in front of the test PostgreSQL server: `cut` drops every connection and stops
/// listening (as a stopped server does), `restore` listens again on the same port.
pub struct Proxy {
    /// The port the gateway connects to.
    pub port: u16,
    target: String,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    /// Listens on `port` (0 = any) and forwards to `target`.
    pub async fn start(target: &str, port: u16) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let proxy = Self {
            port,
            target: target.to_owned(),
            tasks,
        };
        proxy.serve(listener);
        Ok(proxy)
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (tasks, target) = (self.tasks.clone(), self.target.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(conn);
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(accept);
    }

    /// Drops every connection and the listener: the database is gone.
    pub fn cut(&self) {
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }

    /// Listens again on the same port: the database is back.
    pub async fn restore(&self) -> anyhow::Result<()> {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.serve(listener);
        Ok(())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Writes `text` to `docs`-style figures file when `RELIABILITY_FIGURES` names a directory (the
/// long runs collect their figures there for `docs/reliability.md`).
pub fn record_figures(test: &str, figures: &Value) {
    println!("RELIABILITY {test} {figures}");
    if let Ok(dir) = std::env::var("RELIABILITY_FIGURES") {
        let dir = Path::new(&dir);
        if std::fs::create_dir_all(dir).is_ok() {
            let _ = std::fs::write(dir.join(format!("{test}.json")), figures.to_string());
        }
    }
}
