//! Commands that change users, with partial-update semantics.
//!
//! In a [`UserPatch`], `None` means "leave unchanged". For a nullable field the type is
//! `Option<Option<T>>`: `Some(None)` clears it, `Some(Some(v))` sets it. Whether a dialect lets a
//! client clear a field is the dialect's decision; the core accepts both.

use crate::model::{UserKind, UserStatus};
use serde_json::Value;
use uuid::Uuid;

/// A new password: plain text (hashed by the core with argon2id) or an existing hash in Modular
/// Crypt Format (argon2 or bcrypt), imported as is.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// A plain-text password.
    Plain(String),
    /// A hash in Modular Crypt Format.
    Hash(String),
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password or a hash.
        match self {
            Self::Plain(_) => f.write_str("Plain(<redacted>)"),
            Self::Hash(_) => f.write_str("Hash(<redacted>)"),
        }
    }
}

/// Everything needed to create a user; optional fields default to "unset".
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Unique login name.
    pub username: String,
    /// Primary email.
    pub email: Option<String>,
    /// Email verified.
    pub email_verified: bool,
    /// Password, if any.
    pub password: Option<PasswordChange>,
    /// Kind of account.
    pub kind: UserKind,
    /// Lifecycle state (default pending).
    pub status: UserStatus,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Owning organization (service accounts).
    pub organization_id: Option<Uuid>,
    /// OAuth provider and the account id there.
    pub oauth: Option<(String, String)>,
    /// Superuser flag.
    pub is_superuser: bool,
    /// Platform admin flag.
    pub is_platform_admin: bool,
    /// Anonymous user (signed up without credentials; never becomes anonymous later).
    pub is_anonymous: bool,
}

impl NewUser {
    /// A regular, pending user with only a username.
    pub fn regular(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            email: None,
            email_verified: false,
            password: None,
            kind: UserKind::Regular,
            status: UserStatus::Pending,
            display_name: None,
            first_name: None,
            last_name: None,
            organization_id: None,
            oauth: None,
            is_superuser: false,
            is_platform_admin: false,
            is_anonymous: false,
        }
    }
}

/// A partial update of one user. Only the fields that are `Some` change; the store writes only
/// those columns, in one transaction, so concurrent patches of different fields never lose each
/// other's changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    /// New username.
    pub username: Option<String>,
    /// New primary email, or clear it.
    pub email: Option<Option<String>>,
    /// Email verified.
    pub email_verified: Option<bool>,
    /// Email usable for sign-in.
    pub email_auth_enabled: Option<bool>,
    /// New password (or hash), or remove the password. Revokes every session of the user.
    pub password: Option<Option<PasswordChange>>,
    /// Password must be changed.
    pub password_expired: Option<Option<bool>>,
    /// TOTP secret (base64), or disable TOTP.
    pub totp_secret: Option<Option<String>>,
    /// Active flag.
    pub is_active: Option<bool>,
    /// Superuser flag.
    pub is_superuser: Option<bool>,
    /// Platform admin flag.
    pub is_platform_admin: Option<bool>,
    /// Onboarded flag.
    pub is_onboarded: Option<bool>,
    /// Email opt-in flag.
    pub email_opt_in: Option<bool>,
    /// Anonymous flag (may only become `false`).
    pub is_anonymous: Option<bool>,
    /// Restricted by an admin. Setting it to `false` also clears the reason and the details.
    pub restricted_by_admin: Option<bool>,
    /// Public restriction reason.
    pub restricted_by_admin_reason: Option<Option<String>>,
    /// Private restriction details.
    pub restricted_by_admin_private_details: Option<Option<String>>,
    /// OTP sign-in.
    pub otp_auth_enabled: Option<bool>,
    /// Passkey sign-in.
    pub passkey_auth_enabled: Option<bool>,
    /// Given name.
    pub first_name: Option<Option<String>>,
    /// Family name.
    pub last_name: Option<Option<String>>,
    /// Display name.
    pub display_name: Option<Option<String>>,
    /// Bio.
    pub bio: Option<Option<String>>,
    /// Avatar URL.
    pub avatar_url: Option<Option<String>>,
    /// BCP-47 locale (normalised to canonical case).
    pub locale: Option<Option<String>>,
    /// IANA time zone.
    pub timezone: Option<Option<String>>,
    /// E.164 phone number.
    pub phone_number: Option<Option<String>>,
    /// Company.
    pub company: Option<Option<String>>,
    /// Job title.
    pub job_title: Option<Option<String>>,
    /// Lifecycle state.
    pub status: Option<UserStatus>,
    /// Country code (normalised to upper case).
    pub country_code: Option<Option<String>>,
    /// Sign-up risk scores `(bot, free_trial_abuse)`, each 0-100.
    pub risk_scores: Option<(i64, i64)>,
    /// Client-writable metadata.
    pub client_metadata: Option<Option<Value>>,
    /// Client-readable, server-writable metadata.
    pub client_read_only_metadata: Option<Option<Value>>,
    /// Server-only metadata.
    pub server_metadata: Option<Option<Value>>,
    /// Selected team (must be one of the user's teams), or none.
    pub selected_team_id: Option<Option<Uuid>>,
    /// Apply only if the user's version still equals this (optimistic concurrency).
    pub expected_version: Option<i64>,
}
