//! [`UserPatch`], the partial update of a user, and how it changes a user: the one place that
//! maps patch fields onto [`User`] fields. Creation applies the new user's fields through it, the
//! core reads the outcome of a patch through it (state rules), and every store writes through it
//! (`gateway-storage` turns the result into a row, `testing::MemoryStore` keeps it), so a new field
//! is declared and applied here, next to each other, and the same way everywhere.
//!
//! In a [`UserPatch`], `None` means "leave unchanged". For a nullable field the type is
//! `Option<Option<T>>`: `Some(None)` clears it, `Some(Some(v))` sets it. Whether a dialect lets a
//! client clear a field is the dialect's decision; the core accepts both.

use serde_json::Value;
use uuid::Uuid;

use crate::{
    FieldIssue, PasswordChange, User, UserChanges, UserField,
    model::{MetadataTiers, RiskScores, UserStatus},
    validate,
};

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
    /// Phone number verified (`true` needs a number).
    pub phone_number_verified: Option<bool>,
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

/// `slot = value` when the patch names the field.
fn set<T>(slot: &mut T, value: &Option<T>)
where
    T: Clone,
{
    if let Some(value) = value {
        slot.clone_from(value);
    }
}

impl UserPatch {
    /// Writes every field this patch names into `user`. Not written: the password (a store
    /// receives it hashed, in [`UserChanges::password_hash`]) and `expected_version` (a
    /// precondition, not a value).
    pub fn apply_to(&self, user: &mut User) {
        let Self {
            username,
            email,
            email_verified,
            email_auth_enabled,
            password: _,
            password_expired,
            totp_secret,
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
            risk_scores,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            selected_team_id,
            expected_version: _,
        } = self;
        let User {
            identity,
            profile,
            account,
            security,
            metadata,
            risk,
            ..
        } = user;
        set(&mut identity.username, username);
        set(&mut identity.email, email);
        set(&mut identity.email_verified, email_verified);
        set(&mut identity.email_auth_enabled, email_auth_enabled);
        set(&mut security.password_expired, password_expired);
        set(&mut security.totp_secret, totp_secret);
        set(&mut security.otp_auth_enabled, otp_auth_enabled);
        set(&mut security.passkey_auth_enabled, passkey_auth_enabled);
        set(&mut account.is_active, is_active);
        set(&mut account.is_superuser, is_superuser);
        set(&mut account.is_platform_admin, is_platform_admin);
        set(&mut account.is_onboarded, is_onboarded);
        set(&mut account.email_opt_in, email_opt_in);
        set(&mut account.is_anonymous, is_anonymous);
        set(&mut account.restricted_by_admin, restricted_by_admin);
        set(
            &mut account.restricted_by_admin_reason,
            restricted_by_admin_reason,
        );
        set(
            &mut account.restricted_by_admin_private_details,
            restricted_by_admin_private_details,
        );
        set(&mut account.status, status);
        set(&mut account.selected_team_id, selected_team_id);
        set(&mut profile.first_name, first_name);
        set(&mut profile.last_name, last_name);
        set(&mut profile.display_name, display_name);
        set(&mut profile.bio, bio);
        set(&mut profile.avatar_url, avatar_url);
        set(&mut profile.locale, locale);
        set(&mut profile.timezone, timezone);
        set(&mut profile.phone_number, phone_number);
        set(&mut profile.phone_number_verified, phone_number_verified);
        set(&mut profile.company, company);
        set(&mut profile.job_title, job_title);
        set(&mut profile.country_code, country_code);
        if let Some((bot, abuse)) = risk_scores {
            *risk = RiskScores {
                sign_up_bot: *bot,
                sign_up_free_trial_abuse: *abuse,
            };
        }
        let MetadataTiers {
            client,
            client_read_only,
            server,
        } = metadata;
        set(client, client_metadata);
        set(client_read_only, client_read_only_metadata);
        set(server, server_metadata);
    }

    /// Text and JSON values of a patch that contain a NUL character (no backend stores one).
    pub(crate) fn nul_issues(&self) -> Vec<FieldIssue> {
        fn text(v: &Option<Option<String>>) -> Option<&str> {
            v.as_ref().and_then(Option::as_deref)
        }
        fn json(v: &Option<Option<serde_json::Value>>) -> Option<&serde_json::Value> {
            v.as_ref().and_then(Option::as_ref)
        }
        let patch = self;
        validate::nul_free(
            &[
                (UserField::TotpSecret, text(&patch.totp_secret)),
                (
                    UserField::RestrictedByAdminReason,
                    text(&patch.restricted_by_admin_reason),
                ),
                (
                    UserField::RestrictedByAdminPrivateDetails,
                    text(&patch.restricted_by_admin_private_details),
                ),
                (UserField::FirstName, text(&patch.first_name)),
                (UserField::LastName, text(&patch.last_name)),
                (UserField::DisplayName, text(&patch.display_name)),
                (UserField::Bio, text(&patch.bio)),
                (UserField::AvatarUrl, text(&patch.avatar_url)),
                (UserField::Company, text(&patch.company)),
                (UserField::JobTitle, text(&patch.job_title)),
            ],
            &[
                (UserField::ClientMetadata, json(&patch.client_metadata)),
                (
                    UserField::ClientReadOnlyMetadata,
                    json(&patch.client_read_only_metadata),
                ),
                (UserField::ServerMetadata, json(&patch.server_metadata)),
            ],
        )
    }
}

impl UserChanges {
    /// The user after this change: the patch's fields, the new password hash if any, `updated_at`
    /// set to the time of the change and the next `version`. Preconditions (the expected
    /// version, uniqueness) and revoking sessions are the store's part.
    pub fn apply_to(&self, user: &mut User) {
        let Self {
            patch,
            password_hash,
            revoke_sessions: _,
            at,
            channels: _,
        } = self;
        patch.apply_to(user);
        set(&mut user.security.password_hash, password_hash);
        user.timestamps.updated_at = *at;
        user.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewUser, PasswordChange, UserStatus, testing::memory_gateway};
    use serde_json::json;

    async fn new_user(name: &str) -> User {
        let (_, gateway) = memory_gateway();
        let user = gateway
            .create_user(NewUser::regular(name))
            .await
            .expect("create user");
        user.value
    }

    /// A patch that names no field changes nothing; `UserChanges` always moves `updated_at` and
    /// `version`.
    #[tokio::test]
    async fn an_empty_patch_changes_nothing_and_a_change_bumps_the_version() {
        let before = new_user("ann").await;
        let mut after = before.clone();
        UserPatch::default().apply_to(&mut after);
        assert_eq!(after, before);
        let at = before.timestamps.updated_at + chrono::TimeDelta::seconds(5);
        UserChanges {
            at,
            ..UserChanges::default()
        }
        .apply_to(&mut after);
        assert_eq!(
            (after.timestamps.updated_at, after.version),
            (at, before.version + 1)
        );
        after.timestamps.updated_at = before.timestamps.updated_at;
        after.version = before.version;
        assert_eq!(after, before);
    }

    /// `Some(None)` clears, `Some(Some(v))` sets, and the password travels only as a hash.
    #[tokio::test]
    async fn values_are_set_and_cleared_and_the_password_only_as_a_hash() {
        let mut u = new_user("bea").await;
        UserPatch {
            bio: Some(Some("old".into())),
            ..UserPatch::default()
        }
        .apply_to(&mut u);
        let changes = UserChanges {
            patch: UserPatch {
                bio: Some(None),
                display_name: Some(Some("Bea".into())),
                status: Some(UserStatus::Active),
                risk_scores: Some((7, 9)),
                server_metadata: Some(Some(json!({"k": 1}))),
                password: Some(Some(PasswordChange::Plain("ignored".into()))),
                ..UserPatch::default()
            },
            password_hash: Some(Some("$argon2id$stored".into())),
            ..UserChanges::default()
        };
        changes.apply_to(&mut u);
        assert_eq!(u.profile.bio, None);
        assert_eq!(u.profile.display_name.as_deref(), Some("Bea"));
        assert_eq!(u.account.status, UserStatus::Active);
        assert_eq!(
            (u.risk.sign_up_bot, u.risk.sign_up_free_trial_abuse),
            (7, 9)
        );
        assert_eq!(u.metadata.server, Some(json!({"k": 1})));
        assert_eq!(
            u.security.password_hash.as_deref(),
            Some("$argon2id$stored")
        );
    }
}
