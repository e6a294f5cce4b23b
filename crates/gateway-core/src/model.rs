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

/// One user: its id and the groups of its fields. Build one with [`User::new`] (the defaults of
/// a new account) and assign what differs; no other full `User { .. }` literal exists outside this
/// module, so a new field is added here, in its group, with its default.
///
/// Readers that must decide about every field (each dialect's `convert.rs`, the storage row)
/// destructure `User` and each group without `..`, so a new field fails to compile there.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// How the user is named and reached: username and primary email.
    pub identity: Identity,
    /// What the user tells about themselves.
    pub profile: Profile,
    /// The account's kind, state and operator flags.
    pub account: Account,
    /// Credentials and sign-in methods.
    pub security: Security,
    /// The three metadata tiers.
    pub metadata: MetadataTiers,
    /// Sign-up risk scores.
    pub risk: RiskScores,
    /// When the user was created, changed, signed up and last seen.
    pub timestamps: Timestamps,
    /// Incremented on every change (optimistic concurrency for callers that want it).
    pub version: i64,
}

/// How a user is named and reached. No `Default`: a username is always chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Unique login name.
    pub username: String,
    /// Unique primary email address (stored lower-case), if any.
    pub email: Option<String>,
    /// Whether the primary email is verified.
    pub email_verified: bool,
    /// Whether the primary email can be used to sign in.
    pub email_auth_enabled: bool,
}

/// What a user tells about themselves; every field is optional (the default is all unset).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
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
    /// The phone number has been verified to belong to the user (`true` needs a number).
    pub phone_number_verified: bool,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper-case.
    pub country_code: Option<String>,
}

/// The account's kind, lifecycle state and flags. The default is a new account: regular,
/// pending, active, with no flag raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Regular, service account or admin.
    pub kind: UserKind,
    /// Owning organization of a service account.
    pub organization_id: Option<Uuid>,
    /// Lifecycle state.
    pub status: UserStatus,
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
    /// The team the user has selected, if any (must be one of its teams).
    pub selected_team_id: Option<Uuid>,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            kind: UserKind::Regular,
            organization_id: None,
            status: UserStatus::Pending,
            is_active: true,
            is_superuser: false,
            is_platform_admin: false,
            is_onboarded: false,
            email_opt_in: false,
            is_anonymous: false,
            restricted_by_admin: false,
            restricted_by_admin_reason: None,
            restricted_by_admin_private_details: None,
            selected_team_id: None,
        }
    }
}

/// Credentials and sign-in methods. The default is a new account: no password, no second factor,
/// no OAuth link, one-time-password sign-in enabled.
#[derive(Debug, Clone, PartialEq)]
pub struct Security {
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
    /// One-time-password sign-in enabled.
    pub otp_auth_enabled: bool,
    /// Passkey sign-in enabled.
    pub passkey_auth_enabled: bool,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            password_hash: None,
            password_expired: None,
            totp_secret: None,
            oauth_provider: None,
            oauth_id: None,
            otp_auth_enabled: true,
            passkey_auth_enabled: false,
        }
    }
}

/// Sign-up risk scores, each 0-100 (the default is 0, no risk).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskScores {
    /// Bot likelihood.
    pub sign_up_bot: i64,
    /// Free-trial abuse likelihood.
    pub sign_up_free_trial_abuse: i64,
}

/// When a user was created, last changed, signed up and last seen. No `Default`: every time is
/// a real instant ([`Timestamps::at`] sets them all to one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamps {
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last change of any field.
    pub updated_at: DateTime<Utc>,
    /// Sign-up time.
    pub signed_up_at: DateTime<Utc>,
    /// Last authenticated request.
    pub last_active_at: DateTime<Utc>,
}

impl Timestamps {
    /// Every time set to `at` (a user created at `at`).
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            created_at: at,
            updated_at: at,
            signed_up_at: at,
            last_active_at: at,
        }
    }
}

impl User {
    /// The one constructor: a user with the defaults of a new account (regular, pending,
    /// active, email and OTP sign-in enabled, no email, password or profile, version 1),
    /// created at `at`. Callers assign the fields that differ.
    pub fn new(id: UserId, username: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self {
            id,
            identity: Identity {
                username: username.into(),
                email: None,
                email_verified: false,
                email_auth_enabled: true,
            },
            profile: Profile::default(),
            account: Account::default(),
            security: Security::default(),
            metadata: MetadataTiers::default(),
            risk: RiskScores::default(),
            timestamps: Timestamps::at(at),
            version: 1,
        }
    }

    /// Whether the user is restricted for any reason (anonymous, or restricted by an admin).
    pub fn is_restricted(&self) -> bool {
        self.account.is_anonymous || self.account.restricted_by_admin
    }
    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.security.password_hash.is_some()
    }

    /// The account rule every surface applies to a verified caller before serving it.
    pub fn standing(&self) -> Standing {
        if self.account.status == UserStatus::Banned {
            Standing::Banned
        } else if !self.account.is_active {
            Standing::Inactive
        } else {
            Standing::Good
        }
    }
}

/// A field of [`User`], as validation issues, notices and conflicts name it (see
/// [`crate::error::Field`]). One variant per field of `User` and its groups, plus the two that
/// commands carry in another shape: [`UserField::Password`] (a new password, stored as its hash)
/// and [`UserField::RiskScores`] (both scores, set together).
///
/// Each dialect maps every variant to its wire name in one exhaustive `match`, so a new variant
/// fails to compile in every dialect until it has decided its name. [`UserField::as_str`] is the
/// core name (the admin API and the fixture files use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserField {
    /// The user's id.
    Id,
    /// `identity.username`.
    Username,
    /// `identity.email`.
    Email,
    /// `identity.email_verified`.
    EmailVerified,
    /// `identity.email_auth_enabled`.
    EmailAuthEnabled,
    /// `profile.first_name`.
    FirstName,
    /// `profile.last_name`.
    LastName,
    /// `profile.display_name`.
    DisplayName,
    /// `profile.bio`.
    Bio,
    /// `profile.avatar_url`.
    AvatarUrl,
    /// `profile.locale`.
    Locale,
    /// `profile.timezone`.
    Timezone,
    /// `profile.phone_number`.
    PhoneNumber,
    /// `profile.phone_number_verified`.
    PhoneNumberVerified,
    /// `profile.company`.
    Company,
    /// `profile.job_title`.
    JobTitle,
    /// `profile.country_code`.
    CountryCode,
    /// `account.kind`.
    Kind,
    /// `account.organization_id`.
    OrganizationId,
    /// `account.status`.
    Status,
    /// `account.is_active`.
    IsActive,
    /// `account.is_superuser`.
    IsSuperuser,
    /// `account.is_platform_admin`.
    IsPlatformAdmin,
    /// `account.is_onboarded`.
    IsOnboarded,
    /// `account.email_opt_in`.
    EmailOptIn,
    /// `account.is_anonymous`.
    IsAnonymous,
    /// `account.restricted_by_admin`.
    RestrictedByAdmin,
    /// `account.restricted_by_admin_reason`.
    RestrictedByAdminReason,
    /// `account.restricted_by_admin_private_details`.
    RestrictedByAdminPrivateDetails,
    /// `account.selected_team_id`.
    SelectedTeamId,
    /// A new password as a command carries it (plain text or a hash), stored as `security.password_hash`.
    Password,
    /// `security.password_hash`.
    PasswordHash,
    /// `security.password_expired`.
    PasswordExpired,
    /// `security.totp_secret`.
    TotpSecret,
    /// `security.oauth_provider`.
    OauthProvider,
    /// `security.oauth_id`.
    OauthId,
    /// `security.otp_auth_enabled`.
    OtpAuthEnabled,
    /// `security.passkey_auth_enabled`.
    PasskeyAuthEnabled,
    /// `metadata.client`.
    ClientMetadata,
    /// `metadata.client_read_only`.
    ClientReadOnlyMetadata,
    /// `metadata.server`.
    ServerMetadata,
    /// Both risk scores, as a patch sets them together (`risk`).
    RiskScores,
    /// `risk.sign_up_bot`.
    RiskSignUpBot,
    /// `risk.sign_up_free_trial_abuse`.
    RiskSignUpFreeTrialAbuse,
    /// `timestamps.created_at`.
    CreatedAt,
    /// `timestamps.updated_at`.
    UpdatedAt,
    /// `timestamps.signed_up_at`.
    SignedUpAt,
    /// `timestamps.last_active_at`.
    LastActiveAt,
    /// `version`.
    Version,
}

impl UserField {
    /// Every user field, in the order of [`User`].
    pub const ALL: [UserField; 49] = [
        Self::Id,
        Self::Username,
        Self::Email,
        Self::EmailVerified,
        Self::EmailAuthEnabled,
        Self::FirstName,
        Self::LastName,
        Self::DisplayName,
        Self::Bio,
        Self::AvatarUrl,
        Self::Locale,
        Self::Timezone,
        Self::PhoneNumber,
        Self::PhoneNumberVerified,
        Self::Company,
        Self::JobTitle,
        Self::CountryCode,
        Self::Kind,
        Self::OrganizationId,
        Self::Status,
        Self::IsActive,
        Self::IsSuperuser,
        Self::IsPlatformAdmin,
        Self::IsOnboarded,
        Self::EmailOptIn,
        Self::IsAnonymous,
        Self::RestrictedByAdmin,
        Self::RestrictedByAdminReason,
        Self::RestrictedByAdminPrivateDetails,
        Self::SelectedTeamId,
        Self::Password,
        Self::PasswordHash,
        Self::PasswordExpired,
        Self::TotpSecret,
        Self::OauthProvider,
        Self::OauthId,
        Self::OtpAuthEnabled,
        Self::PasskeyAuthEnabled,
        Self::ClientMetadata,
        Self::ClientReadOnlyMetadata,
        Self::ServerMetadata,
        Self::RiskScores,
        Self::RiskSignUpBot,
        Self::RiskSignUpFreeTrialAbuse,
        Self::CreatedAt,
        Self::UpdatedAt,
        Self::SignedUpAt,
        Self::LastActiveAt,
        Self::Version,
    ];

    /// The core name (`first_name`), stable across releases.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Username => "username",
            Self::Email => "email",
            Self::EmailVerified => "email_verified",
            Self::EmailAuthEnabled => "email_auth_enabled",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::DisplayName => "display_name",
            Self::Bio => "bio",
            Self::AvatarUrl => "avatar_url",
            Self::Locale => "locale",
            Self::Timezone => "timezone",
            Self::PhoneNumber => "phone_number",
            Self::PhoneNumberVerified => "phone_number_verified",
            Self::Company => "company",
            Self::JobTitle => "job_title",
            Self::CountryCode => "country_code",
            Self::Kind => "kind",
            Self::OrganizationId => "organization_id",
            Self::Status => "status",
            Self::IsActive => "is_active",
            Self::IsSuperuser => "is_superuser",
            Self::IsPlatformAdmin => "is_platform_admin",
            Self::IsOnboarded => "is_onboarded",
            Self::EmailOptIn => "email_opt_in",
            Self::IsAnonymous => "is_anonymous",
            Self::RestrictedByAdmin => "restricted_by_admin",
            Self::RestrictedByAdminReason => "restricted_by_admin_reason",
            Self::RestrictedByAdminPrivateDetails => "restricted_by_admin_private_details",
            Self::SelectedTeamId => "selected_team_id",
            Self::Password => "password",
            Self::PasswordHash => "password_hash",
            Self::PasswordExpired => "password_expired",
            Self::TotpSecret => "totp_secret",
            Self::OauthProvider => "oauth_provider",
            Self::OauthId => "oauth_id",
            Self::OtpAuthEnabled => "otp_auth_enabled",
            Self::PasskeyAuthEnabled => "passkey_auth_enabled",
            Self::ClientMetadata => "client_metadata",
            Self::ClientReadOnlyMetadata => "client_read_only_metadata",
            Self::ServerMetadata => "server_metadata",
            Self::RiskScores => "risk_scores",
            Self::RiskSignUpBot => "risk_sign_up_bot",
            Self::RiskSignUpFreeTrialAbuse => "risk_sign_up_free_trial_abuse",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::SignedUpAt => "signed_up_at",
            Self::LastActiveAt => "last_active_at",
            Self::Version => "version",
        }
    }
}

impl fmt::Display for UserField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

    /// The permission a new membership of this role holds: `team_admin` for an owner,
    /// `team_member` for a member (the names a dialect shows; see `crate::teams`).
    pub fn default_permission(self) -> &'static str {
        match self {
            Self::Owner => crate::teams::TEAM_ADMIN,
            Self::Member => crate::teams::TEAM_MEMBER,
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
    /// The permissions the user holds in it (ids, sorted).
    pub permissions: Vec<String>,
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
    /// When its refresh token was last used (its creation until then).
    pub last_used_at: DateTime<Utc>,
    /// Opened by an administrator to act as the user (Stack Auth's impersonation sessions).
    pub is_impersonation: bool,
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
    /// Opened by an administrator to act as the user.
    pub is_impersonation: bool,
}

impl NewSession {
    /// The session as stored: not revoked, last used at its creation.
    pub fn into_session(self) -> Session {
        let Self {
            id,
            user_id,
            surface,
            refresh_token_hash,
            created_at,
            expires_at,
            is_impersonation,
        } = self;
        Session {
            id,
            user_id,
            surface,
            refresh_token_hash,
            created_at,
            expires_at,
            revoked_at: None,
            last_used_at: created_at,
            is_impersonation,
        }
    }
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
    /// Expiry, if any: the key stops working then.
    pub expires_at: Option<DateTime<Utc>>,
    /// A public key (a vendor's `pk_…`: shown to clients, same checks).
    pub is_public: bool,
    /// The last four characters of the key's text, for lists.
    pub hint: Option<String>,
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
    /// Expiry, if any: the key stops working then.
    pub expires_at: Option<DateTime<Utc>>,
    /// A public key (a vendor's `pk_…`: shown to clients, same checks).
    pub is_public: bool,
    /// The last four characters of the key's text, for lists.
    pub hint: Option<String>,
}

/// A key a dialect made in its vendor's format ([`crate::Gateway::store_api_key`]).
#[derive(Clone)]
pub struct KeySpec {
    /// Key id.
    pub id: String,
    /// Owner.
    pub user_id: UserId,
    /// Surface it is valid for.
    pub surface: Surface,
    /// The whole key text (the secret); hashed, never stored.
    pub text: String,
    /// Free-text label.
    pub label: Option<String>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// A public key.
    pub is_public: bool,
}

impl std::fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySpec")
            .field("id", &self.id)
            .field("surface", &self.surface)
            .finish_non_exhaustive()
    }
}

impl ApiKey {
    /// Whether the key authenticates at `at`: not revoked, not past its expiry.
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > at)
    }
}

impl NewApiKey {
    /// The key as stored: not revoked.
    pub fn into_api_key(self) -> ApiKey {
        let Self {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at,
            expires_at,
            is_public,
            hint,
        } = self;
        ApiKey {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at,
            revoked_at: None,
            expires_at,
            is_public,
            hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of `User` has its [`UserField`]: the destructure names every field (a new one
    /// does not compile here) and each binding is used only in the table below (an unused one
    /// fails the lints), so a new field needs a new variant.
    #[test]
    fn every_user_field_has_a_variant() {
        let User {
            id,
            identity:
                Identity {
                    username,
                    email,
                    email_verified,
                    email_auth_enabled,
                },
            profile:
                Profile {
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
                    country_code,
                },
            account:
                Account {
                    kind,
                    organization_id,
                    status,
                    is_active,
                    is_superuser,
                    is_platform_admin,
                    is_onboarded,
                    email_opt_in,
                    is_anonymous,
                    restricted_by_admin,
                    restricted_by_admin_reason,
                    restricted_by_admin_private_details,
                    selected_team_id,
                },
            security:
                Security {
                    password_hash,
                    password_expired,
                    totp_secret,
                    oauth_provider,
                    oauth_id,
                    otp_auth_enabled,
                    passkey_auth_enabled,
                },
            metadata:
                MetadataTiers {
                    client,
                    client_read_only,
                    server,
                },
            risk:
                RiskScores {
                    sign_up_bot,
                    sign_up_free_trial_abuse,
                },
            timestamps:
                Timestamps {
                    created_at,
                    updated_at,
                    signed_up_at,
                    last_active_at,
                },
            version,
        } = User::new(UserId::new(), "ada", Utc::now());
        let table: [(UserField, &dyn fmt::Debug); 47] = [
            (UserField::Id, &id),
            (UserField::Username, &username),
            (UserField::Email, &email),
            (UserField::EmailVerified, &email_verified),
            (UserField::EmailAuthEnabled, &email_auth_enabled),
            (UserField::FirstName, &first_name),
            (UserField::LastName, &last_name),
            (UserField::DisplayName, &display_name),
            (UserField::Bio, &bio),
            (UserField::AvatarUrl, &avatar_url),
            (UserField::Locale, &locale),
            (UserField::Timezone, &timezone),
            (UserField::PhoneNumber, &phone_number),
            (UserField::PhoneNumberVerified, &phone_number_verified),
            (UserField::Company, &company),
            (UserField::JobTitle, &job_title),
            (UserField::CountryCode, &country_code),
            (UserField::Kind, &kind),
            (UserField::OrganizationId, &organization_id),
            (UserField::Status, &status),
            (UserField::IsActive, &is_active),
            (UserField::IsSuperuser, &is_superuser),
            (UserField::IsPlatformAdmin, &is_platform_admin),
            (UserField::IsOnboarded, &is_onboarded),
            (UserField::EmailOptIn, &email_opt_in),
            (UserField::IsAnonymous, &is_anonymous),
            (UserField::RestrictedByAdmin, &restricted_by_admin),
            (
                UserField::RestrictedByAdminReason,
                &restricted_by_admin_reason,
            ),
            (
                UserField::RestrictedByAdminPrivateDetails,
                &restricted_by_admin_private_details,
            ),
            (UserField::SelectedTeamId, &selected_team_id),
            (UserField::PasswordHash, &password_hash),
            (UserField::PasswordExpired, &password_expired),
            (UserField::TotpSecret, &totp_secret),
            (UserField::OauthProvider, &oauth_provider),
            (UserField::OauthId, &oauth_id),
            (UserField::OtpAuthEnabled, &otp_auth_enabled),
            (UserField::PasskeyAuthEnabled, &passkey_auth_enabled),
            (UserField::ClientMetadata, &client),
            (UserField::ClientReadOnlyMetadata, &client_read_only),
            (UserField::ServerMetadata, &server),
            (UserField::RiskSignUpBot, &sign_up_bot),
            (
                UserField::RiskSignUpFreeTrialAbuse,
                &sign_up_free_trial_abuse,
            ),
            (UserField::CreatedAt, &created_at),
            (UserField::UpdatedAt, &updated_at),
            (UserField::SignedUpAt, &signed_up_at),
            (UserField::LastActiveAt, &last_active_at),
            (UserField::Version, &version),
        ];
        let mut stored: Vec<UserField> = table.iter().map(|(f, _)| *f).collect();
        stored.sort();
        let mut expected: Vec<UserField> = UserField::ALL
            .into_iter()
            .filter(|f| !matches!(f, UserField::Password | UserField::RiskScores))
            .collect();
        expected.sort();
        assert_eq!(stored, expected);
    }

    #[test]
    fn user_field_names_are_distinct_snake_case() {
        let mut names: Vec<&str> = UserField::ALL.iter().map(|f| f.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), UserField::ALL.len());
    }

    #[test]
    fn a_new_user_has_the_defaults_of_a_new_account() {
        let at = Utc::now();
        let user = User::new(UserId::new(), "ada", at);
        assert_eq!(user.identity.username, "ada");
        assert!(user.identity.email_auth_enabled && !user.identity.email_verified);
        assert_eq!(
            (user.account.kind, user.account.status),
            (UserKind::Regular, UserStatus::Pending)
        );
        assert!(user.account.is_active && user.security.otp_auth_enabled);
        assert_eq!(user.standing(), Standing::Good);
        assert!(!user.has_password() && !user.is_restricted());
        assert_eq!(user.timestamps, Timestamps::at(at));
        assert_eq!(user.version, 1);
    }
}
