//! Conversions between the wire types and the core: the profile shown for a `User`, the core patch
//! (and this dialect's own normalisation notices) made from a PUT body, warnings made from
//! notices, and core field names turned into wire property names.

use gateway_core::{
    Account, Field, Identity, MetadataTiers, Notice, Profile, RiskScores, Security, Timestamps,
    User, UserField, UserKind, UserPatch,
};

use crate::wire::{
    AccountProfile, Message, MessageType, Severity, TARGET, UpdateAccountProfileRequest, UserType,
};

impl From<UserKind> for UserType {
    fn from(kind: UserKind) -> Self {
        match kind {
            UserKind::Regular => Self::Regular,
            UserKind::Admin => Self::Administrator,
            UserKind::ServiceAccount => Self::ServiceAccount,
        }
    }
}

impl From<&User> for AccountProfile {
    fn from(user: &User) -> Self {
        // Every core field is named, so a new one is a compile error here until it is mapped or
        // deliberately left out.
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
                    display_name: _,
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
                    kind,
                    organization_id: _,
                    status: _,
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
            user_id: id.to_string(),
            user_name: username.clone(),
            email: email.clone(),
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            user_type: UserType::from(*kind),
        }
    }
}

/// A PUT body as the core sees it: the partial patch, and the notices of the normalisation this
/// dialect did itself (trimmed names, a blank email read as "remove").
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileUpdate {
    /// The partial update: only the properties the client sent change.
    pub patch: UserPatch,
    /// This dialect's normalisation remarks, shown as warnings.
    pub notices: Vec<Notice>,
}

impl From<UpdateAccountProfileRequest> for ProfileUpdate {
    fn from(request: UpdateAccountProfileRequest) -> Self {
        let UpdateAccountProfileRequest {
            user_name,
            email,
            first_name,
            last_name,
        } = request;
        let mut notices = Vec::new();
        let email = email.map(|value| clearable_email(value, &mut notices));
        let first_name =
            first_name.map(|value| trimmed_name(UserField::FirstName, value, &mut notices));
        let last_name =
            last_name.map(|value| trimmed_name(UserField::LastName, value, &mut notices));
        let patch = UserPatch {
            // The core trims the username (with a notice) and refuses an empty one.
            username: user_name,
            email,
            first_name,
            last_name,
            // Not written by this surface: every other field, named so that a new
            // field does not compile here until this dialect decides about it.
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
        };
        Self { patch, notices }
    }
}

fn trimmed_notice(field: UserField) -> Notice {
    Notice {
        field: field.into(),
        code: "trimmed",
        message: "surrounding whitespace was removed".to_owned(),
    }
}

/// `FirstName`/`LastName`: trimmed (with a notice when that changed anything); empty clears.
fn trimmed_name(field: UserField, value: String, notices: &mut Vec<Notice>) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.len() != value.len() {
        notices.push(trimmed_notice(field));
    }
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `Email`: blank clears it (with a notice when it was not exactly `""`); anything else goes to
/// the core, which trims, lower-cases and checks it.
fn clearable_email(value: String, notices: &mut Vec<Notice>) -> Option<String> {
    if value.trim().is_empty() {
        if !value.is_empty() {
            notices.push(trimmed_notice(UserField::Email));
        }
        None
    } else {
        Some(value)
    }
}

/// The wire property name of a core field (`first_name` -> `FirstName`): a user field by
/// [`user_field_name`], any other by [`pascal_case`].
pub fn wire_field(field: Field) -> String {
    match field {
        Field::User(field) => user_field_name(field).to_owned(),
        Field::Other(name) => pascal_case(name),
    }
}

/// The wire property name of every user field: this dialect's one table, an exhaustive match,
/// so a new [`UserField`] does not compile until it is named here. The vendor's own properties
/// are `UserName`, `Email`, `FirstName` and `LastName`; every other field is its core name in
/// `PascalCase`.
pub fn user_field_name(field: UserField) -> &'static str {
    match field {
        UserField::Id => "Id",
        UserField::Username => "UserName",
        UserField::Email => "Email",
        UserField::EmailVerified => "EmailVerified",
        UserField::EmailAuthEnabled => "EmailAuthEnabled",
        UserField::FirstName => "FirstName",
        UserField::LastName => "LastName",
        UserField::DisplayName => "DisplayName",
        UserField::Bio => "Bio",
        UserField::AvatarUrl => "AvatarUrl",
        UserField::Locale => "Locale",
        UserField::Timezone => "Timezone",
        UserField::PhoneNumber => "PhoneNumber",
        UserField::PhoneNumberVerified => "PhoneNumberVerified",
        UserField::Company => "Company",
        UserField::JobTitle => "JobTitle",
        UserField::CountryCode => "CountryCode",
        UserField::Kind => "Kind",
        UserField::OrganizationId => "OrganizationId",
        UserField::Status => "Status",
        UserField::IsActive => "IsActive",
        UserField::IsSuperuser => "IsSuperuser",
        UserField::IsPlatformAdmin => "IsPlatformAdmin",
        UserField::IsOnboarded => "IsOnboarded",
        UserField::EmailOptIn => "EmailOptIn",
        UserField::IsAnonymous => "IsAnonymous",
        UserField::RestrictedByAdmin => "RestrictedByAdmin",
        UserField::RestrictedByAdminReason => "RestrictedByAdminReason",
        UserField::RestrictedByAdminPrivateDetails => "RestrictedByAdminPrivateDetails",
        UserField::SelectedTeamId => "SelectedTeamId",
        UserField::Password => "Password",
        UserField::PasswordHash => "PasswordHash",
        UserField::PasswordExpired => "PasswordExpired",
        UserField::TotpSecret => "TotpSecret",
        UserField::OauthProvider => "OauthProvider",
        UserField::OauthId => "OauthId",
        UserField::OtpAuthEnabled => "OtpAuthEnabled",
        UserField::PasskeyAuthEnabled => "PasskeyAuthEnabled",
        UserField::ClientMetadata => "ClientMetadata",
        UserField::ClientReadOnlyMetadata => "ClientReadOnlyMetadata",
        UserField::ServerMetadata => "ServerMetadata",
        UserField::RiskScores => "RiskScores",
        UserField::RiskSignUpBot => "RiskSignUpBot",
        UserField::RiskSignUpFreeTrialAbuse => "RiskSignUpFreeTrialAbuse",
        UserField::CreatedAt => "CreatedAt",
        UserField::UpdatedAt => "UpdatedAt",
        UserField::SignedUpAt => "SignedUpAt",
        UserField::LastActiveAt => "LastActiveAt",
        UserField::Version => "Version",
    }
}

/// `snake_case` -> `PascalCase`.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn shown_value<'a>(profile: &'a AccountProfile, wire: &str) -> Option<&'a str> {
    match wire {
        "UserName" => Some(profile.user_name.as_str()),
        "Email" => profile.email.as_deref(),
        "FirstName" => profile.first_name.as_deref(),
        "LastName" => profile.last_name.as_deref(),
        _ => None,
    }
}

/// Every notice (the core's and this dialect's) as a warning of the 200 envelope, in the
/// documented property order.
pub fn warnings<'a>(
    notices: impl IntoIterator<Item = &'a Notice>,
    profile: &AccountProfile,
) -> Vec<Message> {
    let order = |m: &Message| {
        m.field
            .as_deref()
            .and_then(|f| {
                UpdateAccountProfileRequest::PROPERTIES
                    .iter()
                    .position(|p| *p == f)
            })
            .unwrap_or(usize::MAX)
    };
    let mut all: Vec<Message> = notices.into_iter().map(|n| warning(n, profile)).collect();
    all.sort_by_key(order);
    all
}

fn warning(notice: &Notice, profile: &AccountProfile) -> Message {
    let Notice {
        field,
        code,
        message,
    } = notice;
    let field = wire_field(*field);
    let text = match *code {
        "trimmed" => format!("Leading and trailing whitespace was removed from {field}."),
        "normalized" => match shown_value(profile, &field) {
            Some(value) => format!("{field} was normalized to \"{value}\"."),
            None => format!("{field} was normalized."),
        },
        _ => format!("{field}: {message}."),
    };
    Message {
        code: pascal_case(code),
        message: text,
        target: Some(TARGET.to_owned()),
        field: Some(field),
        metadata: Default::default(),
        message_type: MessageType::Validation,
        severity: Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_kinds_map_to_the_documented_integers() {
        assert_eq!(UserType::from(UserKind::Regular).value(), 0);
        assert_eq!(UserType::from(UserKind::Admin).value(), 1);
        assert_eq!(UserType::from(UserKind::ServiceAccount).value(), 2);
    }

    #[test]
    fn core_fields_get_wire_names() {
        assert_eq!(wire_field(UserField::Username.into()), "UserName");
        assert_eq!(wire_field(UserField::Email.into()), "Email");
        assert_eq!(wire_field(UserField::FirstName.into()), "FirstName");
        assert_eq!(wire_field(UserField::LastName.into()), "LastName");
        assert_eq!(wire_field(UserField::DisplayName.into()), "DisplayName");
        assert_eq!(wire_field(Field::Other("ttl_secs")), "TtlSecs");
        // Every field the vendor has no property for is its core name in PascalCase.
        for field in UserField::ALL {
            if !matches!(field, UserField::Username) {
                assert_eq!(
                    user_field_name(field),
                    pascal_case(field.as_str()),
                    "{field}"
                );
            }
        }
    }

    #[test]
    fn absent_means_unchanged_and_empty_clears() {
        let update = ProfileUpdate::from(UpdateAccountProfileRequest {
            user_name: None,
            email: Some(String::new()),
            first_name: Some("  Ada ".into()),
            last_name: Some(String::new()),
        });
        assert_eq!(update.patch.username, None);
        assert_eq!(update.patch.email, Some(None));
        assert_eq!(update.patch.first_name, Some(Some("Ada".into())));
        assert_eq!(update.patch.last_name, Some(None));
        assert_eq!(update.notices.len(), 1);
        assert_eq!(update.notices[0].field, UserField::FirstName);
        assert_eq!(
            update.patch,
            UserPatch {
                email: Some(None),
                first_name: Some(Some("Ada".into())),
                last_name: Some(None),
                ..UserPatch::default()
            }
        );
    }

    #[test]
    fn blank_email_clears_with_a_notice_and_other_emails_reach_the_core_untouched() {
        let blank = ProfileUpdate::from(UpdateAccountProfileRequest {
            email: Some("   ".into()),
            ..Default::default()
        });
        assert_eq!(blank.patch.email, Some(None));
        assert_eq!(blank.notices[0].field, UserField::Email);
        let mixed = ProfileUpdate::from(UpdateAccountProfileRequest {
            email: Some(" Jane@Example.com".into()),
            ..Default::default()
        });
        assert_eq!(mixed.patch.email, Some(Some(" Jane@Example.com".into())));
        assert!(mixed.notices.is_empty());
    }
}
