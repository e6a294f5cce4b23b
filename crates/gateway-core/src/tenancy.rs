//! Tenancy as the vendors' CLIs see it: an organization is a core team (one record, shown as a
//! Stack Auth team, a Dreadnode organization and `teams[]` entry, and a ZenML Pro organization);
//! each organization has one default workspace, and each workspace one default project. The
//! gateway keeps no workspace or project records: they are derived from the team (stable ids,
//! fixed keys), because the logins that need them only read them (`docs/dialects/snake.md`, "Tenancy").

use uuid::Uuid;

use crate::{CoreError, Gateway, Team, TeamMembership, User, teams::NewTeam};

/// The key of every organization's default workspace.
pub const DEFAULT_WORKSPACE_KEY: &str = "main";
/// The key of every workspace's default project.
pub const DEFAULT_PROJECT_KEY: &str = "default";

/// An organization of a user: the team, its membership, and its key in URLs.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// The membership (team, role, permissions, joined).
    pub membership: TeamMembership,
    /// A slug (`[a-z0-9-]+`), unique among the user's organizations.
    pub key: String,
}

impl Organization {
    /// The team.
    pub fn team(&self) -> &Team {
        &self.membership.team
    }

    /// Its default (and only) workspace.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            id: derived(self.team().id, "workspace:main"),
            key: DEFAULT_WORKSPACE_KEY,
            name: "Main",
        }
    }

    /// The default project of its workspace.
    pub fn project(&self) -> WorkspaceProject {
        WorkspaceProject {
            id: derived(self.team().id, "project:main/default"),
            key: DEFAULT_PROJECT_KEY,
            name: "Default",
        }
    }
}

/// An organization's workspace (derived, not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workspace {
    /// Stable id (UUID v5 of the team id).
    pub id: Uuid,
    /// Key in URLs.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
}

/// A workspace's project (derived, not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceProject {
    /// Stable id (UUID v5 of the team id).
    pub id: Uuid,
    /// Key in URLs.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
}

fn derived(team: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&team, what.as_bytes())
}

/// A name as a URL key: lower-case ASCII letters and digits joined by `-` (`Jane's Team` ->
/// `jane-s-team`); `org` when nothing is left.
pub fn slug(name: &str) -> String {
    use heck::ToKebabCase;
    let kebab = name.to_kebab_case();
    let kept: String = kebab
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    let joined = kept
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if joined.is_empty() {
        "org".to_owned()
    } else {
        joined
    }
}

/// The user's memberships as organizations, oldest first, with keys: the slug of the name, and
/// for a name whose slug another organization of the list has already, the slug followed by the
/// first 8 hex digits of the team id.
pub fn organizations(mut memberships: Vec<TeamMembership>) -> Vec<Organization> {
    memberships.sort_by(|a, b| {
        (a.joined_at, a.team.created_at, a.team.id).cmp(&(
            b.joined_at,
            b.team.created_at,
            b.team.id,
        ))
    });
    let mut seen = std::collections::HashSet::new();
    memberships
        .into_iter()
        .map(|membership| {
            let mut key = slug(&membership.team.display_name);
            if !seen.insert(key.clone()) {
                key = format!("{key}-{}", &membership.team.id.simple().to_string()[..8]);
                seen.insert(key.clone());
            }
            Organization { membership, key }
        })
        .collect()
}

/// The organization of `orgs` that `wanted` names, by key or by team id.
pub fn find<'a>(orgs: &'a [Organization], wanted: &str) -> Option<&'a Organization> {
    orgs.iter().find(|o| o.key == wanted).or_else(|| {
        let id = Uuid::parse_str(wanted).ok()?;
        orgs.iter().find(|o| o.team().id == id)
    })
}

impl Gateway {
    /// The user's organizations ([`organizations`]).
    pub async fn organizations(&self, user: &User) -> Result<Vec<Organization>, CoreError> {
        Ok(organizations(self.memberships(user.id).await?))
    }

    /// The user's organizations, after giving a user who has none a personal one (named after
    /// the username, selected, the user its owner): what a vendor's onboarding gives a new account
    /// before its CLI logs in. The personal organization's id is derived from the user's, so
    /// logins racing for one new user make one organization (the losers' insert conflicts).
    pub async fn ensure_organization(&self, user: &User) -> Result<Vec<Organization>, CoreError> {
        let orgs = self.organizations(user).await?;
        if !orgs.is_empty() {
            return Ok(orgs);
        }
        let new = NewTeam {
            display_name: user.identity.username.clone(),
            profile_image_url: None,
            metadata: crate::MetadataTiers::default(),
        };
        let first = crate::FirstMember {
            user_id: user.id,
            role: crate::TeamRole::Owner,
            select: true,
        };
        let id = Uuid::new_v5(&user.id.0, b"personal-organization");
        match self.insert_team_as(id, new, Some(first)).await {
            Ok(_) => {}
            Err(e) if e.kind() == crate::ErrorKind::Conflict => {}
            Err(e) => return Err(e),
        }
        self.organizations(user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_keys() {
        assert_eq!(slug("jane"), "jane");
        assert_eq!(slug("Jane's Team"), "jane-s-team");
        assert_eq!(slug("  ACME  Labs__2 "), "acme-labs-2");
        assert_eq!(slug("Ünïcode"), "ncode");
        assert_eq!(slug("日本"), "org");
        assert_eq!(slug("jane.doe@example.com"), "jane-doe-example-com");
    }
}
