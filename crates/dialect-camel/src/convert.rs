//! Conversions between the core and the camel wire types, destructured exhaustively so that a
//! new core or wire field does not compile until it is mapped here.
//!
//! Field mapping (spec §13): display name → `name` (the username when there is none), bio,
//! avatar URL, locale, time zone, status, created/updated. The core's one email becomes
//! `emails[0]` and `defaultEmail`, its phone number `phoneNumber` and `phoneNumbers[0]`, its
//! OAuth provider and account id `identities[0]`. Entries the core has no ids or timestamps for
//! get stable derived ids (UUID v8 from a SHA-256 of user, kind and value) and the user's
//! timestamps.

use chrono::{DateTime, SecondsFormat, Utc};
use gateway_core::UserField;
use gateway_core::{
    Account, Identity, MetadataTiers, RiskScores, Security, Timestamps, UserPatch,
    UserStatus as CoreStatus, credentials::sha256_hex,
};
use uuid::Uuid;

use crate::wire::{UpdateUserRequest, User, UserEmail, UserIdentity, UserPhoneNumber, UserStatus};

/// RFC 3339 in UTC with milliseconds and `Z` (`2025-11-27T03:25:07.541Z`).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stable id for an entry the core keeps no id for: UUID v8 from SHA-256 of `parts`.
pub fn derived_id(parts: &[&str]) -> Uuid {
    let digest = sha256_hex(&parts.join("\u{1f}"));
    let value = digest
        .get(..32)
        .and_then(|h| u128::from_str_radix(h, 16).ok())
        .unwrap_or_default();
    uuid::Builder::from_custom_bytes(value.to_be_bytes()).into_uuid()
}

impl From<CoreStatus> for UserStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::Pending => Self::Pending,
            CoreStatus::Active => Self::Active,
            CoreStatus::Invited => Self::Invited,
            CoreStatus::Banned => Self::Banned,
        }
    }
}

/// What `User` is built from: the core user and its number of active sessions.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    /// The user.
    pub user: &'a gateway_core::User,
    /// Its unrevoked, unexpired sessions.
    pub active_sessions: i64,
}

impl From<Profile<'_>> for User {
    fn from(profile: Profile<'_>) -> Self {
        let Profile {
            user,
            active_sessions,
        } = profile;
        let gateway_core::User {
            id,
            identity:
                Identity {
                    username,
                    email,
                    email_verified,
                    email_auth_enabled: _,
                },
            profile:
                gateway_core::Profile {
                    first_name: _,
                    last_name: _,
                    display_name,
                    bio,
                    avatar_url,
                    locale,
                    timezone,
                    phone_number,
                    phone_number_verified,
                    company: _,
                    job_title: _,
                    country_code: _,
                },
            account:
                Account {
                    kind: _,
                    organization_id: _,
                    status,
                    is_active: _,
                    is_superuser: _,
                    is_platform_admin: _,
                    is_onboarded: _,
                    email_opt_in: _,
                    is_anonymous: _,
                    restricted_by_admin: _,
                    restricted_by_admin_reason: _,
                    restricted_by_admin_private_details: _,
                    selected_team_id: _,
                },
            security:
                Security {
                    password_hash,
                    password_expired: _,
                    totp_secret: _,
                    oauth_provider,
                    oauth_id,
                    otp_auth_enabled: _,
                    passkey_auth_enabled: _,
                },
            metadata:
                MetadataTiers {
                    client: _,
                    client_read_only: _,
                    server: _,
                },
            risk:
                RiskScores {
                    sign_up_bot: _,
                    sign_up_free_trial_abuse: _,
                },
            timestamps:
                Timestamps {
                    created_at,
                    updated_at,
                    signed_up_at: _,
                    last_active_at: _,
                },
            version: _,
        } = user;
        let user_id = id.0;
        let uid = user_id.to_string();
        let (created, updated) = (timestamp(*created_at), timestamp(*updated_at));
        let name = display_name.clone().unwrap_or_else(|| username.clone());
        let emails = email
            .iter()
            .map(|address| UserEmail {
                id: derived_id(&[&uid, "email", address]),
                user_id,
                email: address.clone(),
                verified: *email_verified,
                password_set: password_hash.is_some(),
                token_set: false,
                created_at: created.clone(),
                updated_at: updated.clone(),
            })
            .collect();
        let identities = match (oauth_provider, oauth_id) {
            (Some(provider), Some(account)) => vec![UserIdentity {
                id: account.clone(),
                name: name.clone(),
                email: email.clone(),
                avatar_url: avatar_url.clone(),
                provider: provider.clone(),
                created_at: created.clone(),
                updated_at: updated.clone(),
            }],
            _ => Vec::new(),
        };
        let phone_numbers = phone_number
            .iter()
            .map(|number| UserPhoneNumber {
                id: derived_id(&[&uid, "phone", number]),
                user_id,
                phone_number: number.clone(),
                verified: *phone_number_verified,
                primary: true,
                created_at: created.clone(),
                updated_at: updated.clone(),
            })
            .collect();
        User {
            id: user_id,
            status: (*status).into(),
            name,
            bio: bio.clone(),
            active_sessions,
            created_at: created,
            updated_at: updated,
            emails,
            default_email: email.clone(),
            identities,
            avatar_url: avatar_url.clone(),
            phone_number: phone_number.clone(),
            phone_numbers,
            locale: locale.clone(),
            timezone: timezone.clone(),
            badges: Vec::new(),
        }
    }
}

impl From<UpdateUserRequest> for UserPatch {
    fn from(request: UpdateUserRequest) -> Self {
        let UpdateUserRequest {
            name,
            bio,
            avatar_url,
            locale,
            timezone,
        } = request;
        UserPatch {
            display_name: name.map(Some),
            bio,
            avatar_url,
            locale,
            timezone,
            // Not written by this surface: every other field, named so that a new
            // field does not compile here until this dialect decides about it.
            username: None,
            email: None,
            email_verified: None,
            email_auth_enabled: None,
            password: None,
            password_expired: None,
            totp_secret: None,
            is_active: None,
            is_superuser: None,
            is_platform_admin: None,
            is_onboarded: None,
            email_opt_in: None,
            is_anonymous: None,
            restricted_by_admin: None,
            restricted_by_admin_reason: None,
            restricted_by_admin_private_details: None,
            otp_auth_enabled: None,
            passkey_auth_enabled: None,
            first_name: None,
            last_name: None,
            phone_number: None,
            phone_number_verified: None,
            company: None,
            job_title: None,
            status: None,
            country_code: None,
            risk_scores: None,
            client_metadata: None,
            client_read_only_metadata: None,
            server_metadata: None,
            selected_team_id: None,
            expected_version: None,
        }
    }
}

/// The wire name of every user field: this dialect's one table, an exhaustive match, so a new
/// [`UserField`] does not compile until it is named here. The display name is the vendor's
/// `name`; every other field is its core name in `camelCase`.
pub fn user_field_name(field: UserField) -> &'static str {
    match field {
        UserField::Id => "id",
        UserField::Username => "username",
        UserField::Email => "email",
        UserField::EmailVerified => "emailVerified",
        UserField::EmailAuthEnabled => "emailAuthEnabled",
        UserField::FirstName => "firstName",
        UserField::LastName => "lastName",
        UserField::DisplayName => "name",
        UserField::Bio => "bio",
        UserField::AvatarUrl => "avatarUrl",
        UserField::Locale => "locale",
        UserField::Timezone => "timezone",
        UserField::PhoneNumber => "phoneNumber",
        UserField::PhoneNumberVerified => "phoneNumberVerified",
        UserField::Company => "company",
        UserField::JobTitle => "jobTitle",
        UserField::CountryCode => "countryCode",
        UserField::Kind => "kind",
        UserField::OrganizationId => "organizationId",
        UserField::Status => "status",
        UserField::IsActive => "isActive",
        UserField::IsSuperuser => "isSuperuser",
        UserField::IsPlatformAdmin => "isPlatformAdmin",
        UserField::IsOnboarded => "isOnboarded",
        UserField::EmailOptIn => "emailOptIn",
        UserField::IsAnonymous => "isAnonymous",
        UserField::RestrictedByAdmin => "restrictedByAdmin",
        UserField::RestrictedByAdminReason => "restrictedByAdminReason",
        UserField::RestrictedByAdminPrivateDetails => "restrictedByAdminPrivateDetails",
        UserField::SelectedTeamId => "selectedTeamId",
        UserField::Password => "password",
        UserField::PasswordHash => "passwordHash",
        UserField::PasswordExpired => "passwordExpired",
        UserField::TotpSecret => "totpSecret",
        UserField::OauthProvider => "oauthProvider",
        UserField::OauthId => "oauthId",
        UserField::OtpAuthEnabled => "otpAuthEnabled",
        UserField::PasskeyAuthEnabled => "passkeyAuthEnabled",
        UserField::ClientMetadata => "clientMetadata",
        UserField::ClientReadOnlyMetadata => "clientReadOnlyMetadata",
        UserField::ServerMetadata => "serverMetadata",
        UserField::RiskScores => "riskScores",
        UserField::RiskSignUpBot => "riskSignUpBot",
        UserField::RiskSignUpFreeTrialAbuse => "riskSignUpFreeTrialAbuse",
        UserField::CreatedAt => "createdAt",
        UserField::UpdatedAt => "updatedAt",
        UserField::SignedUpAt => "signedUpAt",
        UserField::LastActiveAt => "lastActiveAt",
        UserField::Version => "version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let t = Utc
            .timestamp_millis_opt(1_764_213_907_541)
            .single()
            .expect("valid time");
        assert_eq!(timestamp(t), "2025-11-27T03:25:07.541Z");
        let whole = Utc
            .timestamp_opt(1_764_213_907, 0)
            .single()
            .expect("valid time");
        assert_eq!(timestamp(whole), "2025-11-27T03:25:07.000Z");
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id(&["u", "email", "a@example.com"]);
        assert_eq!(a, derived_id(&["u", "email", "a@example.com"]));
        assert_ne!(a, derived_id(&["u", "email", "b@example.com"]));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn the_phone_number_shows_its_verification() {
        let mut user = gateway_core::User::new(gateway_core::UserId::new(), "pat", Utc::now());
        user.profile.phone_number = Some("+31201234567".into());
        let shown = |user: &gateway_core::User| {
            User::from(Profile {
                user,
                active_sessions: 0,
            })
            .phone_numbers
            .iter()
            .map(|p| p.verified)
            .collect::<Vec<_>>()
        };
        assert_eq!(shown(&user), [false]);
        user.profile.phone_number_verified = true;
        assert_eq!(shown(&user), [true]);
    }

    #[test]
    fn a_patch_sets_only_what_it_names() {
        let patch = UserPatch::from(UpdateUserRequest {
            name: Some("Jane".into()),
            bio: Some(None),
            ..Default::default()
        });
        assert_eq!(patch.display_name, Some(Some("Jane".into())));
        assert_eq!(patch.bio, Some(None));
        assert_eq!(patch.locale, None);
        assert_eq!(
            patch,
            UserPatch {
                display_name: Some(Some("Jane".into())),
                bio: Some(None),
                ..Default::default()
            }
        );
    }
}
