//! `serve --demo` (what `make run` uses): ensures a demo user with a team and a demo tiered
//! (Stack Auth) project, and prints fresh credentials for every surface with a copy-paste snippet
//! per vendor SDK (`snippets`).
//!
//! No demo secret is built in except the demo user's password: the project's keys are generated
//! on the first start and kept in the database (`gateway_secrets`, like the generated admin
//! token), so every instance on one database prints the same keys and no other database accepts
//! them; the API keys and tokens are issued afresh on each start.

mod snippets;

use gateway_core::{
    CoreError, ErrorKind, NewTeam, NewUser, PasswordChange, Surface, User, UserPatch, UserStatus,
    credentials::random_token,
    import::{KnownProject, KnownSecret},
    project::{PUBLISHABLE_CLIENT_KEY_PREFIX, SECRET_SERVER_KEY_PREFIX},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AppState, credentials, emulator::fixtures::write_project};

pub use snippets::{SNIPPET_END, SNIPPET_START, Snippet, snippets};

/// Username of the demo user.
pub const DEMO_USERNAME: &str = "demo";
/// Password of the demo user.
pub const DEMO_PASSWORD: &str = "demo-password";
/// Email of the demo user.
pub const DEMO_EMAIL: &str = "demo@example.com";
const KEY_LABEL: &str = "make run demo";
/// Name of the shared secret that holds the demo project's id and keys.
const PROJECT_SECRET: &str = "demo_tiered_project";

/// The demo project as kept in the shared secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DemoProjectKeys {
    id: Uuid,
    publishable_client_key: String,
    secret_server_key: String,
}

/// What the banner and the snippets show.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// Base URL every SDK takes.
    pub base_url: String,
    /// The demo user's id.
    pub user_id: String,
    /// `platform` (Dreadnode) API key.
    pub platform_key: String,
    /// `users-me` (ZenML Pro) API key.
    pub zenml_key: String,
    /// `me` (Bird) API key.
    pub bird_key: String,
    /// Tiered project id.
    pub project_id: String,
    /// Its publishable client key.
    pub publishable_client_key: String,
    /// Its secret server key.
    pub secret_server_key: String,
    /// Tiered access token of the demo user's session.
    pub access_token: String,
    /// Tiered refresh token of that session.
    pub refresh_token: String,
}

async fn ensure_user(state: &AppState) -> anyhow::Result<User> {
    let gateway = &state.gateway;
    match gateway.user_by_username(DEMO_USERNAME).await {
        Ok(user) => Ok(user),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let mut new = NewUser::regular(DEMO_USERNAME);
            new.fields.email = Some(Some(DEMO_EMAIL.into()));
            new.fields.email_verified = Some(true);
            new.fields.password = Some(Some(PasswordChange::Plain(DEMO_PASSWORD.into())));
            new.fields.display_name = Some(Some("Demo User".into()));
            new.fields.first_name = Some(Some("Demo".into()));
            new.fields.last_name = Some(Some("User".into()));
            new.fields.status = Some(UserStatus::Active);
            let user = gateway.create_user(new).await?.value;
            let new_team = NewTeam {
                display_name: "Demo Team".into(),
                ..NewTeam::default()
            };
            let team = gateway.create_team(new_team, Some(user.id)).await?;
            let patch = UserPatch {
                selected_team_id: Some(Some(team.id)),
                ..UserPatch::default()
            };
            Ok(gateway.update_user(user.id, patch).await?.value)
        }
        Err(e) => Err(e.into()),
    }
}

/// The demo project: keys generated once and kept in the shared secrets; the project is
/// (re)created with them when missing (projects outlive a reset).
async fn ensure_project(state: &AppState) -> anyhow::Result<DemoProjectKeys> {
    let generate = || {
        serde_json::to_string(&DemoProjectKeys {
            id: Uuid::new_v4(),
            publishable_client_key: format!("{PUBLISHABLE_CLIENT_KEY_PREFIX}{}", random_token(32)),
            secret_server_key: format!("{SECRET_SERVER_KEY_PREFIX}{}", random_token(32)),
        })
        .unwrap_or_default()
    };
    let stored = state
        .gateway
        .shared_secret(PROJECT_SECRET, generate)
        .await?;
    let keys: DemoProjectKeys = serde_json::from_str(&stored)
        .map_err(|e| anyhow::anyhow!("the stored demo project is unreadable: {e}"))?;
    write_project(
        &state.gateway,
        &KnownProject {
            id: keys.id,
            display_name: "Demo project".into(),
            publishable_client_key: KnownSecret::Plain(keys.publishable_client_key.clone()),
            secret_server_key: KnownSecret::Plain(keys.secret_server_key.clone()),
            require_publishable_client_key: false,
            allow_client_user_deletion: false,
            client_team_creation_enabled: false,
            create_team_on_sign_up: false,
            allow_user_api_keys: false,
            sign_up_enabled: true,
            credential_enabled: true,
            magic_link_enabled: true,
        },
    )
    .await?;
    Ok(keys)
}

/// Ensures the demo user and project, replaces the demo API keys and issues a token and a key
/// per surface (returned too), opens a tiered session.
pub async fn ensure(
    state: &AppState,
    base_url: &str,
) -> anyhow::Result<(DemoCredentials, Vec<credentials::SurfaceCredentials>)> {
    let gateway = &state.gateway;
    let user = ensure_user(state).await?;
    for key in gateway.api_keys_of(user.id).await? {
        if key.label.as_deref() == Some(KEY_LABEL) && key.revoked_at.is_none() {
            gateway
                .revoke_api_key(&key.id)
                .await
                .or_else(ignore_not_found)?;
        }
    }
    let set = credentials::issue_all(
        gateway,
        &state.tokens,
        user.id,
        None,
        Some(KEY_LABEL.into()),
    )
    .await?;
    let key = |surface: Surface| {
        set.iter()
            .find(|c| c.surface == surface.as_str())
            .and_then(|c| c.api_key.clone())
            .unwrap_or_default()
    };
    let project = ensure_project(state).await?;
    let issuer = state
        .public_base_url
        .as_ref()
        .map_or(base_url, |p| p.as_str());
    let session =
        dialect_tiered::session::open_session(gateway, issuer, project.id, user.id).await?;
    let demo = DemoCredentials {
        base_url: base_url.to_owned(),
        user_id: user.id.to_string(),
        platform_key: key(Surface::Platform),
        zenml_key: key(Surface::UsersMe),
        bird_key: key(Surface::Me),
        project_id: project.id.to_string(),
        publishable_client_key: project.publishable_client_key,
        secret_server_key: project.secret_server_key,
        access_token: session.access_token,
        refresh_token: session.refresh_token,
    };
    Ok((demo, set))
}

/// Ensures the demo state and prints the banner: every surface's token and key, the tiered
/// project and session, the admin token, and one snippet per vendor SDK.
pub async fn ensure_and_print(state: &AppState, base_url: &str) -> anyhow::Result<()> {
    let (demo, set) = ensure(state, base_url).await?;
    println!(
        "\ndemo user {DEMO_USERNAME:?} (id {}, password {DEMO_PASSWORD:?}); credentials:",
        demo.user_id
    );
    // The tiered surface signs its own project-bound ES256 tokens; its HS256 entry is not shown.
    for c in set.iter().filter(|c| c.surface != Surface::Users.as_str()) {
        println!("  {:<16} token   {}", c.surface, c.access_token);
        if let Some(key) = &c.api_key {
            println!("  {:<16} api key {key}", "");
        }
    }
    println!("  {:<16} project {}", "users (tiered)", demo.project_id);
    println!(
        "  {:<16} publishable client key {}",
        "", demo.publishable_client_key
    );
    println!(
        "  {:<16} secret server key      {}",
        "", demo.secret_server_key
    );
    println!("  {:<16} access token  {}", "", demo.access_token);
    println!("  {:<16} refresh token {}", "", demo.refresh_token);
    if state.admin_token.is_empty() {
        println!("  {:<16} disabled (admin.enabled = false)", "admin token");
    } else {
        println!(
            "  {:<16} {}   (again: `gateway admin-token`)",
            "admin token", state.admin_token
        );
    }
    println!("\nPoint each vendor's SDK at this gateway (pinned versions: see README.md):");
    for snippet in snippets(&demo) {
        println!("\n{}", snippet.render());
    }
    println!(
        "\ntry:  curl -H 'Authorization: AccessKey {}' {base_url}/me\n",
        demo.bird_key
    );
    Ok(())
}

fn ignore_not_found(e: CoreError) -> Result<(), CoreError> {
    if e.kind() == ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}
