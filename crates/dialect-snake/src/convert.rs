//! Conversions between the wire types and the core, per the spec's "Field mapping to the core":
//!
//! | core | `platform` | `users-me` |
//! |---|---|---|
//! | id | `id` | `id` |
//! | email | `email_address` | `email` |
//! | username | `username` | `username` |
//! | display name | `full_name` | `name` |
//! | first / last name | `first_name` / `last_name` | — |
//! | avatar URL, company, job title | — | `avatar_url`, `company`, `job_title` |
//! | is_onboarded | `onboarding_complete` | `is_onboarded` |
//! | is_platform_admin | `is_platform_admin` | — |
//! | is_superuser | — | `is_superuser` |
//! | email_opt_in | `email_opt_in` | — |
//! | is_active, password_expired | — | `is_active`, `password_expired` |
//! | kind = service account, organization | — | `is_service_account`, `organization_id` |
//! | oauth provider / id | — | `oauth_provider`, `oauth_id` |
//! | metadata.client | — | `metadata` |
//! | memberships | `teams` | — |
//!
//! Core values are destructured exhaustively (no `..`), so a new core or wire field is a compile
//! error here until someone decides where it goes.

use garde::Validate;
use gateway_core::UserField;
use gateway_core::{
    Account, Identity, MetadataTiers, PasswordChange, Profile, RiskScores, Security, Team,
    TeamMembership, TeamRole, Timestamps, User, UserKind, UserPatch,
};
use serde_json::Value;

use crate::{
    error::{Expected, PlatformError, UsersMeError, WireIssue, garde_issues},
    wire::{
        Sent,
        platform::{self, ChangeUsername, UserTeam},
        users_me::{UserResponse, UserUpdate},
    },
};

// ---------------------------------------------------------------------------------------------
// platform

impl From<(User, Vec<TeamMembership>)> for platform::User {
    fn from((user, memberships): (User, Vec<TeamMembership>)) -> Self {
        let User {
            id,
            identity:
                Identity {
                    username,
                    email,
                    email_verified: _,
                    email_auth_enabled: _,
                },
            profile:
                Profile {
                    first_name,
                    last_name,
                    display_name,
                    bio: _,
                    avatar_url: _,
                    locale: _,
                    timezone: _,
                    phone_number: _,
                    phone_number_verified: _,
                    company: _,
                    job_title: _,
                    country_code: _,
                },
            account:
                Account {
                    kind: _,
                    organization_id: _,
                    status: _,
                    is_active: _,
                    is_superuser: _,
                    is_platform_admin,
                    is_onboarded,
                    email_opt_in,
                    is_anonymous: _,
                    restricted_by_admin: _,
                    restricted_by_admin_reason: _,
                    restricted_by_admin_private_details: _,
                    selected_team_id: _,
                },
            security:
                Security {
                    password_hash: _,
                    password_expired: _,
                    totp_secret: _,
                    oauth_provider: _,
                    oauth_id: _,
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
                    created_at: _,
                    updated_at: _,
                    signed_up_at: _,
                    last_active_at: _,
                },
            version: _,
        } = user;
        Self {
            id: id.to_string(),
            // The SDK requires a string: an account without an email shows an empty one.
            email_address: email.unwrap_or_default(),
            username,
            first_name,
            last_name,
            full_name: display_name,
            onboarding_complete: is_onboarded,
            email_opt_in,
            is_platform_admin,
            features: Vec::new(),
            groups: Vec::new(),
            teams: memberships.into_iter().map(UserTeam::from).collect(),
            limits: None,
        }
    }
}

impl From<TeamMembership> for UserTeam {
    fn from(membership: TeamMembership) -> Self {
        let TeamMembership {
            team,
            role,
            permissions: _,
            joined_at: _,
        } = membership;
        let Team {
            id,
            display_name,
            profile_image_url: _,
            metadata: _,
            created_at: _,
        } = team;
        let is_owner = role == TeamRole::Owner;
        // A core team is also its own organization (`gateway_core::tenancy`): the entry names it
        // both ways, as `GET /api/v1/user/organizations` lists it.
        Self {
            team_id: id.to_string(),
            org_id: Some(id.to_string()),
            org_name: Some(display_name.clone()),
            team_name: display_name,
            role: platform::TeamRole::from(role),
            member_id: None,
            is_admin: Some(is_owner),
            is_owner: Some(is_owner),
        }
    }
}

impl From<TeamRole> for platform::TeamRole {
    fn from(role: TeamRole) -> Self {
        match role {
            TeamRole::Owner => Self::Owner,
            TeamRole::Member => Self::Member,
        }
    }
}

impl TryFrom<ChangeUsername> for UserPatch {
    type Error = PlatformError;

    fn try_from(body: ChangeUsername) -> Result<Self, PlatformError> {
        let ChangeUsername { username } = body;
        let issue = match username {
            Sent::Value(username) => {
                return Ok(UserPatch {
                    username: Some(username),
                    // Not written by this surface: every other field, named so that a new
                    // field does not compile here until this dialect decides about it.
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
                    display_name: None,
                    bio: None,
                    avatar_url: None,
                    locale: None,
                    timezone: None,
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
                });
            }
            Sent::Absent => WireIssue::missing("username"),
            Sent::Null => WireIssue::wrong_type("username", Expected::String, "null"),
            Sent::Invalid(sent) => WireIssue::wrong_type("username", Expected::String, sent),
        };
        Err(PlatformError::validation(vec![issue]))
    }
}

// ---------------------------------------------------------------------------------------------
// users-me

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        let User {
            id,
            identity:
                Identity {
                    username,
                    email,
                    email_verified: _,
                    email_auth_enabled: _,
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
                    company,
                    job_title,
                    country_code: _,
                },
            account:
                Account {
                    kind,
                    organization_id,
                    status: _,
                    is_active,
                    is_superuser,
                    is_platform_admin: _,
                    is_onboarded,
                    email_opt_in: _,
                    is_anonymous: _,
                    restricted_by_admin: _,
                    restricted_by_admin_reason: _,
                    restricted_by_admin_private_details: _,
                    selected_team_id: _,
                },
            security:
                Security {
                    password_hash: _,
                    password_expired,
                    totp_secret: _,
                    oauth_provider,
                    oauth_id,
                    otp_auth_enabled: _,
                    passkey_auth_enabled: _,
                },
            metadata:
                MetadataTiers {
                    client,
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
                    created_at: _,
                    updated_at: _,
                    signed_up_at: _,
                    last_active_at: _,
                },
            version: _,
        } = user;
        let is_service_account = kind == UserKind::ServiceAccount;
        Self {
            password: None,
            password_expired,
            name: display_name,
            avatar_url,
            company,
            job_title,
            metadata: client,
            id: id.0,
            username,
            email,
            oauth_provider,
            oauth_id,
            is_active,
            is_superuser,
            is_service_account,
            organization_id: if is_service_account {
                organization_id
            } else {
                None
            },
            is_onboarded,
        }
    }
}

/// Records a type error of `field`, if the client sent a value of the wrong JSON type.
fn check_type<T>(issues: &mut Vec<WireIssue>, field: &str, expected: Expected, sent: &Sent<T>) {
    if let Some(sent) = sent.invalid() {
        issues.push(WireIssue::wrong_type(field, expected, sent));
    }
}

impl TryFrom<UserUpdate> for UserPatch {
    type Error = UsersMeError;

    /// Type errors and this surface's limits (garde) are all reported at once, as one 422.
    /// `null` and absent fields leave the value unchanged.
    fn try_from(update: UserUpdate) -> Result<Self, UsersMeError> {
        let limits = update.validate();
        let UserUpdate {
            password,
            password_expired,
            name,
            avatar_url,
            company,
            job_title,
            metadata,
            username,
            email,
            is_active,
            is_onboarded,
            is_superuser,
        } = update;
        let mut issues = Vec::new();
        check_type(&mut issues, "password", Expected::String, &password);
        check_type(
            &mut issues,
            "password_expired",
            Expected::Boolean,
            &password_expired,
        );
        check_type(&mut issues, "name", Expected::String, &name);
        check_type(&mut issues, "avatar_url", Expected::String, &avatar_url);
        check_type(&mut issues, "company", Expected::String, &company);
        check_type(&mut issues, "job_title", Expected::String, &job_title);
        check_type(&mut issues, "metadata", Expected::Object, &metadata);
        check_type(&mut issues, "username", Expected::String, &username);
        check_type(&mut issues, "email", Expected::String, &email);
        check_type(&mut issues, "is_active", Expected::Boolean, &is_active);
        check_type(
            &mut issues,
            "is_onboarded",
            Expected::Boolean,
            &is_onboarded,
        );
        check_type(
            &mut issues,
            "is_superuser",
            Expected::Boolean,
            &is_superuser,
        );
        if let Err(report) = limits {
            issues.extend(garde_issues(&report));
        }
        if !issues.is_empty() {
            return Err(UsersMeError::validation(&issues));
        }
        Ok(UserPatch {
            username: username.into_value(),
            email: email.into_value().map(Some),
            password: password
                .into_value()
                .map(|p| Some(PasswordChange::Plain(p))),
            password_expired: password_expired.into_value().map(Some),
            is_active: is_active.into_value(),
            is_superuser: is_superuser.into_value(),
            is_onboarded: is_onboarded.into_value(),
            display_name: name.into_value().map(Some),
            avatar_url: avatar_url.into_value().map(Some),
            company: company.into_value().map(Some),
            job_title: job_title.into_value().map(Some),
            client_metadata: metadata.into_value().map(|m| Some(Value::Object(m))),
            // Not written by this surface: every other field, named so that a new
            // field does not compile here until this dialect decides about it.
            email_verified: None,
            email_auth_enabled: None,
            totp_secret: None,
            is_platform_admin: None,
            email_opt_in: None,
            is_anonymous: None,
            restricted_by_admin: None,
            restricted_by_admin_reason: None,
            restricted_by_admin_private_details: None,
            otp_auth_enabled: None,
            passkey_auth_enabled: None,
            first_name: None,
            last_name: None,
            bio: None,
            locale: None,
            timezone: None,
            phone_number: None,
            phone_number_verified: None,
            status: None,
            country_code: None,
            risk_scores: None,
            client_read_only_metadata: None,
            server_metadata: None,
            selected_team_id: None,
            expected_version: None,
        })
    }
}

/// The wire names of every user field, `(platform, users-me)`: this dialect's one table, an
/// exhaustive match, so a new [`UserField`] does not compile until both surfaces have named it.
/// A field a surface does not show keeps its core name (the vendors' field names are
/// `snake_case` too).
pub fn user_field_names(field: UserField) -> (&'static str, &'static str) {
    match field {
        UserField::Id => ("id", "id"),
        UserField::Username => ("username", "username"),
        UserField::Email => ("email_address", "email"),
        UserField::EmailVerified => ("email_verified", "email_verified"),
        UserField::EmailAuthEnabled => ("email_auth_enabled", "email_auth_enabled"),
        UserField::FirstName => ("first_name", "first_name"),
        UserField::LastName => ("last_name", "last_name"),
        UserField::DisplayName => ("full_name", "name"),
        UserField::Bio => ("bio", "bio"),
        UserField::AvatarUrl => ("avatar_url", "avatar_url"),
        UserField::Locale => ("locale", "locale"),
        UserField::Timezone => ("timezone", "timezone"),
        UserField::PhoneNumber => ("phone_number", "phone_number"),
        UserField::PhoneNumberVerified => ("phone_number_verified", "phone_number_verified"),
        UserField::Company => ("company", "company"),
        UserField::JobTitle => ("job_title", "job_title"),
        UserField::CountryCode => ("country_code", "country_code"),
        UserField::Kind => ("kind", "kind"),
        UserField::OrganizationId => ("organization_id", "organization_id"),
        UserField::Status => ("status", "status"),
        UserField::IsActive => ("is_active", "is_active"),
        UserField::IsSuperuser => ("is_superuser", "is_superuser"),
        UserField::IsPlatformAdmin => ("is_platform_admin", "is_platform_admin"),
        UserField::IsOnboarded => ("onboarding_complete", "is_onboarded"),
        UserField::EmailOptIn => ("email_opt_in", "email_opt_in"),
        UserField::IsAnonymous => ("is_anonymous", "is_anonymous"),
        UserField::RestrictedByAdmin => ("restricted_by_admin", "restricted_by_admin"),
        UserField::RestrictedByAdminReason => {
            ("restricted_by_admin_reason", "restricted_by_admin_reason")
        }
        UserField::RestrictedByAdminPrivateDetails => (
            "restricted_by_admin_private_details",
            "restricted_by_admin_private_details",
        ),
        UserField::SelectedTeamId => ("selected_team_id", "selected_team_id"),
        UserField::Password => ("password", "password"),
        UserField::PasswordHash => ("password_hash", "password_hash"),
        UserField::PasswordExpired => ("password_expired", "password_expired"),
        UserField::TotpSecret => ("totp_secret", "totp_secret"),
        UserField::OauthProvider => ("oauth_provider", "oauth_provider"),
        UserField::OauthId => ("oauth_id", "oauth_id"),
        UserField::OtpAuthEnabled => ("otp_auth_enabled", "otp_auth_enabled"),
        UserField::PasskeyAuthEnabled => ("passkey_auth_enabled", "passkey_auth_enabled"),
        UserField::ClientMetadata => ("client_metadata", "metadata"),
        UserField::ClientReadOnlyMetadata => {
            ("client_read_only_metadata", "client_read_only_metadata")
        }
        UserField::ServerMetadata => ("server_metadata", "server_metadata"),
        UserField::RiskScores => ("risk_scores", "risk_scores"),
        UserField::RiskSignUpBot => ("risk_sign_up_bot", "risk_sign_up_bot"),
        UserField::RiskSignUpFreeTrialAbuse => (
            "risk_sign_up_free_trial_abuse",
            "risk_sign_up_free_trial_abuse",
        ),
        UserField::CreatedAt => ("created_at", "created_at"),
        UserField::UpdatedAt => ("updated_at", "updated_at"),
        UserField::SignedUpAt => ("signed_up_at", "signed_up_at"),
        UserField::LastActiveAt => ("last_active_at", "last_active_at"),
        UserField::Version => ("version", "version"),
    }
}
