//! Fixtures: a YAML or JSON document of users (any core field, fixed ids), teams and
//! memberships, projects of the tiered surface with known keys, API keys with known full text,
//! fixed access tokens and fault rules, so a test suite can hard-code its credentials.
//!
//! Loading is validation first, then one transaction-like write: the whole document is parsed
//! (syntax and type errors carry the parser's line and column) and checked against the core's
//! invariants and its own references (unique usernames, emails, ids, key ids and token values;
//! members and selected teams that exist) before anything is written, and every problem is
//! reported as `FILE:LINE:COLUMN: PATH: MESSAGE`. The line of a semantic problem is found by
//! deserializing the document again with a seed that walks to the problem's path and fails
//! there, so the parser itself says where that node is. Writing replaces the state (reset, then
//! insert); when a write fails midway, the state is reset and the previously loaded fixtures are
//! written again, so nothing is ever half-loaded.

use std::{collections::HashMap, fmt, path::Path};

use chrono::{DateTime, Utc};
use gateway_core::{
    ContactChannel, CoreError, ErrorKind, Field, FieldIssue, Gateway, MetadataTiers,
    PasswordChange, Surface, Team, TeamRole, User, UserId, UserKind, UserPatch, UserStatus,
    credentials::{KeyPrefixes, parse_api_key},
    import::{self, KnownProject, KnownSecret},
    model::NewSession,
};
use gateway_http::{
    FixedToken,
    faults::{FaultRule, FaultRuleSpec},
};
use serde::{
    Deserialize, Serialize,
    de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor},
};
use serde_json::Value;
use uuid::Uuid;

use crate::AppState;

/// The document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.1 (serde_norway).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// By file extension (`.json`, `.yaml`, `.yml`), else by content (`{` or `[` first: JSON).
    pub fn detect(name: &str, text: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Self::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Self::Yaml
        } else {
            Self::sniff(text)
        }
    }

    /// By content only.
    pub fn sniff(text: &str) -> Self {
        if text.trim_start().starts_with(['{', '[']) {
            Self::Json
        } else {
            Self::Yaml
        }
    }
}

/// The document. Serialized by the export (`emulator::export`), with absent values left out.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    /// Written by an export: when, from what, and that its secrets are hashes. Ignored on load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<Exported>,
    /// Users.
    #[serde(default)]
    pub users: Vec<FixtureUser>,
    /// Teams and their members.
    #[serde(default)]
    pub teams: Vec<FixtureTeam>,
    /// Projects of the tiered surface.
    #[serde(default)]
    pub projects: Vec<FixtureProject>,
    /// Fault rules, as `POST /admin/faults` takes them.
    #[serde(default)]
    pub faults: Vec<FaultRuleSpec>,
}

/// What an export says about itself (informative; a load ignores it).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    /// Export time.
    pub at: Option<DateTime<Utc>>,
    /// The gateway version that wrote it.
    pub gateway_version: Option<String>,
    /// How secrets are written (hashes only).
    pub secrets: Option<String>,
}

/// A user: every core field, plus its API keys, fixed tokens and selected team.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureUser {
    /// Fixed id (generated when absent).
    pub id: Option<Uuid>,
    /// Unique username.
    pub username: String,
    /// Primary email.
    pub email: Option<String>,
    /// Email verified (default false).
    pub email_verified: Option<bool>,
    /// Email sign-in (default true).
    pub email_auth_enabled: Option<bool>,
    /// Plain password (hashed with argon2id).
    pub password: Option<String>,
    /// Password hash (argon2 or bcrypt, Modular Crypt Format).
    pub password_hash: Option<String>,
    /// Password must be changed.
    pub password_expired: Option<bool>,
    /// TOTP secret (base64).
    pub totp_secret: Option<String>,
    /// OAuth provider (with `oauth_id`).
    pub oauth_provider: Option<String>,
    /// Account id at the OAuth provider.
    pub oauth_id: Option<String>,
    /// `regular` (default), `service_account` or `admin`.
    pub kind: Option<String>,
    /// Owning organization (service accounts).
    pub organization_id: Option<Uuid>,
    /// Default true.
    pub is_active: Option<bool>,
    /// Default false.
    pub is_superuser: Option<bool>,
    /// Default false.
    pub is_platform_admin: Option<bool>,
    /// Default false.
    pub is_onboarded: Option<bool>,
    /// Default false.
    pub email_opt_in: Option<bool>,
    /// Default false.
    pub is_anonymous: Option<bool>,
    /// Default false.
    pub restricted_by_admin: Option<bool>,
    /// Public restriction reason.
    pub restricted_by_admin_reason: Option<String>,
    /// Private restriction details.
    pub restricted_by_admin_private_details: Option<String>,
    /// Default true.
    pub otp_auth_enabled: Option<bool>,
    /// Default false.
    pub passkey_auth_enabled: Option<bool>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Bio.
    pub bio: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// BCP-47 locale.
    pub locale: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// E.164 phone number.
    pub phone_number: Option<String>,
    /// Phone number verified (default false; `true` needs a number).
    pub phone_number_verified: Option<bool>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// `active` (the default for fixtures), `pending`, `invited` or `banned`.
    pub status: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<String>,
    /// 0-100.
    pub risk_sign_up_bot: Option<i64>,
    /// 0-100.
    pub risk_sign_up_free_trial_abuse: Option<i64>,
    /// Client metadata (any JSON).
    pub client_metadata: Option<Value>,
    /// Client-read-only metadata (any JSON).
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata (any JSON).
    pub server_metadata: Option<Value>,
    /// Selected team, by id or display name (the user must be a member).
    pub selected_team: Option<String>,
    /// Creation time (default: load time).
    pub created_at: Option<DateTime<Utc>>,
    /// Sign-up time (default: `created_at`).
    pub signed_up_at: Option<DateTime<Utc>>,
    /// Last activity (default: `created_at`).
    pub last_active_at: Option<DateTime<Utc>>,
    /// Last change (default: `created_at`).
    pub updated_at: Option<DateTime<Utc>>,
    /// Version counter (default: as a new account after these fields, 1 or more).
    pub version: Option<i64>,
    /// API keys with known full text.
    #[serde(default)]
    pub api_keys: Vec<FixtureKey>,
    /// Fixed access tokens.
    #[serde(default)]
    pub tokens: Vec<FixtureToken>,
    /// Refresh sessions, known by the digest of their refresh token (what an export writes).
    #[serde(default)]
    pub sessions: Vec<FixtureSession>,
    /// Contact channels besides the primary `email` (gateway-core `channels`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_channels: Vec<FixtureChannel>,
}

/// A contact channel besides a user's primary email.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureChannel {
    /// An email address (normalised as every stored email is).
    pub value: String,
    /// Verified (default false).
    #[serde(default)]
    pub is_verified: bool,
    /// Signs the user in (default false): nobody else's username, email or sign-in channel.
    #[serde(default)]
    pub used_for_auth: bool,
    /// When it was added (default: the load's time).
    pub created_at: Option<DateTime<Utc>>,
}

/// A refresh session: the gateway's access tokens that name its id, and its refresh token, work
/// again after a load.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureSession {
    /// Session id (the `sid` of its access tokens).
    pub id: Uuid,
    /// Surface name.
    pub surface: String,
    /// SHA-256 (hex) of the refresh token.
    pub refresh_token_sha256: String,
    /// Opening time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// The project (of this document) the session is bound to (tiered sessions).
    pub project_id: Option<Uuid>,
    /// Opened by an administrator to act as the user (tiered `is_impersonation`).
    #[serde(default)]
    pub is_impersonation: bool,
}

/// An API key: its full text (`key`), or its public `id` and the `secret_sha256` of its secret
/// (what an export writes).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureKey {
    /// Surface name.
    pub surface: String,
    /// `<surface prefix><16 hex>_<secret of at least 8 characters>`.
    pub key: Option<String>,
    /// The public id (16 hex digits), with `secret_sha256` instead of `key`.
    pub id: Option<String>,
    /// SHA-256 (hex) of the secret after the id, with `id` instead of `key`.
    pub secret_sha256: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// Creation time (default: load time).
    pub created_at: Option<DateTime<Utc>>,
    /// Expiry (default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// A public key (tiered `pk_…`; default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_public: bool,
    /// The last four characters of the key's text (tiered lists show them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A fixed access token: its text, or the SHA-256 of its text (what an export writes).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureToken {
    /// Surface name.
    pub surface: String,
    /// The token text: 16-4096 visible ASCII characters.
    pub token: Option<String>,
    /// SHA-256 (hex) of the token text, instead of `token`.
    pub token_sha256: Option<String>,
}

/// A team.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureTeam {
    /// Fixed id (generated when absent).
    pub id: Option<Uuid>,
    /// Name.
    pub display_name: String,
    /// Image URL.
    pub profile_image_url: Option<String>,
    /// Client metadata.
    pub client_metadata: Option<Value>,
    /// Client-read-only metadata.
    pub client_read_only_metadata: Option<Value>,
    /// Server metadata.
    pub server_metadata: Option<Value>,
    /// Creation time (default: load time).
    pub created_at: Option<DateTime<Utc>>,
    /// Members.
    #[serde(default)]
    pub members: Vec<FixtureMember>,
}

/// A membership.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureMember {
    /// The user, by username or id (a user of this document).
    pub user: String,
    /// `member` (default) or `owner`.
    pub role: Option<String>,
    /// Join time (default: load time).
    pub joined_at: Option<DateTime<Utc>>,
    /// The permissions the member holds in the team (default: `team_admin` for an owner,
    /// `team_member` for a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
}

/// A project of the tiered surface with known keys: each key in clear, or as the SHA-256 of its
/// text (`..._sha256`, what an export writes).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureProject {
    /// Project id (generated when absent).
    pub id: Option<Uuid>,
    /// Name.
    pub display_name: String,
    /// `pck_…`.
    pub publishable_client_key: Option<String>,
    /// SHA-256 (hex) of the publishable client key, instead of it.
    pub publishable_client_key_sha256: Option<String>,
    /// `ssk_…`.
    pub secret_server_key: Option<String>,
    /// SHA-256 (hex) of the secret server key, instead of it.
    pub secret_server_key_sha256: Option<String>,
    /// Default false.
    #[serde(default)]
    pub require_publishable_client_key: bool,
    /// Default false.
    #[serde(default)]
    pub allow_client_user_deletion: bool,
    /// Default false.
    #[serde(default)]
    pub client_team_creation_enabled: bool,
    /// Default false.
    #[serde(default)]
    pub create_team_on_sign_up: bool,
    /// Default false.
    #[serde(default)]
    pub allow_user_api_keys: bool,
    /// Default true: new users may sign up (the vendor's `sign_up_enabled`).
    #[serde(default = "yes")]
    pub sign_up_enabled: bool,
    /// Default true: password sign-up and sign-in (the vendor's `credential_enabled`).
    #[serde(default = "yes")]
    pub credential_enabled: bool,
    /// Default true: one-time-code sign-in (the vendor's `magic_link_enabled`).
    #[serde(default = "yes")]
    pub magic_link_enabled: bool,
}

fn yes() -> bool {
    true
}

/// One problem in a document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Where in the document (`users[1].email`); empty for the whole document.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A refused document: its name and every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    /// File path or `request body`.
    pub source: String,
    /// The problems, in document order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| {
                let at = match (p.line, p.column) {
                    (Some(l), Some(c)) => format!("{}:{l}:{c}", self.source),
                    (Some(l), None) => format!("{}:{l}", self.source),
                    _ => self.source.clone(),
                };
                if p.path.is_empty() {
                    format!("{at}: {}", p.message)
                } else {
                    format!("{at}: {}: {}", p.path, p.message)
                }
            })
            .collect();
        f.write_str(&lines.join("; "))
    }
}

impl std::error::Error for FixtureError {}

/// A key to import.
#[derive(Clone)]
pub struct PlannedKey {
    /// Owner.
    pub user: UserId,
    /// Surface.
    pub surface: Surface,
    /// Full text, or id and digest.
    pub material: KeyMaterial,
    /// Label.
    pub label: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, public flag, hint.
    pub extras: import::KeyExtras,
}

/// A membership to write: team, user, role, join time, and the permissions when the file names
/// them (else the role's default).
pub type PlannedMembership = (Uuid, UserId, TeamRole, DateTime<Utc>, Option<Vec<String>>);

/// How a fixture gives an API key.
#[derive(Clone)]
pub enum KeyMaterial {
    /// The full text.
    Text(String),
    /// The public id and the SHA-256 (hex) of the secret.
    Digest {
        /// Public id.
        id: String,
        /// SHA-256 of the secret.
        secret_sha256: String,
    },
}

/// A checked document, ready to write.
#[derive(Clone)]
pub struct Plan {
    /// File path or `request body`.
    pub source: String,
    /// Teams.
    pub teams: Vec<Team>,
    /// Users (passwords hashed).
    pub users: Vec<User>,
    /// Memberships and their join times.
    pub memberships: Vec<PlannedMembership>,
    /// API keys.
    pub keys: Vec<PlannedKey>,
    /// Fixed tokens.
    pub tokens: Vec<FixedToken>,
    /// Refresh sessions and their projects.
    pub sessions: Vec<(NewSession, Option<Uuid>)>,
    /// Users' contact channels besides their primary emails.
    pub channels: Vec<ContactChannel>,
    /// Projects.
    pub projects: Vec<KnownProject>,
    /// Fault rules (checked; ids are fresh at every load).
    pub faults: Vec<FaultRuleSpec>,
}

/// What a load wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// File path or `request body`.
    pub source: String,
    /// User ids by username.
    pub users: HashMap<String, String>,
    /// Team ids by display name.
    pub teams: HashMap<String, String>,
    /// Project ids by display name.
    pub projects: HashMap<String, String>,
    /// Counts.
    pub counts: Counts,
}

/// Counts of what a load wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Users.
    pub users: usize,
    /// Teams.
    pub teams: usize,
    /// Memberships.
    pub memberships: usize,
    /// API keys.
    pub api_keys: usize,
    /// Fixed tokens.
    pub tokens: usize,
    /// Refresh sessions.
    pub sessions: usize,
    /// Projects.
    pub projects: usize,
    /// Fault rules.
    pub faults: usize,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token texts, key texts or password hashes.
        f.debug_struct("Plan")
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// What this plan writes.
    pub fn summary(&self) -> Summary {
        Summary {
            source: self.source.clone(),
            users: self
                .users
                .iter()
                .map(|u| (u.identity.username.clone(), u.id.to_string()))
                .collect(),
            teams: self
                .teams
                .iter()
                .map(|t| (t.display_name.clone(), t.id.to_string()))
                .collect(),
            projects: self
                .projects
                .iter()
                .map(|p| (p.display_name.trim().to_owned(), p.id.to_string()))
                .collect(),
            counts: Counts {
                users: self.users.len(),
                teams: self.teams.len(),
                memberships: self.memberships.len(),
                api_keys: self.keys.len(),
                tokens: self.tokens.len(),
                sessions: self.sessions.len(),
                projects: self.projects.len(),
                faults: self.faults.len(),
            },
        }
    }
}

/// A path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// Problems found by the checks, with their document paths; lines are added afterwards.
#[derive(Default)]
struct Issues(Vec<(Vec<Seg>, String)>);

impl Issues {
    fn push(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        self.0.push((path, message.into()));
    }
}

fn at(base: &[Seg], more: &[Seg]) -> Vec<Seg> {
    base.iter().chain(more).cloned().collect()
}

/// Parses and checks a document (API keys against the surfaces' `prefixes`); hashes plain
/// passwords (argon2id, so run it off the async workers). Nothing is written.
pub fn prepare(
    source: &str,
    text: &str,
    format: Format,
    prefixes: &KeyPrefixes,
) -> Result<Plan, FixtureError> {
    let file: FixtureFile = match format {
        Format::Yaml if text.trim().is_empty() => FixtureFile::default(),
        Format::Yaml => serde_norway::from_str(text).map_err(|e| {
            let loc = e.location();
            syntax_error(
                source,
                &e.to_string(),
                loc.as_ref().map(|l| (l.line(), l.column())),
            )
        })?,
        Format::Json => serde_json::from_str(text).map_err(|e| {
            let loc = (e.line() > 0).then(|| (e.line(), e.column()));
            syntax_error(source, &e.to_string(), loc)
        })?,
    };
    let mut issues = Issues::default();
    let plan = check(source, file, prefixes, &mut issues);
    if issues.0.is_empty() {
        return Ok(plan);
    }
    let problems = issues
        .0
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = locate_nearest(text, format, &path).unzip();
            Problem {
                path: render_path(&path),
                line,
                column,
                message,
            }
        })
        .collect();
    Err(FixtureError {
        source: source.to_owned(),
        problems,
    })
}

fn syntax_error(source: &str, text: &str, loc: Option<(usize, usize)>) -> FixtureError {
    // The parsers append " at line L column C"; the location is reported separately.
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    };
    let (path, message) = match message.split_once(": ") {
        Some((p, m)) if !p.contains(' ') && !p.is_empty() => (p.to_owned(), m.to_owned()),
        _ => (String::new(), message),
    };
    let (line, column) = loc.unzip();
    FixtureError {
        source: source.to_owned(),
        problems: vec![Problem {
            path,
            line,
            column,
            message,
        }],
    }
}

fn parse_surface(value: &str, path: Vec<Seg>, issues: &mut Issues) -> Option<Surface> {
    match value.parse::<Surface>() {
        Ok(s) => Some(s),
        Err(e) => {
            issues.push(path, e);
            None
        }
    }
}

fn metadata(
    client: Option<Value>,
    client_read_only: Option<Value>,
    server: Option<Value>,
) -> MetadataTiers {
    MetadataTiers {
        client,
        client_read_only,
        server,
    }
}

fn check(source: &str, file: FixtureFile, prefixes: &KeyPrefixes, issues: &mut Issues) -> Plan {
    let FixtureFile {
        exported: _,
        users,
        teams,
        projects,
        faults,
    } = file;
    let now = gateway_core::service::now();
    let mut plan = Plan {
        source: source.to_owned(),
        teams: Vec::new(),
        users: Vec::new(),
        memberships: Vec::new(),
        keys: Vec::new(),
        tokens: Vec::new(),
        sessions: Vec::new(),
        channels: Vec::new(),
        projects: Vec::new(),
        faults: Vec::new(),
    };

    // Teams first: users refer to them.
    let mut team_ids: HashMap<Uuid, usize> = HashMap::new();
    let mut team_names: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut team_members = Vec::new();
    for (i, t) in teams.into_iter().enumerate() {
        let base = [key("teams"), Seg::Index(i)];
        let FixtureTeam {
            id,
            display_name,
            profile_image_url,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            created_at,
            members,
        } = t;
        let id = id.unwrap_or_else(Uuid::new_v4);
        if team_ids.insert(id, i).is_some() {
            issues.push(
                at(&base, &[key("id")]),
                format!("team id {id} is used twice"),
            );
        }
        let name = display_name.trim().to_owned();
        if name.is_empty() {
            issues.push(at(&base, &[key("display_name")]), "must not be empty");
        }
        team_names.entry(name.clone()).or_default().push(id);
        plan.teams.push(Team {
            id,
            display_name: name,
            profile_image_url,
            metadata: metadata(client_metadata, client_read_only_metadata, server_metadata),
            created_at: created_at.unwrap_or(now),
        });
        team_members.push((id, base, members));
    }

    let mut usernames: HashMap<String, UserId> = HashMap::new();
    let mut user_ids: HashMap<UserId, usize> = HashMap::new();
    let mut emails: HashMap<String, usize> = HashMap::new();
    let mut key_ids: HashMap<String, Vec<Seg>> = HashMap::new();
    let mut token_texts: HashMap<String, Vec<Seg>> = HashMap::new();
    let mut session_keys: HashMap<String, Vec<Seg>> = HashMap::new();
    let mut session_projects: Vec<(Uuid, Vec<Seg>)> = Vec::new();
    let mut selections = Vec::new();
    for (i, u) in users.into_iter().enumerate() {
        let base = vec![key("users"), Seg::Index(i)];
        let (user, selected, keys, tokens, sessions, channels) = user_from(u, now, &base, issues);
        plan_channels(&user, channels, now, &base, &mut plan.channels, issues);
        for (j, session) in sessions.into_iter().enumerate() {
            let spath = at(&base, &[key("sessions"), Seg::Index(j)]);
            let FixtureSession {
                id,
                surface,
                refresh_token_sha256,
                created_at,
                expires_at,
                project_id,
                is_impersonation,
            } = session;
            let Some(surface) = parse_surface(&surface, at(&spath, &[key("surface")]), issues)
            else {
                continue;
            };
            if !import::is_sha256_hex(&refresh_token_sha256) {
                issues.push(
                    at(&spath, &[key("refresh_token_sha256")]),
                    "must be a SHA-256 digest (64 hex digits)",
                );
                continue;
            }
            let digest = refresh_token_sha256.to_ascii_lowercase();
            if let Some(first) = session_keys.insert(id.to_string(), spath.clone()) {
                issues.push(
                    at(&spath, &[key("id")]),
                    format!("session id {id} is used by {} already", render_path(&first)),
                );
            }
            if let Some(first) = session_keys.insert(digest.clone(), spath.clone()) {
                issues.push(
                    at(&spath, &[key("refresh_token_sha256")]),
                    format!(
                        "the same refresh token is given at {} already",
                        render_path(&first)
                    ),
                );
            }
            if let Some(project) = project_id {
                session_projects.push((project, spath.clone()));
            }
            plan.sessions.push((
                NewSession {
                    id,
                    user_id: user.id,
                    surface,
                    refresh_token_hash: digest,
                    created_at,
                    expires_at,
                    is_impersonation,
                },
                project_id,
            ));
        }
        if user_ids.insert(user.id, i).is_some() {
            issues.push(
                at(&base, &[key("id")]),
                format!("user id {} is used twice", user.id),
            );
        }
        if usernames
            .insert(user.identity.username.clone(), user.id)
            .is_some()
        {
            issues.push(
                at(&base, &[key("username")]),
                format!("username {:?} is used twice", user.identity.username),
            );
        }
        if let Some(email) = &user.identity.email
            && emails.insert(email.clone(), i).is_some()
        {
            issues.push(
                at(&base, &[key("email")]),
                format!("email {email:?} is used twice"),
            );
        }
        for (j, k) in keys.into_iter().enumerate() {
            let kpath = at(&base, &[key("api_keys"), Seg::Index(j)]);
            let FixtureKey {
                surface,
                key: text,
                id,
                secret_sha256,
                label,
                created_at,
                expires_at,
                is_public,
                hint,
            } = k;
            let Some(surface) = parse_surface(&surface, at(&kpath, &[key("surface")]), issues)
            else {
                continue;
            };
            let checked = match (text, id, secret_sha256) {
                (Some(text), None, None) => {
                    import::parse_known_api_key(surface, prefixes.get(surface), &text)
                        .map(|(id, _)| (id, KeyMaterial::Text(text)))
                        .map_err(|issue| (at(&kpath, &[key("key")]), issue.message))
                }
                (None, Some(id), Some(digest)) => import::check_api_key_digest(&id, &digest)
                    .map(|(id, secret_sha256)| {
                        (id.clone(), KeyMaterial::Digest { id, secret_sha256 })
                    })
                    .map_err(|issue| (at(&kpath, &[key(issue.field.as_str())]), issue.message)),
                _ => Err((
                    kpath.clone(),
                    "give key, or id and secret_sha256 (not both)".to_owned(),
                )),
            };
            match checked {
                Ok((id, material)) => {
                    let field = match material {
                        KeyMaterial::Text(_) => "key",
                        KeyMaterial::Digest { .. } => "id",
                    };
                    if let Some(first) = key_ids.insert(id.clone(), kpath.clone()) {
                        issues.push(
                            at(&kpath, &[key(field)]),
                            format!("key id {id} is used by {} already", render_path(&first)),
                        );
                    }
                    plan.keys.push(PlannedKey {
                        user: user.id,
                        surface,
                        material,
                        label,
                        created_at: created_at.unwrap_or(now),
                        extras: import::KeyExtras {
                            expires_at,
                            is_public,
                            hint,
                        },
                    });
                }
                Err((path, message)) => issues.push(path, message),
            }
        }
        for (j, t) in tokens.into_iter().enumerate() {
            let tpath = at(&base, &[key("tokens"), Seg::Index(j)]);
            let FixtureToken {
                surface,
                token,
                token_sha256,
            } = t;
            let Some(surface) = parse_surface(&surface, at(&tpath, &[key("surface")]), issues)
            else {
                continue;
            };
            let token = match (token, token_sha256) {
                (Some(token), None) => token,
                (None, Some(digest)) if import::is_sha256_hex(&digest) => {
                    if surface == Surface::Users {
                        issues.push(
                            at(&tpath, &[key("surface")]),
                            "the users surface does not accept fixed tokens",
                        );
                        continue;
                    }
                    let digest = digest.to_ascii_lowercase();
                    if let Some(first) = token_texts.insert(digest.clone(), tpath.clone()) {
                        issues.push(
                            at(&tpath, &[key("token_sha256")]),
                            format!("the same token is given at {} already", render_path(&first)),
                        );
                    }
                    plan.tokens.push(FixedToken {
                        sha256: digest,
                        surface,
                        user: user.id,
                    });
                    continue;
                }
                (None, Some(_)) => {
                    issues.push(
                        at(&tpath, &[key("token_sha256")]),
                        "must be a SHA-256 digest (64 hex digits)",
                    );
                    continue;
                }
                _ => {
                    issues.push(tpath.clone(), "give token or token_sha256 (one of them)");
                    continue;
                }
            };
            let len = token.len();
            if !(16..=4096).contains(&len) || !token.chars().all(|c| c.is_ascii_graphic()) {
                issues.push(
                    at(&tpath, &[key("token")]),
                    "must be 16-4096 visible ASCII characters (no spaces)",
                );
                continue;
            }
            if surface == Surface::Users {
                // The tiered dialect signs and verifies its own (ES256) access tokens and does
                // not consult the gateway's fixed tokens; accepting one here would hand the test
                // suite a token that every request refuses.
                issues.push(
                    at(&tpath, &[key("surface")]),
                    "the users surface verifies its own token format; fixed tokens are not \
                     accepted there (use a project's keys and its refresh flow)",
                );
                continue;
            }
            if parse_api_key(prefixes.get(surface), &token).is_some() {
                issues.push(
                    at(&tpath, &[key("token")]),
                    format!(
                        "looks like an API key of {}; use api_keys for keys",
                        surface.as_str()
                    ),
                );
                continue;
            }
            let fixed = FixedToken::new(&token, surface, user.id);
            if let Some(first) = token_texts.insert(fixed.sha256.clone(), tpath.clone()) {
                issues.push(
                    at(&tpath, &[key("token")]),
                    format!("the same token is given at {} already", render_path(&first)),
                );
            }
            plan.tokens.push(fixed);
        }
        if let Some(sel) = selected {
            selections.push((plan.users.len(), base.clone(), sel));
        }
        plan.users.push(user);
    }

    let user_ref = |r: &str| -> Option<UserId> {
        usernames.get(r).copied().or_else(|| {
            r.parse::<UserId>()
                .ok()
                .filter(|id| user_ids.contains_key(id))
        })
    };
    for (team_id, base, members) in team_members {
        let mut seen = Vec::new();
        for (
            j,
            FixtureMember {
                user,
                role,
                joined_at,
                permissions,
            },
        ) in members.into_iter().enumerate()
        {
            let mpath = at(&base, &[key("members"), Seg::Index(j)]);
            let Some(uid) = user_ref(&user) else {
                issues.push(
                    at(&mpath, &[key("user")]),
                    format!("no user {user:?} in this document"),
                );
                continue;
            };
            if seen.contains(&uid) {
                issues.push(
                    at(&mpath, &[key("user")]),
                    format!("{user:?} is a member twice"),
                );
                continue;
            }
            seen.push(uid);
            match role.as_deref().unwrap_or("member").parse::<TeamRole>() {
                Ok(role) => plan.memberships.push((
                    team_id,
                    uid,
                    role,
                    joined_at.unwrap_or(now),
                    permissions,
                )),
                Err(e) => issues.push(at(&mpath, &[key("role")]), e),
            }
        }
    }
    for (index, base, sel) in selections {
        let path = at(&base, &[key("selected_team")]);
        let team = match sel.parse::<Uuid>() {
            Ok(id) if team_ids.contains_key(&id) => Some(id),
            _ => match team_names.get(sel.trim()).map(Vec::as_slice) {
                Some([id]) => Some(*id),
                Some(_) => {
                    issues.push(
                        path.clone(),
                        format!("several teams are named {sel:?}; use the team id"),
                    );
                    None
                }
                None => {
                    issues.push(path.clone(), format!("no team {sel:?} in this document"));
                    None
                }
            },
        };
        if let (Some(team), Some(user)) = (team, plan.users.get_mut(index)) {
            if plan
                .memberships
                .iter()
                .any(|(t, u, ..)| *t == team && *u == user.id)
            {
                user.account.selected_team_id = Some(team);
            } else {
                issues.push(
                    path,
                    format!("{} is not a member of that team", user.identity.username),
                );
            }
        }
    }

    let mut project_ids = HashMap::new();
    let mut project_keys: HashMap<String, Vec<Seg>> = HashMap::new();
    for (i, p) in projects.into_iter().enumerate() {
        let base = [key("projects"), Seg::Index(i)];
        let FixtureProject {
            id,
            display_name,
            publishable_client_key,
            publishable_client_key_sha256,
            secret_server_key,
            secret_server_key_sha256,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
        } = p;
        let mut unusable: Vec<&'static str> = Vec::new();
        let mut secret = |field: &'static str, plain: Option<String>, digest: Option<String>| match (
            plain, digest,
        ) {
            (Some(text), None) => KnownSecret::Plain(text),
            (None, Some(digest)) => KnownSecret::Sha256(digest),
            _ => {
                issues.push(
                    at(&base, &[key(field)]),
                    format!("give {field} or {field}_sha256 (one of them)"),
                );
                unusable.push(field);
                KnownSecret::Plain(String::new())
            }
        };
        let publishable_client_key = secret(
            "publishable_client_key",
            publishable_client_key,
            publishable_client_key_sha256,
        );
        let secret_server_key = secret(
            "secret_server_key",
            secret_server_key,
            secret_server_key_sha256,
        );
        let known = KnownProject {
            id: id.unwrap_or_else(Uuid::new_v4),
            display_name,
            publishable_client_key,
            secret_server_key,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
        };
        if project_ids.insert(known.id, i).is_some() {
            issues.push(
                at(&base, &[key("id")]),
                format!("project id {} is used twice", known.id),
            );
        }
        for (field, value) in [
            ("publishable_client_key", &known.publishable_client_key),
            ("secret_server_key", &known.secret_server_key),
        ] {
            let path = at(&base, &[key(field)]);
            if let Some(first) = project_keys.insert(value.digest(), path.clone()) {
                issues.push(
                    path,
                    format!("the same key is given at {} already", render_path(&first)),
                );
            }
        }
        if let Err(found) = import::check_project(&known, now) {
            for FieldIssue { field, message, .. } in found {
                if !unusable.contains(&field.as_str()) {
                    issues.push(at(&base, &[key(field.as_str())]), message);
                }
            }
        }
        plan.projects.push(known);
    }

    for (project, path) in session_projects {
        if !project_ids.contains_key(&project) {
            issues.push(
                at(&path, &[key("project_id")]),
                format!("no project {project} in this document"),
            );
        }
    }

    for (i, spec) in faults.into_iter().enumerate() {
        match spec.clone().check() {
            Ok(_) => plan.faults.push(spec),
            Err(e) => issues.push(vec![key("faults"), Seg::Index(i)], e),
        }
    }
    plan
}

type UserParts = (
    User,
    Option<String>,
    Vec<FixtureKey>,
    Vec<FixtureToken>,
    Vec<FixtureSession>,
    Vec<FixtureChannel>,
);

/// Checks a user's contact channels (`users[i].contact_channels`): email addresses, none its
/// primary email or given twice, at most the core's cap.
fn plan_channels(
    user: &User,
    channels: Vec<FixtureChannel>,
    now: DateTime<Utc>,
    base: &[Seg],
    out: &mut Vec<ContactChannel>,
    issues: &mut Issues,
) {
    if channels.len() > gateway_core::MAX_OTHER_CHANNELS {
        issues.push(
            at(base, &[key("contact_channels")]),
            format!(
                "at most {} contact channels besides the primary email",
                gateway_core::MAX_OTHER_CHANNELS
            ),
        );
    }
    let mut seen: Vec<String> = user.identity.email.iter().cloned().collect();
    for (j, c) in channels.into_iter().enumerate() {
        let path = at(
            base,
            &[key("contact_channels"), Seg::Index(j), key("value")],
        );
        let value = gateway_core::validate::normalize_email(&c.value);
        if let Err(issue) = gateway_core::validate::email(&value) {
            issues.push(path, issue.message);
            continue;
        }
        if seen.contains(&value) {
            issues.push(path, format!("{value} is the user's already"));
            continue;
        }
        seen.push(value.clone());
        out.push(ContactChannel {
            id: gateway_core::channel_id(user.id, &value),
            user_id: user.id,
            value,
            is_primary: false,
            is_verified: c.is_verified,
            used_for_auth: c.used_for_auth,
            created_at: c.created_at.unwrap_or(now),
        });
    }
}

fn user_from(u: FixtureUser, now: DateTime<Utc>, base: &[Seg], issues: &mut Issues) -> UserParts {
    let FixtureUser {
        id,
        username,
        email,
        email_verified,
        email_auth_enabled,
        password,
        password_hash,
        password_expired,
        totp_secret,
        oauth_provider,
        oauth_id,
        kind,
        organization_id,
        is_active,
        is_superuser,
        is_platform_admin,
        is_onboarded,
        email_opt_in,
        is_anonymous,
        restricted_by_admin,
        restricted_by_admin_reason,
        restricted_by_admin_private_details,
        otp_auth_enabled,
        passkey_auth_enabled,
        first_name,
        last_name,
        display_name,
        bio,
        avatar_url,
        locale,
        timezone,
        phone_number,
        phone_number_verified,
        company,
        job_title,
        status,
        country_code,
        risk_sign_up_bot,
        risk_sign_up_free_trial_abuse,
        client_metadata,
        client_read_only_metadata,
        server_metadata,
        selected_team,
        created_at,
        signed_up_at,
        last_active_at,
        updated_at,
        version,
        api_keys,
        tokens,
        sessions,
        contact_channels,
    } = u;
    let created = created_at.unwrap_or(now);
    let mut user = User::new(id.map_or_else(UserId::new, UserId), username, created);
    user.account.status = UserStatus::Active;
    let field = |name: &str| at(base, &[key(name)]);
    let hash = match (password, password_hash) {
        (Some(_), Some(_)) => {
            issues.push(
                field("password"),
                "give password or password_hash, not both",
            );
            None
        }
        (Some(plain), None) => match import::password_hash(PasswordChange::Plain(plain)) {
            Ok(h) => Some(h),
            Err(i) => {
                issues.push(field("password"), i.message);
                None
            }
        },
        (None, hash) => hash,
    };
    if let Some(kind) = kind {
        match kind.parse::<UserKind>() {
            Ok(k) => user.account.kind = k,
            Err(e) => issues.push(field("kind"), e),
        }
    }
    if let Some(status) = status {
        match status.parse::<UserStatus>() {
            Ok(s) => user.account.status = s,
            Err(e) => issues.push(field("status"), e),
        }
    }
    // Every field as a patch on the defaults of a new account (`User::new`), applied by the
    // core's one mapping; `None` keeps the default.
    UserPatch {
        username: None,
        email: email.map(Some),
        email_verified,
        email_auth_enabled,
        password: None,
        password_expired: password_expired.map(Some),
        totp_secret: totp_secret.map(Some),
        is_active,
        is_superuser,
        is_platform_admin,
        is_onboarded,
        email_opt_in,
        is_anonymous,
        restricted_by_admin,
        restricted_by_admin_reason: restricted_by_admin_reason.map(Some),
        restricted_by_admin_private_details: restricted_by_admin_private_details.map(Some),
        otp_auth_enabled,
        passkey_auth_enabled,
        first_name: first_name.map(Some),
        last_name: last_name.map(Some),
        display_name: display_name.map(Some),
        bio: bio.map(Some),
        avatar_url: avatar_url.map(Some),
        locale: locale.map(Some),
        timezone: timezone.map(Some),
        phone_number: phone_number.map(Some),
        phone_number_verified,
        company: company.map(Some),
        job_title: job_title.map(Some),
        status: None,
        country_code: country_code.map(Some),
        risk_scores: Some((
            risk_sign_up_bot.unwrap_or(0),
            risk_sign_up_free_trial_abuse.unwrap_or(0),
        )),
        client_metadata: Some(client_metadata),
        client_read_only_metadata: Some(client_read_only_metadata),
        server_metadata: Some(server_metadata),
        selected_team_id: None,
        expected_version: None,
    }
    .apply_to(&mut user);
    user.security.password_hash = hash;
    user.security.oauth_provider = oauth_provider;
    user.security.oauth_id = oauth_id;
    user.account.organization_id = organization_id;
    user.timestamps.signed_up_at = signed_up_at.unwrap_or(created);
    user.timestamps.last_active_at = last_active_at.unwrap_or(created);
    user.timestamps.updated_at = updated_at.unwrap_or(created);
    if let Some(version) = version {
        user.version = version;
    }
    for FieldIssue {
        field: name,
        message,
        ..
    } in import::check_user(&mut user)
    {
        issues.push(field(name.as_str()), message);
    }
    (
        user,
        selected_team,
        api_keys,
        tokens,
        sessions,
        contact_channels,
    )
}

// --- Locating a path in the document --------------------------------------------------------

const FOUND: &str = "\u{1}fixture-locate-found";

struct Locate<'p>(&'p [Seg]);

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(LocateVisitor(self.0))
    }
}

struct LocateVisitor<'p>(&'p [Seg]);

impl LocateVisitor<'_> {
    fn scalar<E: de::Error>(&self) -> Result<(), E> {
        if self.0.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for LocateVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        Locate(self.0).deserialize(d)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.0.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        let Seg::Key(wanted) = first else {
            return Ok(());
        };
        while let Some(k) = map.next_key::<String>()? {
            if &k == wanted {
                return map.next_value_seed(Locate(rest));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.0.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        let Seg::Index(wanted) = first else {
            return Ok(());
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Locate(rest)).map(|_| ())
    }
}

/// The line and column the parser reports for the node at `path`.
fn locate(text: &str, format: Format, path: &[Seg]) -> Option<(usize, usize)> {
    match format {
        Format::Yaml => {
            let de = serde_norway::Deserializer::from_str(text);
            match Locate(path).deserialize(de) {
                Err(e) if e.to_string().contains(FOUND) => {
                    e.location().map(|l| (l.line(), l.column()))
                }
                _ => None,
            }
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            match Locate(path).deserialize(&mut de) {
                Err(e) if e.to_string().contains(FOUND) => Some((e.line(), e.column())),
                _ => None,
            }
        }
    }
}

/// The location of `path`, or of its nearest ancestor present in the document (a problem about
/// a field that is absent points at its object).
fn locate_nearest(text: &str, format: Format, path: &[Seg]) -> Option<(usize, usize)> {
    (0..=path.len())
        .rev()
        .find_map(|n| locate(text, format, &path[..n]))
}

// --- Writing --------------------------------------------------------------------------------

/// Replaces the state by `plan`: reset, then teams, users, memberships, API keys, projects,
/// sessions, fixed tokens and fault rules. Stops at the first failure (the caller rolls back).
async fn write(state: &AppState, plan: &Plan) -> Result<(), CoreError> {
    let gateway = &state.gateway;
    state.tokens.set_fixed([]);
    state.faults.clear();
    gateway.reset().await?;
    for team in &plan.teams {
        gateway.import_team(team.clone()).await?;
    }
    for user in &plan.users {
        gateway.import_user(user.clone()).await?;
    }
    gateway.import_contact_channels(&plan.channels).await?;
    for (team, user, role, joined_at, permissions) in &plan.memberships {
        gateway
            .import_membership(*team, *user, *role, *joined_at)
            .await?;
        if let Some(wanted) = permissions {
            let held = gateway.membership(*team, *user).await?.permissions;
            for p in held.iter().filter(|p| !wanted.contains(p)) {
                gateway
                    .change_team_permission(*team, *user, p, false)
                    .await?;
            }
            for p in wanted.iter().filter(|p| !held.contains(p)) {
                gateway
                    .change_team_permission(*team, *user, p, true)
                    .await?;
            }
        }
    }
    for PlannedKey {
        user,
        surface,
        material,
        label,
        created_at,
        extras,
    } in &plan.keys
    {
        match material {
            KeyMaterial::Text(text) => {
                gateway
                    .import_api_key(
                        *user,
                        *surface,
                        text,
                        label.clone(),
                        *created_at,
                        extras.clone(),
                    )
                    .await?
            }
            KeyMaterial::Digest { id, secret_sha256 } => {
                gateway
                    .import_api_key_digest(
                        *user,
                        *surface,
                        id,
                        secret_sha256,
                        label.clone(),
                        *created_at,
                        extras.clone(),
                    )
                    .await?
            }
        };
    }
    for project in &plan.projects {
        write_project(gateway, project).await?;
    }
    for (session, project) in &plan.sessions {
        gateway.import_session(session, *project).await?;
    }
    let mut rules: Vec<FaultRule> = Vec::with_capacity(plan.faults.len());
    for spec in &plan.faults {
        rules.push(spec.clone().check().map_err(CoreError::internal)?);
    }
    state.tokens.set_fixed(plan.tokens.iter().cloned());
    state.faults.replace(rules);
    Ok(())
}

/// Projects survive `reset` (the store keeps them); one with the same id and keys is kept, one
/// with the same id and other keys cannot be replaced.
pub(crate) async fn write_project(
    gateway: &Gateway,
    known: &KnownProject,
) -> Result<(), CoreError> {
    match gateway.project(known.id).await {
        Ok(existing) => {
            let wanted =
                import::check_project(known, existing.created_at).map_err(CoreError::validation)?;
            if existing.publishable_client_key_hash != wanted.publishable_client_key_hash
                || existing.secret_server_key_hash != wanted.secret_server_key_hash
            {
                return Err(CoreError::conflict(
                    Field::Other("id"),
                    format!(
                        "project {} exists with other keys; projects outlive reset",
                        known.id
                    ),
                ));
            }
            gateway
                .update_project(
                    known.id,
                    gateway_core::ProjectPatch {
                        display_name: Some(wanted.display_name),
                        require_publishable_client_key: Some(wanted.require_publishable_client_key),
                        allow_client_user_deletion: Some(wanted.allow_client_user_deletion),
                        client_team_creation_enabled: Some(wanted.client_team_creation_enabled),
                        create_team_on_sign_up: Some(wanted.create_team_on_sign_up),
                        allow_user_api_keys: Some(wanted.allow_user_api_keys),
                        sign_up_enabled: Some(wanted.sign_up_enabled),
                        credential_enabled: Some(wanted.credential_enabled),
                        magic_link_enabled: Some(wanted.magic_link_enabled),
                    },
                )
                .await?;
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            gateway.import_project(known).await.map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// Why a load failed after validation.
#[derive(Debug, thiserror::Error)]
#[error("{error}; {outcome}")]
pub struct LoadFailed {
    /// The write that failed.
    pub error: CoreError,
    /// What the state is now.
    pub outcome: &'static str,
}

/// Writes a checked plan, replacing the state. On failure the state is reset and the previously
/// loaded fixtures (if any) are written again.
pub async fn load(state: &AppState, plan: Plan) -> Result<Summary, LoadFailed> {
    let mut current = state.emulator.fixtures.lock().await;
    match write(state, &plan).await {
        Ok(()) => {
            let summary = plan.summary();
            *current = Some(plan);
            Ok(summary)
        }
        Err(error) => {
            tracing::warn!(error = %error, "loading fixtures failed; rolling back");
            let outcome = match current.as_ref() {
                Some(previous) => match write(state, previous).await {
                    Ok(()) => "the previous fixtures were restored",
                    Err(e) => {
                        tracing::error!(error = %e, "restoring the previous fixtures failed");
                        *current = None;
                        clear(state).await;
                        "the state was reset (restoring the previous fixtures failed too)"
                    }
                },
                None => {
                    clear(state).await;
                    "the state was reset"
                }
            };
            Err(LoadFailed { error, outcome })
        }
    }
}

async fn clear(state: &AppState) {
    state.tokens.set_fixed([]);
    state.faults.clear();
    if let Err(e) = state.gateway.reset().await {
        tracing::error!(error = %e, "reset failed");
    }
}

/// `POST /admin/reset`: back to the loaded fixtures (or empty), fault rules back to the
/// fixtures', journal cleared.
pub async fn reset(state: &AppState) -> Result<Option<Summary>, CoreError> {
    let current = state.emulator.fixtures.lock().await;
    state.emulator.journal.clear(None);
    state.emulator.outbox.clear();
    match current.as_ref() {
        Some(plan) => {
            if let Err(e) = write(state, plan).await {
                clear(state).await;
                return Err(e);
            }
            Ok(Some(plan.summary()))
        }
        None => {
            state.tokens.set_fixed([]);
            state.faults.clear();
            state.gateway.reset().await?;
            Ok(None)
        }
    }
}

/// The summary of the loaded fixtures, if any.
pub async fn current(state: &AppState) -> Option<Summary> {
    state
        .emulator
        .fixtures
        .lock()
        .await
        .as_ref()
        .map(Plan::summary)
}

/// The secret server key of a loaded project, for the console's preview of the tiered surface.
pub async fn project_server_key(state: &AppState) -> Option<(Uuid, String)> {
    let current = state.emulator.fixtures.lock().await;
    current.as_ref().and_then(|p| {
        p.projects.iter().find_map(|p| {
            p.secret_server_key
                .plain()
                .map(|key| (p.id, key.to_owned()))
        })
    })
}

/// Errors of loading a file at start.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Unreadable.
    #[error("cannot read fixtures {0}: {1}")]
    Read(String, std::io::Error),
    /// Refused.
    #[error("fixtures refused: {0}")]
    Invalid(#[from] FixtureError),
    /// Written partially and rolled back.
    #[error("fixtures {0}: {1}")]
    Load(String, LoadFailed),
}

/// Reads, checks and loads a fixture file (`serve --fixtures FILE`).
pub async fn load_file(state: &AppState, path: &Path) -> Result<Summary, FileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FileError::Read(name.clone(), e))?;
    let format = Format::detect(&name, &text);
    let source = name.clone();
    let prefixes = state.gateway.key_prefixes().clone();
    let plan = tokio::task::spawn_blocking(move || prepare(&source, &text, format, &prefixes))
        .await
        .map_err(|e| FileError::Read(name.clone(), std::io::Error::other(e)))??;
    load(state, plan)
        .await
        .map_err(|e| FileError::Load(name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefixes the served dialects declare, as the server registers them.
    fn prefixes() -> KeyPrefixes {
        crate::dialects::REGISTRY.key_prefixes().fold(
            KeyPrefixes::default(),
            |mut p, (surface, prefix)| {
                p.set(surface, prefix);
                p
            },
        )
    }

    fn problems(text: &str, format: Format) -> Vec<(String, Option<usize>, String)> {
        match prepare("f", text, format, &prefixes()) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .into_iter()
                .map(|p| (p.path, p.line, p.message))
                .collect(),
        }
    }

    const GOOD: &str = r#"
users:
  - id: 6f2d4f6e-7a59-4f53-9d0b-3c5bb1c1a001
    username: alice
    email: Alice@Example.com
    password: alice-password
    locale: en-us
    client_metadata: {plan: pro}
    selected_team: Core
    api_keys:
      - surface: platform
        key: dn_0123456789abcdef_alice-secret
    tokens:
      - surface: me
        token: alice-me-token-0001
  - username: bob
teams:
  - display_name: Core
    members:
      - user: alice
        role: owner
      - user: bob
projects:
  - display_name: Demo
    publishable_client_key: pck_0123456789abcdef
    secret_server_key: ssk_0123456789abcdef
faults:
  - surface: me
    status: 503
    count: 1
"#;

    #[test]
    fn a_good_document_becomes_a_plan() {
        let plan = prepare("f.yaml", GOOD, Format::Yaml, &prefixes()).unwrap();
        assert_eq!(plan.users.len(), 2);
        let alice = &plan.users[0];
        assert_eq!(alice.identity.email.as_deref(), Some("alice@example.com"));
        assert_eq!(alice.profile.locale.as_deref(), Some("en-US"));
        assert_eq!(alice.account.status, UserStatus::Active);
        assert!(
            alice
                .security
                .password_hash
                .as_deref()
                .is_some_and(|h| h.starts_with("$argon2id$"))
        );
        assert_eq!(alice.account.selected_team_id, Some(plan.teams[0].id));
        assert_eq!(plan.memberships.len(), 2);
        assert_eq!(plan.keys.len(), 1);
        assert_eq!(plan.tokens.len(), 1);
        assert_eq!(plan.projects.len(), 1);
        assert_eq!(plan.faults.len(), 1);
        assert_eq!(
            plan.summary().users["alice"],
            "6f2d4f6e-7a59-4f53-9d0b-3c5bb1c1a001"
        );
    }

    #[test]
    fn the_same_document_in_json_is_the_same_plan() {
        let value: Value = serde_norway::from_str(GOOD).unwrap();
        let json = serde_json::to_string_pretty(&value).unwrap();
        let plan = prepare("f.json", &json, Format::Json, &prefixes()).unwrap();
        assert_eq!(
            plan.users[0].id.to_string(),
            "6f2d4f6e-7a59-4f53-9d0b-3c5bb1c1a001"
        );
    }

    #[test]
    fn semantic_problems_point_at_their_line() {
        let users = "users:\n  - username: u\n    tokens:\n      - {surface: users, token: tiered-token-0000001}\n";
        assert_eq!(
            problems(users, Format::Yaml)[0].0,
            "users[0].tokens[0].surface"
        );
        let text = "users:\n  - username: ok\n  - username: bad name!\n    email: not-an-email\n    tokens:\n      - surface: nowhere\n        token: short\n";
        assert_eq!(
            problems(text, Format::Yaml),
            vec![
                (
                    "users[1].username".to_owned(),
                    Some(3),
                    "may contain only letters, digits and _ - @ . (or be an email address)"
                        .to_owned()
                ),
                (
                    "users[1].email".to_owned(),
                    Some(4),
                    "must be a valid email address".to_owned()
                ),
                (
                    "users[1].tokens[0].surface".to_owned(),
                    Some(6),
                    "unknown surface \"nowhere\"".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn json_problems_point_at_their_line_too() {
        let text = "{\n  \"users\": [\n    {\"username\": \"a\"},\n    {\n      \"username\": \"a\"\n    }\n  ]\n}\n";
        assert_eq!(
            problems(text, Format::Json),
            vec![(
                "users[1].username".to_owned(),
                Some(5),
                "username \"a\" is used twice".to_owned()
            )]
        );
    }

    #[test]
    fn syntax_and_type_errors_carry_the_parser_location() {
        let p = problems("users:\n  - username: a\n    colour: red\n", Format::Yaml);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].1, Some(3), "{p:?}");
        assert!(p[0].2.contains("unknown field `colour`"), "{p:?}");
        assert_eq!(p[0].0, "users[0]");

        let p = problems("users: [\n  {\"username\": 1}\n", Format::Yaml);
        assert_eq!(p.len(), 1);
        assert!(p[0].1.is_some(), "{p:?}");

        let p = problems("{\"users\": [\n {\"username\": \"a\",}\n]}", Format::Json);
        assert_eq!(p[0].1, Some(2), "{p:?}");
    }

    #[test]
    fn hash_forms_of_secrets_are_checked() {
        let digest = "ab".repeat(32);
        let text = format!(
            r#"
users:
  - username: a
    api_keys:
      - {{surface: platform, id: 0123456789abcdef, secret_sha256: "{digest}"}}
      - {{surface: me, id: 0123456789abcdef, secret_sha256: "{digest}"}}
      - {{surface: me, id: xyz, secret_sha256: "{digest}"}}
      - {{surface: me, key: "bird_0123456789abcdef_secretsecret", id: 0123456789abcdef}}
    tokens:
      - {{surface: me, token_sha256: "{digest}"}}
      - {{surface: me, token_sha256: nope}}
    sessions:
      - {{id: 6f2d4f6e-7a59-4f53-9d0b-3c5bb1c1a001, surface: users, refresh_token_sha256: "{digest}",
         created_at: 2024-01-01T00:00:00Z, expires_at: 2034-01-01T00:00:00Z,
         project_id: 0b6c3c1e-3a61-4f6e-8a4e-5d8f7a2b9c99}}
projects:
  - {{display_name: P, publishable_client_key_sha256: "{digest}"}}
"#
        );
        let found: Vec<_> = problems(&text, Format::Yaml)
            .into_iter()
            .map(|(p, _, _)| p)
            .collect();
        assert_eq!(
            found,
            [
                "users[0].api_keys[1].id",
                "users[0].api_keys[2].id",
                "users[0].api_keys[3]",
                "users[0].tokens[1].token_sha256",
                "projects[0].secret_server_key",
                "users[0].sessions[0].project_id",
            ]
        );
    }

    #[test]
    fn references_and_duplicates_are_checked() {
        let text = r#"
users:
  - username: a
    selected_team: Nope
    api_keys:
      - {surface: platform, key: "dn_0123456789abcdef_secret-one"}
      - {surface: me, key: "dn_0123456789abcdef_secret-two"}
  - username: b
    email: x@example.com
    selected_team: T
    api_keys:
      - {surface: platform, key: "dn_0123456789abcdef_secret-three"}
teams:
  - display_name: T
    members:
      - {user: ghost}
      - {user: a, role: boss}
faults:
  - {status: 200}
"#;
        let found: Vec<_> = problems(text, Format::Yaml)
            .into_iter()
            .map(|(p, l, _)| (p, l))
            .collect();
        assert_eq!(
            found,
            vec![
                ("users[0].api_keys[1].key".to_owned(), Some(7)),
                ("users[1].api_keys[0].key".to_owned(), Some(12)),
                ("teams[0].members[0].user".to_owned(), Some(16)),
                ("teams[0].members[1].role".to_owned(), Some(17)),
                ("users[0].selected_team".to_owned(), Some(4)),
                ("users[1].selected_team".to_owned(), Some(10)),
                ("faults[0]".to_owned(), Some(19)),
            ]
        );
    }

    #[test]
    fn contact_channels_are_addresses_given_once() {
        let text = r#"
users:
  - username: a
    email: a@example.com
    contact_channels:
      - {value: " A.Work@Example.com ", used_for_auth: true}
      - {value: not-an-email}
      - {value: A@example.com}
      - {value: a.work@example.com}
"#;
        let found: Vec<_> = problems(text, Format::Yaml)
            .into_iter()
            .map(|(p, l, _)| (p, l))
            .collect();
        assert_eq!(
            found,
            vec![
                ("users[0].contact_channels[1].value".to_owned(), Some(7)),
                ("users[0].contact_channels[2].value".to_owned(), Some(8)),
                ("users[0].contact_channels[3].value".to_owned(), Some(9)),
            ]
        );
        let good = text.replace(
            "      - {value: not-an-email}\n      - {value: A@example.com}\n      - {value: a.work@example.com}\n",
            "",
        );
        let plan = prepare("t", &good, Format::Yaml, &prefixes()).expect("a good document");
        assert_eq!(plan.channels.len(), 1);
        let c = &plan.channels[0];
        assert_eq!(
            (c.value.as_str(), c.used_for_auth, c.is_verified, c.user_id),
            ("a.work@example.com", true, false, plan.users[0].id)
        );
    }

    #[test]
    fn the_error_names_the_file_line_and_path() {
        let err = prepare(
            "fixtures.yaml",
            "users:\n  - username: ''\n",
            Format::Yaml,
            &prefixes(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "fixtures.yaml:2:15: users[0].username: must not be empty"
        );
    }
}
