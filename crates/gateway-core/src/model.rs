//! The user domain model: users, teams, sessions and API keys, as every dialect sees them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// A user's id: a UUID, shown by every dialect (as a string or a UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub Uuid);

impl UserId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Which kind of account this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKind {
    /// A person.
    Regular,
    /// A machine identity owned by an organization; cannot be updated through self-service.
    ServiceAccount,
    /// The built-in administrator; cannot be updated through self-service.
    Admin,
}

impl UserKind {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::ServiceAccount => "service_account",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for UserKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "regular" => Ok(Self::Regular),
            "service_account" => Ok(Self::ServiceAccount),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown user kind {other:?}")),
        }
    }
}

/// The lifecycle state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    /// Created, not yet confirmed (the default of a new account).
    Pending,
    /// Usable.
    Active,
    /// Invited, not yet signed up.
    Invited,
    /// Locked by an operator.
    Banned,
}

impl UserStatus {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Invited => "invited",
            Self::Banned => "banned",
        }
    }
}

impl FromStr for UserStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Self::Pending),
            "active" => Ok(Self::Active),
            "invited" => Ok(Self::Invited),
            "banned" => Ok(Self::Banned),
            other => Err(format!("unknown user status {other:?}")),
        }
    }
}

/// The three JSON metadata tiers. `None` is "no value" (JSON `null` on the wire).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataTiers {
    /// Readable and writable by the user's own client.
    pub client: Option<Value>,
    /// Readable by the user's client, writable only by servers.
    pub client_read_only: Option<Value>,
    /// Never shown to clients.
    pub server: Option<Value>,
}

/// One user: identity, flags, profile, metadata and timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Unique login name.
    pub username: String,
    /// Unique primary email address (stored lower-case), if any.
    pub email: Option<String>,
    /// Whether the primary email is verified.
    pub email_verified: bool,
    /// Whether the primary email can be used to sign in.
    pub email_auth_enabled: bool,
    /// Password hash in Modular Crypt Format (argon2id by default, bcrypt accepted); never shown.
    pub password_hash: Option<String>,
    /// Whether the password must be changed at next sign-in, when known.
    pub password_expired: Option<bool>,
    /// TOTP secret (base64), when two-factor authentication is on.
    pub totp_secret: Option<String>,
    /// External OAuth provider name, for accounts that sign in through one.
    pub oauth_provider: Option<String>,
    /// The account's id at that provider.
    pub oauth_id: Option<String>,
    /// Regular, service account or admin.
    pub kind: UserKind,
    /// Owning organization of a service account.
    pub organization_id: Option<Uuid>,
    /// Account may sign in.
    pub is_active: bool,
    /// Superuser of the workspace.
    pub is_superuser: bool,
    /// Administrator of the whole platform.
    pub is_platform_admin: bool,
    /// Finished onboarding.
    pub is_onboarded: bool,
    /// Opted in to product and marketing email.
    pub email_opt_in: bool,
    /// Anonymous (not yet signed up) user.
    pub is_anonymous: bool,
    /// Restricted by an administrator.
    pub restricted_by_admin: bool,
    /// Public reason of the restriction.
    pub restricted_by_admin_reason: Option<String>,
    /// Private details of the restriction (server-only).
    pub restricted_by_admin_private_details: Option<String>,
    /// One-time-password sign-in enabled.
    pub otp_auth_enabled: bool,
    /// Passkey sign-in enabled.
    pub passkey_auth_enabled: bool,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Display name (full name).
    pub display_name: Option<String>,
    /// Free-text description.
    pub bio: Option<String>,
    /// Avatar / profile image URL.
    pub avatar_url: Option<String>,
    /// BCP-47 language tag.
    pub locale: Option<String>,
    /// IANA time zone name.
    pub timezone: Option<String>,
    /// Phone number in E.164 form.
    pub phone_number: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Lifecycle state.
    pub status: UserStatus,
    /// ISO 3166-1 alpha-2 country code, upper-case.
    pub country_code: Option<String>,
    /// Sign-up risk score: bot likelihood 0-100.
    pub risk_sign_up_bot: i64,
    /// Sign-up risk score: free-trial abuse 0-100.
    pub risk_sign_up_free_trial_abuse: i64,
    /// The three metadata tiers.
    pub metadata: MetadataTiers,
    /// The team the user has selected, if any (must be one of its teams).
    pub selected_team_id: Option<Uuid>,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last change of any field.
    pub updated_at: DateTime<Utc>,
    /// Sign-up time.
    pub signed_up_at: DateTime<Utc>,
    /// Last authenticated request.
    pub last_active_at: DateTime<Utc>,
    /// Incremented on every change (optimistic concurrency for callers that want it).
    pub version: i64,
}

impl User {
    /// Whether the user is restricted for any reason (anonymous, or restricted by an admin).
    pub fn is_restricted(&self) -> bool {
        self.is_anonymous || self.restricted_by_admin
    }
    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    /// The account rule every surface applies to a verified caller before serving it.
    pub fn standing(&self) -> Standing {
        if self.status == UserStatus::Banned {
            Standing::Banned
        } else if !self.is_active {
            Standing::Inactive
        } else {
            Standing::Good
        }
    }
}

/// Whether an account may be served: one core rule, rendered by each dialect in its own
/// envelope (see `docs/dialects/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May be served.
    Good,
    /// Switched off (`is_active = false`).
    Inactive,
    /// Banned by an operator.
    Banned,
}

impl Standing {
    /// The refusal of an account that is not in good standing (`Forbidden`), if any.
    pub fn refusal(self) -> Option<crate::CoreError> {
        match self {
            Self::Good => None,
            Self::Inactive => Some(crate::CoreError::forbidden("account is disabled")),
            Self::Banned => Some(crate::CoreError::forbidden("this account is banned")),
        }
    }
}

/// A team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// Team id.
    pub id: Uuid,
    /// Team name.
    pub display_name: String,
    /// Team image URL.
    pub profile_image_url: Option<String>,
    /// Team metadata tiers.
    pub metadata: MetadataTiers,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamRole {
    /// Owns the team.
    Owner,
    /// A member.
    Member,
}

impl TeamRole {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }
}

impl FromStr for TeamRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Self::Owner),
            "member" => Ok(Self::Member),
            other => Err(format!("unknown team role {other:?}")),
        }
    }
}

/// A team the user belongs to, with its role.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMembership {
    /// The team.
    pub team: Team,
    /// The user's role in it.
    pub role: TeamRole,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
}

/// The vendor surface a credential is issued for. A token or key carries its surface and is
/// refused by every other surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// snake_case platform API (`/api/v1/user`).
    Platform,
    /// snake_case users-me API (`/auth/login`, `/users/me`).
    UsersMe,
    /// PascalCase account profile API (`/api/workspace/account/profile`).
    AccountProfile,
    /// camelCase current-user API (`/me`).
    Me,
    /// metadata-tiered users API (`/api/v1/users/...`).
    Users,
}

impl Surface {
    /// Every surface, in a fixed order.
    pub const ALL: [Surface; 5] = [
        Self::Platform,
        Self::UsersMe,
        Self::AccountProfile,
        Self::Me,
        Self::Users,
    ];

    /// Stable name, also used as the token audience.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::UsersMe => "users-me",
            Self::AccountProfile => "account-profile",
            Self::Me => "me",
            Self::Users => "users",
        }
    }

    /// The prefix of API keys issued for this surface. Clients of some vendors check it
    /// (`ZENPROKEY_` for users-me), so a key looks like the vendor's own.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Self::Platform => "dn_",
            Self::UsersMe => "ZENPROKEY_",
            Self::AccountProfile => "mt_",
            Self::Me => "bird_",
            Self::Users => "sk_",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Surface {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown surface {s:?}"))
    }
}

/// A sign-in session: a refresh token (stored hashed) that can be revoked. Access tokens issued
/// from it carry its id. Unexpired, unrevoked sessions are the user's "active sessions".
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Session id.
    pub id: Uuid,
    /// Owner.
    pub user_id: UserId,
    /// Surface it was issued for.
    pub surface: Surface,
    /// SHA-256 (hex) of the refresh token.
    pub refresh_token_hash: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A session to insert.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Session id.
    pub id: Uuid,
    /// Owner.
    pub user_id: UserId,
    /// Surface it is issued for.
    pub surface: Surface,
    /// SHA-256 (hex) of the refresh token.
    pub refresh_token_hash: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// An API key: a public id (looked up directly) and a secret stored as a SHA-256 hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Public key id, part of the key text.
    pub id: String,
    /// Owner.
    pub user_id: UserId,
    /// Surface it is valid for.
    pub surface: Surface,
    /// SHA-256 (hex) of the secret part.
    pub secret_hash: String,
    /// Free-text label.
    pub label: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API key to insert.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Public key id.
    pub id: String,
    /// Owner.
    pub user_id: UserId,
    /// Surface it is valid for.
    pub surface: Surface,
    /// SHA-256 (hex) of the secret part.
    pub secret_hash: String,
    /// Free-text label.
    pub label: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
