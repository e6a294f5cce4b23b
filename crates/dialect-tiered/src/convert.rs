//! Conversions between the core and this surface's wire types: the user read object per caller
//! tier (spec §6.1, §12 field mapping) and the validated update body to a core `UserPatch`,
//! with the vendor's state-dependent write rules (spec §5.1, §7.2).

use actix_web::http::StatusCode;
use gateway_core::UserField;
use gateway_core::{
    Account, Identity, MetadataTiers, PasswordChange, Profile, Project, Security, Team, Timestamps,
    User, UserPatch, credentials::check_password_hash,
};
use serde_json::Value;

use crate::{
    error::TieredError,
    tokens::restricted_reason,
    validate::Tier,
    wire::{
        OAuthProviderRead, ProjectView, RiskScores, SignUpRiskScores, TeamRead, UserRead,
        UserUpdate,
    },
};

fn metadata(v: &Option<Value>) -> Value {
    v.clone().unwrap_or(Value::Null)
}

/// The selected team for a tier.
pub fn team_read(team: &Team, tier: Tier) -> TeamRead {
    let Team {
        id,
        display_name,
        profile_image_url,
        metadata: tiers,
        created_at,
    } = team;
    let MetadataTiers {
        client,
        client_read_only,
        server,
    } = tiers;
    let server_view = tier == Tier::Server;
    TeamRead {
        id: id.to_string(),
        display_name: display_name.clone(),
        profile_image_url: profile_image_url.clone(),
        created_at_millis: server_view.then(|| created_at.timestamp_millis()),
        client_metadata: metadata(client),
        client_read_only_metadata: metadata(client_read_only),
        server_metadata: server_view.then(|| metadata(server)),
    }
}

/// The read object of `user` for `tier`; `team` is the selected team when the user has one.
pub fn user_read(user: &User, team: Option<&Team>, tier: Tier) -> UserRead {
    let User {
        id,
        identity:
            Identity {
                username: _,
                email,
                email_verified,
                email_auth_enabled,
            },
        profile:
            Profile {
                first_name: _,
                last_name: _,
                display_name,
                bio: _,
                avatar_url,
                locale: _,
                timezone: _,
                phone_number: _,
                phone_number_verified: _,
                company: _,
                job_title: _,
                country_code,
            },
        account:
            Account {
                kind: _,
                organization_id: _,
                status: _,
                is_active: _,
                is_superuser: _,
                is_platform_admin: _,
                is_onboarded: _,
                email_opt_in: _,
                is_anonymous,
                restricted_by_admin,
                restricted_by_admin_reason,
                restricted_by_admin_private_details,
                selected_team_id,
            },
        security:
            Security {
                password_hash,
                password_expired: _,
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
            gateway_core::RiskScores {
                sign_up_bot: risk_sign_up_bot,
                sign_up_free_trial_abuse: risk_sign_up_free_trial_abuse,
            },
        timestamps:
            Timestamps {
                created_at: _,
                updated_at: _,
                signed_up_at,
                last_active_at,
            },
        version: _,
    } = user;
    let server_view = tier == Tier::Server;
    let has_email = email.is_some();
    let has_password = password_hash.is_some();
    let reason = restricted_reason(user);
    // Reads never fail on stored values; the vendor's invariants are restored on the way out.
    let admin_reason = restricted_by_admin_reason
        .clone()
        .filter(|_| *restricted_by_admin);
    let admin_details = restricted_by_admin_private_details
        .clone()
        .filter(|_| *restricted_by_admin);
    let team = team.filter(|t| Some(t.id) == *selected_team_id);
    UserRead {
        id: id.to_string(),
        primary_email: email.clone(),
        primary_email_verified: has_email && *email_verified,
        primary_email_auth_enabled: server_view.then_some(has_email && *email_auth_enabled),
        display_name: display_name.clone().filter(|n| !n.is_empty()),
        profile_image_url: avatar_url.clone(),
        signed_up_at_millis: signed_up_at.timestamp_millis(),
        last_active_at_millis: server_view.then(|| last_active_at.timestamp_millis()),
        has_password,
        auth_with_email: has_password || *otp_auth_enabled,
        oauth_providers: match (oauth_provider, oauth_id) {
            (Some(provider), Some(account)) => vec![OAuthProviderRead {
                id: provider.clone(),
                account_id: account.clone(),
                email: None,
            }],
            _ => Vec::new(),
        },
        selected_team_id: team.map(|t| t.id.to_string()),
        selected_team: team.map(|t| team_read(t, tier)),
        requires_totp_mfa: totp_secret.is_some(),
        otp_auth_enabled: *otp_auth_enabled,
        passkey_auth_enabled: *passkey_auth_enabled,
        client_metadata: metadata(client),
        client_read_only_metadata: metadata(client_read_only),
        server_metadata: server_view.then(|| metadata(server)),
        is_anonymous: *is_anonymous,
        is_restricted: reason.is_some(),
        restricted_reason: reason.map(Into::into),
        restricted_by_admin: *restricted_by_admin,
        restricted_by_admin_reason: admin_reason,
        restricted_by_admin_private_details: server_view.then_some(admin_details),
        country_code: server_view.then(|| country_code.clone()),
        risk_scores: server_view.then_some(RiskScores {
            sign_up: SignUpRiskScores {
                bot: *risk_sign_up_bot,
                free_trial_abuse: *risk_sign_up_free_trial_abuse,
            },
        }),
    }
}

fn bad_request(message: &str) -> TieredError {
    TieredError::text(StatusCode::BAD_REQUEST, message)
}

/// The hashes the vendor takes (`getPasswordHashFromData`): bcrypt only (`^\$2[ayb]\$.{56}$`)
/// with at most 16 rounds, and one the core can verify. An argon2 hash, which the core could
/// verify, is refused here as the vendor refuses it.
fn vendor_accepts_hash(hash: &str) -> bool {
    let b = hash.as_bytes();
    hash.len() == 60
        && hash.is_ascii()
        && b.starts_with(b"$2")
        && matches!(b[2], b'a' | b'b' | b'y')
        && b[3] == b'$'
        && hash[4..6].parse::<u32>().is_ok_and(|rounds| rounds <= 16)
        && check_password_hash(hash).is_ok()
}

/// The stateless write rules that the vendor checks before it looks the user up
/// (`getPasswordHashFromData`).
pub fn check_password_fields(update: &UserUpdate) -> Result<(), TieredError> {
    match (&update.password, &update.password_hash) {
        (Some(_), Some(_)) => Err(bad_request(
            "Cannot set both password and password_hash at the same time.",
        )),
        (None, Some(hash)) if !vendor_accepts_hash(hash) => Err(bad_request(
            "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format.",
        )),
        _ => Ok(()),
    }
}

/// A metadata value as the core keeps it: JSON `null` is no value.
pub(crate) fn json_value(v: Value) -> Option<Value> {
    (!v.is_null()).then_some(v)
}

/// Converts a validated update of `current` into a core patch, applying the vendor's
/// state-dependent rules: a new primary email starts unverified unless the body says otherwise,
/// removing it also turns verification and sign-in off, `""` display names and restriction
/// texts are `null`, passkeys can only be turned off, and restriction texts need the user to
/// be restricted.
pub fn to_patch(update: UserUpdate, current: &User) -> Result<UserPatch, TieredError> {
    let UserUpdate {
        display_name,
        profile_image_url,
        client_metadata,
        client_read_only_metadata,
        server_metadata,
        primary_email,
        primary_email_verified,
        primary_email_auth_enabled,
        passkey_auth_enabled,
        password,
        password_hash,
        otp_auth_enabled,
        totp_secret_base64,
        selected_team_id,
        is_anonymous,
        restricted_by_admin,
        restricted_by_admin_reason,
        restricted_by_admin_private_details,
        country_code,
        risk_scores,
    } = update;

    if passkey_auth_enabled == Some(true) {
        return Err(bad_request(
            "Cannot manually enable passkey auth, it is enabled iff there is a passkey auth method",
        ));
    }
    let blank_is_null = |v: Option<Option<String>>| v.map(|s| s.filter(|s| !s.is_empty()));
    let mut reason = blank_is_null(restricted_by_admin_reason);
    let mut details = blank_is_null(restricted_by_admin_private_details);
    let restricted = restricted_by_admin.unwrap_or(current.account.restricted_by_admin);
    if !restricted {
        if matches!(reason, Some(Some(_))) {
            return Err(bad_request(
                "restricted_by_admin_reason requires restricted_by_admin=true",
            ));
        }
        if matches!(details, Some(Some(_))) {
            return Err(bad_request(
                "restricted_by_admin_private_details requires restricted_by_admin=true",
            ));
        }
        if restricted_by_admin.is_some() {
            reason = Some(None);
            details = Some(None);
        }
    }

    let mut email_verified = primary_email_verified;
    let mut email_auth_enabled = primary_email_auth_enabled;
    let email = match primary_email {
        None => None,
        Some(None) => {
            email_verified = Some(false);
            email_auth_enabled = Some(false);
            Some(None)
        }
        Some(Some(e)) => {
            let normalized = gateway_core::validate::normalize_email(&e);
            if current.identity.email.as_deref() != Some(normalized.as_str())
                && email_verified.is_none()
            {
                email_verified = Some(false);
            }
            Some(Some(normalized))
        }
    };

    let password = match (password, password_hash) {
        (Some(Some(plain)), _) => Some(Some(PasswordChange::Plain(plain))),
        (Some(None), _) => Some(None),
        (None, Some(hash)) => Some(Some(PasswordChange::Hash(hash))),
        (None, None) => None,
    };

    Ok(UserPatch {
        display_name: blank_is_null(display_name),
        avatar_url: profile_image_url,
        client_metadata: client_metadata.map(json_value),
        client_read_only_metadata: client_read_only_metadata.map(json_value),
        server_metadata: server_metadata.map(json_value),
        email,
        email_verified,
        email_auth_enabled,
        passkey_auth_enabled,
        password,
        otp_auth_enabled,
        totp_secret: totp_secret_base64,
        selected_team_id,
        is_anonymous,
        restricted_by_admin,
        restricted_by_admin_reason: reason,
        restricted_by_admin_private_details: details,
        country_code,
        risk_scores: risk_scores.map(|r| (r.sign_up.bot, r.sign_up.free_trial_abuse)),
        // Not written by this surface: every other field, named so that a new
        // field does not compile here until this dialect decides about it.
        username: None,
        password_expired: None,
        is_active: None,
        is_superuser: None,
        is_platform_admin: None,
        is_onboarded: None,
        email_opt_in: None,
        first_name: None,
        last_name: None,
        bio: None,
        locale: None,
        timezone: None,
        phone_number: None,
        phone_number_verified: None,
        company: None,
        job_title: None,
        status: None,
        expected_version: None,
    })
}

/// A project as the admin API shows it; keys only when given (at creation).
pub fn project_view(project: &Project, keys: Option<(String, String)>) -> ProjectView {
    let Project {
        id,
        display_name,
        publishable_client_key_hash: _,
        secret_server_key_hash: _,
        require_publishable_client_key,
        allow_client_user_deletion,
        client_team_creation_enabled,
        create_team_on_sign_up,
        allow_user_api_keys,
        sign_up_enabled,
        credential_enabled,
        magic_link_enabled,
        created_at,
        updated_at,
    } = project;
    let (publishable_client_key, secret_server_key) = keys.unzip();
    ProjectView {
        id: id.to_string(),
        display_name: display_name.clone(),
        require_publishable_client_key: *require_publishable_client_key,
        allow_client_user_deletion: *allow_client_user_deletion,
        client_team_creation_enabled: *client_team_creation_enabled,
        create_team_on_sign_up: *create_team_on_sign_up,
        allow_user_api_keys: *allow_user_api_keys,
        sign_up_enabled: *sign_up_enabled,
        credential_enabled: *credential_enabled,
        magic_link_enabled: *magic_link_enabled,
        created_at: created_at.to_rfc3339(),
        updated_at: updated_at.to_rfc3339(),
        publishable_client_key,
        secret_server_key,
    }
}

/// The wire name of every user field: this dialect's one table, an exhaustive match, so a new
/// [`UserField`] does not compile until it is named here. A field the vendor has no property for
/// keeps its core name (the vendor's names are `snake_case` too).
pub fn user_field_name(field: UserField) -> &'static str {
    match field {
        UserField::Id => "id",
        UserField::Username => "username",
        UserField::Email => "primary_email",
        UserField::EmailVerified => "primary_email_verified",
        UserField::EmailAuthEnabled => "primary_email_auth_enabled",
        UserField::FirstName => "first_name",
        UserField::LastName => "last_name",
        UserField::DisplayName => "display_name",
        UserField::Bio => "bio",
        UserField::AvatarUrl => "profile_image_url",
        UserField::Locale => "locale",
        UserField::Timezone => "timezone",
        UserField::PhoneNumber => "phone_number",
        UserField::PhoneNumberVerified => "phone_number_verified",
        UserField::Company => "company",
        UserField::JobTitle => "job_title",
        UserField::CountryCode => "country_code",
        UserField::Kind => "kind",
        UserField::OrganizationId => "organization_id",
        UserField::Status => "status",
        UserField::IsActive => "is_active",
        UserField::IsSuperuser => "is_superuser",
        UserField::IsPlatformAdmin => "is_platform_admin",
        UserField::IsOnboarded => "is_onboarded",
        UserField::EmailOptIn => "email_opt_in",
        UserField::IsAnonymous => "is_anonymous",
        UserField::RestrictedByAdmin => "restricted_by_admin",
        UserField::RestrictedByAdminReason => "restricted_by_admin_reason",
        UserField::RestrictedByAdminPrivateDetails => "restricted_by_admin_private_details",
        UserField::SelectedTeamId => "selected_team_id",
        UserField::Password => "password",
        UserField::PasswordHash => "password_hash",
        UserField::PasswordExpired => "password_expired",
        UserField::TotpSecret => "totp_secret_base64",
        UserField::OauthProvider => "oauth_provider",
        UserField::OauthId => "oauth_id",
        UserField::OtpAuthEnabled => "otp_auth_enabled",
        UserField::PasskeyAuthEnabled => "passkey_auth_enabled",
        UserField::ClientMetadata => "client_metadata",
        UserField::ClientReadOnlyMetadata => "client_read_only_metadata",
        UserField::ServerMetadata => "server_metadata",
        UserField::RiskScores => "risk_scores",
        UserField::RiskSignUpBot => "risk_sign_up_bot",
        UserField::RiskSignUpFreeTrialAbuse => "risk_sign_up_free_trial_abuse",
        UserField::CreatedAt => "created_at",
        UserField::UpdatedAt => "updated_at",
        UserField::SignedUpAt => "signed_up_at",
        UserField::LastActiveAt => "last_active_at",
        UserField::Version => "version",
    }
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    /// The vendor refuses hashes the core could verify: these cases fail on a check that asks
    /// the core only.
    #[test]
    fn the_vendor_takes_bcrypt_up_to_16_rounds_only() {
        let ok = "$2a$13$TVyY/gpw9Db/w1fBeJkCgeNg2Rae2JfNqrZbLfZOgfXX6FJXKwKSW";
        assert!(vendor_accepts_hash(ok));
        for refused in [
            "$2b$17$TVyY/gpw9Db/w1fBeJkCgeNg2Rae2JfNqrZbLfZOgfXX6FJXKwKSW",
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        ] {
            assert!(
                check_password_hash(refused).is_ok(),
                "the core takes {refused}"
            );
            assert!(
                !vendor_accepts_hash(refused),
                "the vendor refuses {refused}"
            );
        }
        assert!(!vendor_accepts_hash("$2a$17$too-short"));
    }
}
