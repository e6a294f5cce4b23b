//! Teams: creating, changing and deleting them, who belongs to them and which permissions each
//! member holds. One team is one record in every dialect that shows teams (Stack Auth teams,
//! the platform's `teams[]`); a dialect owns what its vendor's permission names contain.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    CoreError, Gateway, MetadataTiers, Team, TeamMembership, TeamRole, UserId, service::now,
    webhooks::Event,
};

/// The permission a team's creator (an owner) holds from the start.
pub const TEAM_ADMIN: &str = "team_admin";
/// The permission an added member holds from the start.
pub const TEAM_MEMBER: &str = "team_member";

/// What a new team needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewTeam {
    /// Team name.
    pub display_name: String,
    /// Team image URL.
    pub profile_image_url: Option<String>,
    /// Metadata tiers.
    pub metadata: MetadataTiers,
}

/// A change to a team; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamPatch {
    /// New name.
    pub display_name: Option<String>,
    /// New image URL.
    pub profile_image_url: Option<Option<String>>,
    /// New client metadata.
    pub client_metadata: Option<Option<Value>>,
    /// New client-read-only metadata.
    pub client_read_only_metadata: Option<Option<Value>>,
    /// New server metadata.
    pub server_metadata: Option<Option<Value>>,
}

impl TeamPatch {
    /// Applies the patch to `team`: the one place that maps a patch onto a team (every store
    /// uses it).
    pub fn apply_to(&self, team: &mut Team) {
        let Self {
            display_name,
            profile_image_url,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
        } = self;
        if let Some(v) = display_name {
            team.display_name.clone_from(v);
        }
        if let Some(v) = profile_image_url {
            team.profile_image_url.clone_from(v);
        }
        if let Some(v) = client_metadata {
            team.metadata.client.clone_from(v);
        }
        if let Some(v) = client_read_only_metadata {
            team.metadata.client_read_only.clone_from(v);
        }
        if let Some(v) = server_metadata {
            team.metadata.server.clone_from(v);
        }
    }
}

/// The first member of a new team, written with it: an owner (the creator) holding the role's
/// default permission, joined at the team's creation, and (`select`) the user's selected team
/// from then on (a change of the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstMember {
    /// The user.
    pub user_id: UserId,
    /// Its role.
    pub role: TeamRole,
    /// Whether the team becomes the user's selected team.
    pub select: bool,
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// The user's role.
    pub role: TeamRole,
    /// The permissions the user holds in the team (ids, sorted).
    pub permissions: Vec<String>,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
}

/// `permissions` (sorted, each once) with `permission` added (`grant`) or removed: what every
/// store writes.
pub fn changed(permissions: &[String], permission: &str, grant: bool) -> Vec<String> {
    let mut out: Vec<String> = permissions
        .iter()
        .filter(|p| p.as_str() != permission)
        .cloned()
        .collect();
    if grant {
        out.push(permission.to_owned());
        out.sort();
    }
    out
}

fn team_not_found() -> CoreError {
    CoreError::not_found("team not found")
}

fn membership_not_found() -> CoreError {
    CoreError::not_found("team membership not found")
}

impl Gateway {
    /// Creates a team; with `creator`, the creator is its first member (an owner holding
    /// [`TEAM_ADMIN`]) in the same write. A creator that does not exist is `NotFound`.
    pub async fn create_team(
        &self,
        new: NewTeam,
        creator: Option<UserId>,
    ) -> Result<Team, CoreError> {
        let first = creator.map(|user_id| FirstMember {
            user_id,
            role: TeamRole::Owner,
            select: false,
        });
        self.insert_team(new, first).await
    }

    /// Creates a team whose creator is `user` and selects it for the user, in one write (a
    /// personal team on sign-up).
    pub async fn create_selected_team(
        &self,
        new: NewTeam,
        user: UserId,
    ) -> Result<Team, CoreError> {
        let first = FirstMember {
            user_id: user,
            role: TeamRole::Owner,
            select: true,
        };
        self.insert_team(new, Some(first)).await
    }

    async fn insert_team(
        &self,
        new: NewTeam,
        first: Option<FirstMember>,
    ) -> Result<Team, CoreError> {
        self.insert_team_as(Uuid::new_v4(), new, first).await
    }

    /// [`Self::insert_team`] with a chosen id: a second insert of the same id is `Conflict`
    /// (how racing writers of one derived team, a personal organization, end with one).
    pub(crate) async fn insert_team_as(
        &self,
        id: Uuid,
        new: NewTeam,
        first: Option<FirstMember>,
    ) -> Result<Team, CoreError> {
        if let Some(first) = first {
            self.user(first.user_id).await?;
        }
        let NewTeam {
            display_name,
            profile_image_url,
            metadata,
        } = new;
        let team = Team {
            id,
            display_name,
            profile_image_url,
            metadata,
            created_at: now(),
        };
        self.store().insert_team(&team, first).await?;
        self.announce(|| Event::TeamCreated(team.clone()));
        Ok(team)
    }

    /// A team by id (`NotFound` when there is none).
    pub async fn team(&self, id: Uuid) -> Result<Team, CoreError> {
        self.store().team(id).await?.ok_or_else(team_not_found)
    }

    /// Changes a team.
    pub async fn update_team(&self, id: Uuid, patch: TeamPatch) -> Result<Team, CoreError> {
        let team = self
            .store()
            .update_team(id, &patch, now())
            .await?
            .ok_or_else(team_not_found)?;
        self.announce(|| Event::TeamUpdated(team.clone()));
        Ok(team)
    }

    /// Deletes a team with its memberships; users who had selected it have no selected team
    /// after.
    pub async fn delete_team(&self, id: Uuid) -> Result<(), CoreError> {
        if self.store().delete_team(id, now()).await? {
            self.announce(|| Event::TeamDeleted(id));
            Ok(())
        } else {
            Err(team_not_found())
        }
    }

    /// Adds a user to a team with a role (a new member holds the role's default permission), or
    /// changes the role of a member. A team or user that does not exist is `NotFound`.
    pub async fn add_member(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
    ) -> Result<(), CoreError> {
        self.team(team_id).await?;
        self.user(user_id).await?;
        // A role change of a member is no new membership.
        let joined = self
            .store()
            .add_membership(team_id, user_id, role, now())
            .await?;
        if joined {
            self.announce(|| Event::MembershipCreated { team_id, user_id });
        }
        Ok(())
    }

    /// Ends a membership with its permissions; the user has no selected team after if it was
    /// this one. `NotFound` when the user is not a member.
    pub async fn remove_member(&self, team_id: Uuid, user_id: UserId) -> Result<(), CoreError> {
        if self
            .store()
            .remove_membership(team_id, user_id, now())
            .await?
        {
            self.announce(|| Event::MembershipDeleted { team_id, user_id });
            Ok(())
        } else {
            Err(membership_not_found())
        }
    }

    /// The teams of a user, oldest membership first.
    pub async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, CoreError> {
        Ok(self.store().memberships(user_id).await?)
    }

    /// The user's membership of a team (`NotFound` when the user is not a member).
    pub async fn membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
    ) -> Result<TeamMembership, CoreError> {
        self.memberships(user_id)
            .await?
            .into_iter()
            .find(|m| m.team.id == team_id)
            .ok_or_else(membership_not_found)
    }

    /// The members of a team, oldest first (`NotFound` when there is no such team).
    pub async fn members(&self, team_id: Uuid) -> Result<Vec<Member>, CoreError> {
        self.team(team_id).await?;
        Ok(self.store().members(team_id).await?)
    }

    /// Every team, oldest first.
    pub async fn list_teams(&self) -> Result<Vec<Team>, CoreError> {
        Ok(self.store().list_teams().await?)
    }

    /// Grants (`grant`) or revokes `permission` of a member; the member's permissions after.
    /// `NotFound` when the user is not a member of the team.
    pub async fn change_team_permission(
        &self,
        team_id: Uuid,
        user_id: UserId,
        permission: &str,
        grant: bool,
    ) -> Result<Vec<String>, CoreError> {
        let (after, changed) = self
            .store()
            .change_permission(team_id, user_id, permission, grant)
            .await?
            .ok_or_else(membership_not_found)?;
        // A grant of a held permission (or a revocation of one not held) is announced as nothing.
        if changed {
            let permission = permission.to_owned();
            self.announce(|| {
                if grant {
                    Event::PermissionCreated {
                        team_id,
                        user_id,
                        permission,
                    }
                } else {
                    Event::PermissionDeleted {
                        team_id,
                        user_id,
                        permission,
                    }
                }
            });
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{ErrorKind, NewUser, UserPatch, testing::MemoryStore};

    fn gateway() -> Gateway {
        Gateway::new(Arc::new(MemoryStore::default()))
    }

    fn named(name: &str) -> NewTeam {
        NewTeam {
            display_name: name.into(),
            ..NewTeam::default()
        }
    }

    #[tokio::test]
    async fn a_creator_is_an_owner_with_team_admin_and_a_member_gets_team_member() {
        let g = gateway();
        let ann = g.create_user(NewUser::regular("ann")).await.unwrap().value;
        let bob = g.create_user(NewUser::regular("bob")).await.unwrap().value;
        let team = g
            .create_team(named("Ann's Team"), Some(ann.id))
            .await
            .unwrap();
        g.add_member(team.id, bob.id, TeamRole::Member)
            .await
            .unwrap();
        let members = g.members(team.id).await.unwrap();
        // Both may join within one clock tick: the order is then by user id, so compare by role.
        let mut roles: Vec<_> = members
            .iter()
            .map(|m| (m.user_id, m.role, m.permissions.clone()))
            .collect();
        roles.sort_by_key(|(_, role, _)| *role != TeamRole::Owner);
        assert_eq!(
            roles,
            vec![
                (ann.id, TeamRole::Owner, vec![TEAM_ADMIN.to_owned()]),
                (bob.id, TeamRole::Member, vec![TEAM_MEMBER.to_owned()]),
            ]
        );
        // A second add changes the role, not the permissions or the join time.
        let joined = g.membership(team.id, bob.id).await.unwrap().joined_at;
        g.add_member(team.id, bob.id, TeamRole::Owner)
            .await
            .unwrap();
        let bob_now = g.membership(team.id, bob.id).await.unwrap();
        assert_eq!(bob_now.role, TeamRole::Owner);
        assert_eq!(bob_now.permissions, vec![TEAM_MEMBER.to_owned()]);
        assert_eq!(bob_now.joined_at, joined);
    }

    #[tokio::test]
    async fn missing_teams_users_and_memberships_are_not_found() {
        let g = gateway();
        let ann = g.create_user(NewUser::regular("ann")).await.unwrap().value;
        let nobody = UserId::new();
        let err = g.create_team(named("x"), Some(nobody)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(g.list_teams().await.unwrap().is_empty(), "no partial write");
        let team = g.create_team(named("T"), None).await.unwrap();
        let ghost = Uuid::new_v4();
        for err in [
            g.team(ghost).await.unwrap_err(),
            g.delete_team(ghost).await.unwrap_err(),
            g.update_team(ghost, TeamPatch::default())
                .await
                .unwrap_err(),
            g.add_member(ghost, ann.id, TeamRole::Member)
                .await
                .unwrap_err(),
            g.add_member(team.id, nobody, TeamRole::Member)
                .await
                .unwrap_err(),
            g.remove_member(team.id, ann.id).await.unwrap_err(),
            g.change_team_permission(team.id, ann.id, "x", true)
                .await
                .unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        }
    }

    #[tokio::test]
    async fn leaving_or_deleting_the_selected_team_unselects_it() {
        let g = gateway();
        let ann = g.create_user(NewUser::regular("ann")).await.unwrap().value;
        let a = g.create_team(named("A"), Some(ann.id)).await.unwrap();
        let b = g.create_team(named("B"), Some(ann.id)).await.unwrap();
        for (team, end) in [(a.id, "leave"), (b.id, "delete")] {
            let patch = UserPatch {
                selected_team_id: Some(Some(team)),
                ..UserPatch::default()
            };
            let before = g.update_user(ann.id, patch).await.unwrap().value;
            assert_eq!(before.account.selected_team_id, Some(team));
            match end {
                "leave" => g.remove_member(team, ann.id).await.unwrap(),
                _ => g.delete_team(team).await.unwrap(),
            }
            let after = g.user(ann.id).await.unwrap();
            assert_eq!(after.account.selected_team_id, None, "{end}");
            assert_eq!(
                after.version,
                before.version + 1,
                "{end} is a change of the user"
            );
        }
        assert!(g.memberships(ann.id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn permissions_are_granted_once_and_revoked() {
        let g = gateway();
        let ann = g.create_user(NewUser::regular("ann")).await.unwrap().value;
        let team = g.create_team(named("T"), Some(ann.id)).await.unwrap();
        let after = g
            .change_team_permission(team.id, ann.id, "$read_members", true)
            .await
            .unwrap();
        assert_eq!(
            after,
            vec!["$read_members".to_owned(), TEAM_ADMIN.to_owned()]
        );
        let again = g
            .change_team_permission(team.id, ann.id, "$read_members", true)
            .await
            .unwrap();
        assert_eq!(again, after, "granting twice holds it once");
        let revoked = g
            .change_team_permission(team.id, ann.id, TEAM_ADMIN, false)
            .await
            .unwrap();
        assert_eq!(revoked, vec!["$read_members".to_owned()]);
    }

    #[tokio::test]
    async fn a_patch_changes_what_it_names_only() {
        let g = gateway();
        let team = g
            .create_team(
                NewTeam {
                    display_name: "T".into(),
                    profile_image_url: Some("https://example.com/a.png".into()),
                    metadata: MetadataTiers {
                        server: Some(serde_json::json!({"k": 1})),
                        ..MetadataTiers::default()
                    },
                },
                None,
            )
            .await
            .unwrap();
        let changed = g
            .update_team(
                team.id,
                TeamPatch {
                    display_name: Some("U".into()),
                    profile_image_url: Some(None),
                    client_metadata: Some(Some(serde_json::json!([1]))),
                    ..TeamPatch::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.display_name, "U");
        assert_eq!(changed.profile_image_url, None);
        assert_eq!(changed.metadata.client, Some(serde_json::json!([1])));
        assert_eq!(changed.metadata.server, Some(serde_json::json!({"k": 1})));
        assert_eq!(g.team(team.id).await.unwrap(), changed);
    }
}
