//! Conversions of the account routes (device logins, keys, tenancy) to both surfaces' wire
//! types. Every core struct is destructured whole, so a field added to one is a compile error
//! here until this file decides how the vendor shows it.

use chrono::{DateTime, SecondsFormat, Utc};
use gateway_core::{ApiKey, DeviceAuthorization, DeviceState, TeamRole, tenancy::Organization};

use crate::wire::{platform_account as platform, users_me_account as users_me};

/// The timestamp format of both surfaces (RFC 3339, microseconds, `Z`).
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A device login as the platform's `DeviceCodeResponse`; `device_code` is the text the CLI
/// holds (the store keeps only its digest), shown only when the login starts.
pub fn platform_device(
    device: &DeviceAuthorization,
    device_code: Option<&str>,
    verification_url: String,
) -> platform::DeviceCode {
    let DeviceAuthorization {
        id,
        surface: _,
        device_code_hash: _,
        user_code,
        client_id: _,
        client_details: _,
        state,
        user_id,
        created_at: _,
        expires_at,
        interval_secs,
        last_polled_at: _,
        decided_at: _,
        ticket: _,
    } = device;
    platform::DeviceCode {
        id: id.to_string(),
        completed: matches!(state, DeviceState::Approved | DeviceState::Exchanged),
        device_code: device_code.map(str::to_owned),
        user_code: user_code.clone(),
        verification_url,
        expires_at: timestamp(*expires_at),
        expires_in: (*expires_at - gateway_core::service::now())
            .num_seconds()
            .max(0),
        interval: *interval_secs,
        user_id: user_id
            .filter(|_| *state != DeviceState::Pending)
            .map(|u| u.to_string()),
    }
}

/// A platform API key; `text` only when it was just created.
pub fn platform_key(key: &ApiKey, text: Option<String>, prefix: &str) -> platform::UserApiKey {
    let ApiKey {
        id,
        user_id: _,
        surface: _,
        secret_hash: _,
        label,
        created_at,
        // Read through `ApiKey::is_active_at`, the rule authentication applies.
        revoked_at: _,
        expires_at: _,
        is_public: _,
        hint: _,
    } = key;
    let active = key.is_active_at(gateway_core::service::now());
    platform::UserApiKey {
        id: id.clone(),
        key: text,
        masked_key: format!("{prefix}{id}_****"),
        active,
        name: label.clone(),
        allowed_scopes: None,
        created_at: timestamp(*created_at),
        last_used_at: None,
    }
}

/// Sandbox runtime limits the platform reports by default; the gateway enforces none.
const SANDBOX_MAX_SECS: i64 = 86_400;
const SANDBOX_DEFAULT_SECS: i64 = 3_600;

/// An organization on the platform surface.
pub fn platform_org(org: &Organization) -> platform::Organization {
    let team = org.team();
    let created = timestamp(team.created_at);
    platform::Organization {
        id: team.id.to_string(),
        name: team.display_name.clone(),
        key: org.key.clone(),
        description: None,
        is_active: true,
        allow_external_invites: false,
        effective_max_sandbox_runtime_seconds: SANDBOX_MAX_SECS,
        max_sandbox_runtime_source_level: "platform",
        effective_default_sandbox_runtime_seconds: SANDBOX_DEFAULT_SECS,
        default_sandbox_runtime_source_level: "platform",
        platform_max_sandbox_runtime_seconds: SANDBOX_MAX_SECS,
        platform_default_sandbox_runtime_seconds: SANDBOX_DEFAULT_SECS,
        can_manage_members: org.membership.role == TeamRole::Owner,
        created_at: created.clone(),
        updated_at: created,
    }
}

/// An organization's workspace on the platform surface.
pub fn platform_workspace(org: &Organization) -> platform::Workspace {
    let team = org.team();
    let ws = org.workspace();
    let created = timestamp(team.created_at);
    platform::Workspace {
        id: ws.id.to_string(),
        name: ws.name.to_owned(),
        key: ws.key.to_owned(),
        org_id: team.id.to_string(),
        org_name: team.display_name.clone(),
        is_active: true,
        is_default: true,
        project_count: 1,
        created_at: created.clone(),
        updated_at: created,
    }
}

/// An organization's default project on the platform surface.
pub fn platform_project(org: &Organization) -> platform::Project {
    let project = org.project();
    let created = timestamp(org.team().created_at);
    platform::Project {
        id: project.id.to_string(),
        key: project.key.to_owned(),
        name: project.name.to_owned(),
        workspace_id: org.workspace().id.to_string(),
        is_default: true,
        created_at: created.clone(),
        updated_at: created,
    }
}

/// An organization on the users-me surface (`OrganizationRead`).
pub fn users_me_org(org: &Organization) -> users_me::OrganizationRead {
    let team = org.team();
    let created = timestamp(team.created_at);
    users_me::OrganizationRead {
        id: team.id.to_string(),
        name: team.display_name.clone(),
        display_name: team.display_name.clone(),
        description: None,
        created: created.clone(),
        updated: created,
    }
}

/// An organization's workspace on the users-me surface (`WorkspaceRead`). The gateway runs no
/// ZenML server: the workspace's service has no status (no URL), and its state says so.
pub fn users_me_workspace(org: &Organization) -> users_me::WorkspaceRead {
    let ws = org.workspace();
    users_me::WorkspaceRead {
        id: ws.id.to_string(),
        name: format!("{}-{}", org.key, ws.key),
        display_name: ws.name.to_owned(),
        description: None,
        organization: users_me_org(org),
        organization_id: org.team().id.to_string(),
        desired_state: "not_initialized",
        state_reason: "The gateway emulates the ZenML Pro account API; it runs no ZenML server.",
        status: "not_initialized",
        zenml_service: users_me::ZenmlService {
            configuration: None,
            status: None,
        },
    }
}
