//! Fixture export (`GET /admin/fixtures/export`, `gateway fixtures export`): the current state as
//! a fixture document (`fixtures::FixtureFile`) that loads back to the same state: users with
//! every core field and timestamp and their other contact channels, teams with their members and
//! join times, API keys, fixed tokens, projects and the fault rules that can still fire.
//!
//! Secrets are written as the gateway keeps them, never in clear: `password_hash` (argon2id or
//! bcrypt, Modular Crypt Format), `secret_sha256` of each API key's secret (with its public
//! `id`), `token_sha256` of each fixed token, `refresh_token_sha256` of each active session (so
//! the access tokens that name it work again), `*_key_sha256` of each project key. The document
//! says so in its `exported.secrets` field (and, in YAML, a header comment). Not exported:
//! revoked keys and ended sessions, the request journal, and fixed tokens and fault rules when
//! the state is read from the database alone (the CLI: those live in a running gateway's
//! memory).

use std::collections::HashMap;

use gateway_core::{CoreError, User};
use gateway_http::faults::FaultRuleSpec;
use serde_norway::Value;
use uuid::Uuid;

use crate::{
    AppState,
    emulator::fixtures::{
        Exported, FixtureChannel, FixtureFile, FixtureKey, FixtureMember, FixtureProject,
        FixtureSession, FixtureTeam, FixtureToken, FixtureUser, Format,
    },
};

/// What `exported.secrets` says.
pub const SECRETS_NOTE: &str = "hashes only: password_hash is the stored argon2id/bcrypt hash; \
    secret_sha256, token_sha256, refresh_token_sha256 and *_key_sha256 are SHA-256 digests of the \
    secret texts. They \
    load back to the same credentials, but no secret can be read from this file. Revoked keys \
    and ended sessions are not exported.";

const PAGE: i64 = 500;

/// The current state as a fixture document.
pub async fn snapshot(state: &AppState) -> Result<FixtureFile, CoreError> {
    let gateway = &state.gateway;
    let mut users = Vec::new();
    loop {
        let page = gateway.list_users(PAGE, users.len() as i64).await?;
        let last = (page.len() as i64) < PAGE;
        users.extend(page);
        if last {
            break;
        }
    }
    let fixed = state.tokens.fixed();
    let mut members: HashMap<Uuid, Vec<FixtureMember>> = HashMap::new();
    let mut out_users = Vec::with_capacity(users.len());
    for user in &users {
        for m in gateway.memberships(user.id).await? {
            members.entry(m.team.id).or_default().push(FixtureMember {
                user: user.identity.username.clone(),
                role: Some(m.role.as_str().to_owned()),
                joined_at: Some(m.joined_at),
                permissions: Some(m.permissions),
            });
        }
        let mut fixture = user_fixture(user);
        fixture.contact_channels = gateway
            .contact_channels(user)
            .await?
            .into_iter()
            .filter(|c| !c.is_primary)
            .map(|c| FixtureChannel {
                value: c.value,
                is_verified: c.is_verified,
                used_for_auth: c.used_for_auth,
                created_at: Some(c.created_at),
            })
            .collect();
        for key in gateway.api_keys_of(user.id).await? {
            if key.revoked_at.is_some() {
                continue;
            }
            fixture.api_keys.push(FixtureKey {
                surface: key.surface.as_str().to_owned(),
                id: Some(key.id),
                secret_sha256: Some(key.secret_hash),
                label: key.label,
                created_at: Some(key.created_at),
                expires_at: key.expires_at,
                is_public: key.is_public,
                hint: key.hint,
                ..FixtureKey::default()
            });
        }
        fixture.tokens = fixed
            .iter()
            .filter(|t| t.user == user.id)
            .map(|t| FixtureToken {
                surface: t.surface.as_str().to_owned(),
                token: None,
                token_sha256: Some(t.sha256.clone()),
            })
            .collect();
        fixture.sessions = gateway
            .sessions_to_export(user.id)
            .await?
            .into_iter()
            .map(|(session, project_id)| FixtureSession {
                id: session.id,
                surface: session.surface.as_str().to_owned(),
                refresh_token_sha256: session.refresh_token_hash,
                created_at: session.created_at,
                expires_at: session.expires_at,
                project_id,
                is_impersonation: session.is_impersonation,
            })
            .collect();
        out_users.push(fixture);
    }
    let teams = gateway
        .list_teams()
        .await?
        .into_iter()
        .map(|t| FixtureTeam {
            id: Some(t.id),
            members: members.remove(&t.id).unwrap_or_default(),
            display_name: t.display_name,
            profile_image_url: t.profile_image_url,
            client_metadata: t.metadata.client,
            client_read_only_metadata: t.metadata.client_read_only,
            server_metadata: t.metadata.server,
            created_at: Some(t.created_at),
        })
        .collect();
    let projects = gateway
        .list_projects()
        .await?
        .into_iter()
        .map(|p| FixtureProject {
            id: Some(p.id),
            display_name: p.display_name,
            publishable_client_key_sha256: Some(p.publishable_client_key_hash),
            secret_server_key_sha256: Some(p.secret_server_key_hash),
            require_publishable_client_key: p.require_publishable_client_key,
            allow_client_user_deletion: p.allow_client_user_deletion,
            client_team_creation_enabled: p.client_team_creation_enabled,
            create_team_on_sign_up: p.create_team_on_sign_up,
            allow_user_api_keys: p.allow_user_api_keys,
            sign_up_enabled: p.sign_up_enabled,
            credential_enabled: p.credential_enabled,
            magic_link_enabled: p.magic_link_enabled,
            ..FixtureProject::default()
        })
        .collect();
    let faults = state
        .faults
        .list()
        .into_iter()
        .filter(|r| r.remaining != Some(0))
        .map(|r| FaultRuleSpec {
            surface: r.surface,
            method: r.method,
            path: r.path,
            user: r.user,
            status: r.status,
            retry_after: r.retry_after,
            message: r.message,
            latency_ms: r.latency_ms,
            drop_connection: r.drop_connection,
            count: r.remaining,
            probability: Some(r.probability),
        })
        .collect();
    Ok(FixtureFile {
        exported: Some(Exported {
            at: Some(gateway_core::service::now()),
            gateway_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            secrets: Some(SECRETS_NOTE.to_owned()),
        }),
        users: out_users,
        teams,
        projects,
        faults,
    })
}

/// Every field of `user` (keys and tokens are added by the caller).
fn user_fixture(u: &User) -> FixtureUser {
    let (i, p, a, s) = (&u.identity, &u.profile, &u.account, &u.security);
    FixtureUser {
        id: Some(u.id.0),
        username: i.username.clone(),
        email: i.email.clone(),
        email_verified: Some(i.email_verified),
        email_auth_enabled: Some(i.email_auth_enabled),
        password: None,
        password_hash: s.password_hash.clone(),
        password_expired: s.password_expired,
        totp_secret: s.totp_secret.clone(),
        oauth_provider: s.oauth_provider.clone(),
        oauth_id: s.oauth_id.clone(),
        kind: Some(a.kind.as_str().to_owned()),
        organization_id: a.organization_id,
        is_active: Some(a.is_active),
        is_superuser: Some(a.is_superuser),
        is_platform_admin: Some(a.is_platform_admin),
        is_onboarded: Some(a.is_onboarded),
        email_opt_in: Some(a.email_opt_in),
        is_anonymous: Some(a.is_anonymous),
        restricted_by_admin: Some(a.restricted_by_admin),
        restricted_by_admin_reason: a.restricted_by_admin_reason.clone(),
        restricted_by_admin_private_details: a.restricted_by_admin_private_details.clone(),
        otp_auth_enabled: Some(s.otp_auth_enabled),
        passkey_auth_enabled: Some(s.passkey_auth_enabled),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        display_name: p.display_name.clone(),
        bio: p.bio.clone(),
        avatar_url: p.avatar_url.clone(),
        locale: p.locale.clone(),
        timezone: p.timezone.clone(),
        phone_number: p.phone_number.clone(),
        phone_number_verified: Some(p.phone_number_verified),
        company: p.company.clone(),
        job_title: p.job_title.clone(),
        status: Some(a.status.as_str().to_owned()),
        country_code: p.country_code.clone(),
        risk_sign_up_bot: Some(u.risk.sign_up_bot),
        risk_sign_up_free_trial_abuse: Some(u.risk.sign_up_free_trial_abuse),
        client_metadata: u.metadata.client.clone(),
        client_read_only_metadata: u.metadata.client_read_only.clone(),
        server_metadata: u.metadata.server.clone(),
        selected_team: a.selected_team_id.map(|t| t.to_string()),
        created_at: Some(u.timestamps.created_at),
        signed_up_at: Some(u.timestamps.signed_up_at),
        last_active_at: Some(u.timestamps.last_active_at),
        updated_at: Some(u.timestamps.updated_at),
        version: Some(u.version),
        api_keys: Vec::new(),
        tokens: Vec::new(),
        sessions: Vec::new(),
        contact_channels: Vec::new(),
    }
}

/// Drops absent values (`null`) and empty lists from the document's own objects, leaving the
/// metadata values (any JSON, where `null` means something) as they are.
fn prune(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            map.retain(|k, v| {
                let keep = !v.is_null() && !v.as_sequence().is_some_and(Vec::is_empty);
                let metadata = k.as_str().is_some_and(|k| k.ends_with("_metadata"));
                if keep && !metadata {
                    prune(v);
                }
                keep
            });
        }
        Value::Sequence(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// Renders a document as YAML (with a header comment on its secrets) or JSON.
pub fn render(file: &FixtureFile, format: Format) -> anyhow::Result<String> {
    let mut value = serde_norway::to_value(file)?;
    prune(&mut value);
    Ok(match format {
        Format::Yaml => format!(
            "# gateway fixture export; load it with `gateway fixtures load FILE`,\n\
             # `gateway serve --fixtures FILE` or POST /admin/fixtures.\n\
             # SECRETS ARE HASHES: password_hash, secret_sha256, token_sha256,\n\
             # refresh_token_sha256 and *_key_sha256\n\
             # reproduce the same credentials, but no secret can be read from this file.\n{}",
            serde_norway::to_string(&value)?
        ),
        Format::Json => serde_json::to_string_pretty(&value)? + "\n",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_metadata_nulls_and_drops_absent_fields() {
        let mut value: Value = serde_norway::from_str(
            "users:\n  - username: a\n    email: null\n    api_keys: []\n    client_metadata: {x: null, y: []}\nteams: []\n",
        )
        .unwrap();
        prune(&mut value);
        assert_eq!(
            serde_norway::to_string(&value).unwrap(),
            "users:\n- username: a\n  client_metadata:\n    x: null\n    y: []\n"
        );
    }

    #[test]
    fn the_yaml_says_its_secrets_are_hashes_and_parses_back() {
        let file = FixtureFile {
            exported: Some(Exported {
                secrets: Some(SECRETS_NOTE.into()),
                ..Exported::default()
            }),
            users: vec![FixtureUser {
                username: "ada".into(),
                ..FixtureUser::default()
            }],
            ..FixtureFile::default()
        };
        for format in [Format::Yaml, Format::Json] {
            let text = render(&file, format).unwrap();
            assert!(text.contains("hashes only"), "{text}");
            let back: FixtureFile = match format {
                Format::Yaml => serde_norway::from_str(&text).unwrap(),
                Format::Json => serde_json::from_str(&text).unwrap(),
            };
            assert_eq!(back.users[0].username, "ada");
        }
        assert!(
            render(&file, Format::Yaml)
                .unwrap()
                .starts_with("# gateway fixture export")
        );
    }
}
