//! `serve --demo` (what `make run` uses): ensures a demo user with a team and prints fresh
//! credentials for every surface.

use gateway_core::{
    CoreError, ErrorKind, NewUser, PasswordChange, Surface, TeamRole, UserPatch, UserStatus,
};

use crate::{AppState, credentials};

/// Username of the demo user.
pub const DEMO_USERNAME: &str = "demo";
/// Password of the demo user.
pub const DEMO_PASSWORD: &str = "demo-password";
const KEY_LABEL: &str = "make run demo";

/// Ensures the demo user exists, replaces its demo keys, and prints a credential set.
pub async fn ensure_and_print(state: &AppState, base_url: &str) -> anyhow::Result<()> {
    let gateway = &state.gateway;
    let user = match gateway.user_by_username(DEMO_USERNAME).await {
        Ok(user) => user,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let mut new = NewUser::regular(DEMO_USERNAME);
            new.fields.email = Some(Some("demo@example.com".into()));
            new.fields.email_verified = Some(true);
            new.fields.password = Some(Some(PasswordChange::Plain(DEMO_PASSWORD.into())));
            new.fields.display_name = Some(Some("Demo User".into()));
            new.fields.first_name = Some(Some("Demo".into()));
            new.fields.last_name = Some(Some("User".into()));
            new.fields.status = Some(UserStatus::Active);
            let user = gateway.create_user(new).await?.value;
            let team = gateway.create_team("Demo Team").await?;
            gateway
                .add_member(team.id, user.id, TeamRole::Owner)
                .await?;
            let patch = UserPatch {
                selected_team_id: Some(Some(team.id)),
                ..UserPatch::default()
            };
            gateway.update_user(user.id, patch).await?.value
        }
        Err(e) => return Err(e.into()),
    };
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
    println!(
        "\ndemo user {DEMO_USERNAME:?} (id {}, password {DEMO_PASSWORD:?}); credentials:",
        user.id
    );
    // The tiered surface signs its own project-bound ES256 tokens; its HS256 entry is not shown.
    for c in set.iter().filter(|c| c.surface != Surface::Users.as_str()) {
        println!("  {:<16} token   {}", c.surface, c.access_token);
        if let Some(key) = &c.api_key {
            println!("  {:<16} api key {key}", "");
        }
    }
    println!(
        "  {:<16} create a project: POST {base_url}/admin/projects, then a session:\n  {:<16} POST {base_url}/admin/projects/{{project id}}/users/{}/sessions",
        "users (tiered)", "", user.id
    );
    if state.admin_token.is_empty() {
        println!("\ntry:  curl -H 'Authorization: Bearer <me token>' {base_url}/me\n");
    } else {
        println!(
            "  {:<16} {}   (again: `gateway admin-token`)",
            "admin token", state.admin_token
        );
        println!(
            "\ntry:  curl -H 'Authorization: Bearer <me token>' {base_url}/me\nmore: curl -X POST -H 'Authorization: Bearer <admin token>' {base_url}/admin/users/{}/tokens\n",
            user.id
        );
    }
    Ok(())
}

fn ignore_not_found(e: CoreError) -> Result<(), CoreError> {
    if e.kind() == ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}
