//! How a patch changes a user: the one place that maps [`UserPatch`] fields onto [`User`] fields.
//! The core reads the outcome of a patch through it (state rules), and every store writes through
//! it (`gateway-storage` turns the result into a row, `testing::MemoryStore` keeps it), so a new
//! field is applied the same way everywhere.

use crate::{
    User, UserChanges, UserPatch,
    model::{MetadataTiers, RiskScores},
};

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
