//! The teams aggregate: teams, memberships, their rows and queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{
    FirstMember, Member, MetadataTiers, StoreError, Team, TeamMembership, TeamPatch, TeamRole,
    TeamStore, UserId, teams::changed,
};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::{team_memberships, teams, users},
    transaction,
    values::{CorruptRow, Stamp, json, json_text, naive, parsed, utc, uuid},
};

/// A row of `teams`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = teams)]
pub(crate) struct TeamRow {
    pub id: String,
    pub display_name: String,
    pub profile_image_url: Option<String>,
    pub client_metadata: Option<String>,
    pub client_read_only_metadata: Option<String>,
    pub server_metadata: Option<String>,
    pub created_at: Stamp,
}

impl TeamRow {
    /// The bytes of its text (for the cache's bound).
    fn text_bytes(&self) -> usize {
        let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.id.len()
            + self.display_name.len()
            + optional(&self.profile_image_url)
            + optional(&self.client_metadata)
            + optional(&self.client_read_only_metadata)
            + optional(&self.server_metadata)
    }
}

impl From<&Team> for TeamRow {
    fn from(t: &Team) -> Self {
        let Team {
            id,
            display_name,
            profile_image_url,
            metadata:
                MetadataTiers {
                    client,
                    client_read_only,
                    server,
                },
            created_at,
        } = t;
        Self {
            id: id.to_string(),
            display_name: display_name.clone(),
            profile_image_url: profile_image_url.clone(),
            client_metadata: json_text(client),
            client_read_only_metadata: json_text(client_read_only),
            server_metadata: json_text(server),
            created_at: naive(*created_at),
        }
    }
}

impl TryFrom<TeamRow> for Team {
    type Error = CorruptRow;
    fn try_from(r: TeamRow) -> Result<Self, CorruptRow> {
        let TeamRow {
            id,
            display_name,
            profile_image_url,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            created_at,
        } = r;
        Ok(Team {
            id: uuid("teams.id", &id)?,
            display_name,
            profile_image_url,
            metadata: MetadataTiers {
                client: json("teams.client_metadata", client_metadata)?,
                client_read_only: json(
                    "teams.client_read_only_metadata",
                    client_read_only_metadata,
                )?,
                server: json("teams.server_metadata", server_metadata)?,
            },
            created_at: utc(created_at),
        })
    }
}

/// A row of `team_memberships`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = team_memberships)]
pub(crate) struct MembershipRow {
    pub team_id: String,
    pub user_id: String,
    pub role: String,
    pub joined_at: Stamp,
    /// A JSON array of permission ids, sorted.
    pub permissions: String,
}

impl MembershipRow {
    /// The bytes of its text (for the cache's bound).
    fn text_bytes(&self) -> usize {
        self.team_id.len() + self.user_id.len() + self.role.len() + self.permissions.len()
    }

    /// A new membership of `role`, holding the role's default permission.
    fn new(team_id: Uuid, user_id: UserId, role: TeamRole, at: DateTime<Utc>) -> Self {
        Self {
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            role: role.as_str().to_owned(),
            joined_at: naive(at),
            permissions: permissions_text(&[role.default_permission().to_owned()]),
        }
    }

    fn permissions(&self) -> Result<Vec<String>, CorruptRow> {
        serde_json::from_str(&self.permissions)
            .map_err(|e| CorruptRow::new("team_memberships.permissions", e))
    }
}

fn permissions_text(permissions: &[String]) -> String {
    serde_json::Value::from(permissions).to_string()
}

/// Users in `who` (every user when `None`) who had selected team `team_id` have none after: a
/// change of each at `at` (version bumped).
fn unselect(
    conn: &mut AnyConnection,
    team_id: &str,
    who: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), Failure> {
    let selected = users::table.filter(users::selected_team_id.eq(team_id));
    let values = (
        users::selected_team_id.eq(None::<String>),
        users::version.eq(users::version + 1),
        users::updated_at.eq(naive(at)),
    );
    match who {
        Some(user_id) => {
            diesel::update(selected.filter(users::id.eq(user_id)))
                .set(values)
                .execute(conn)?;
        }
        None => {
            diesel::update(selected).set(values).execute(conn)?;
        }
    }
    Ok(())
}

/// Adds a membership, or changes the role of an existing one (keeping its join time): one
/// upsert.
/// Inserts the membership, or changes the role of the existing one; `true` when it is new. One
/// transaction: the insert that finds the row there inserts nothing, then the role is set.
fn upsert_membership(conn: &mut AnyConnection, row: &MembershipRow) -> Result<bool, Failure> {
    transaction(conn, |conn| {
        // On the concrete connection: diesel's multi-backend connection has no ON CONFLICT.
        let inserted = on_backend!(conn, c => diesel::insert_into(team_memberships::table)
            .values(row)
            .on_conflict((team_memberships::team_id, team_memberships::user_id))
            .do_nothing()
            .execute(c)?);
        if inserted == 0 {
            diesel::update(team_memberships::table.find((&row.team_id, &row.user_id)))
                .set(team_memberships::role.eq(&row.role))
                .execute(conn)?;
        }
        Ok(inserted > 0)
    })
}

/// Deletes every membership of user `id` (part of deleting the user).
pub(crate) fn delete_memberships_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(team_memberships::table.filter(team_memberships::user_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

#[async_trait]
impl TeamStore for DieselStore {
    async fn insert_team(&self, team: &Team, first: Option<FirstMember>) -> Result<(), StoreError> {
        let row = TeamRow::from(team);
        let member = first.map(|f| {
            (
                MembershipRow::new(team.id, f.user_id, f.role, team.created_at),
                f.select,
            )
        });
        let at = naive(team.created_at);
        let selecting = member
            .as_ref()
            .filter(|(_, select)| *select)
            .map(|(m, _)| m.user_id.clone());
        let inserted = self
            .run(move |conn| {
                transaction(conn, |conn| {
                    diesel::insert_into(teams::table)
                        .values(&row)
                        .execute(conn)?;
                    if let Some((member, select)) = &member {
                        diesel::insert_into(team_memberships::table)
                            .values(member)
                            .execute(conn)?;
                        if *select {
                            diesel::update(users::table.find(&member.user_id))
                                .set((
                                    users::selected_team_id.eq(&member.team_id),
                                    users::version.eq(users::version + 1),
                                    users::updated_at.eq(at),
                                ))
                                .execute(conn)?;
                        }
                    }
                    Ok(())
                })
            })
            .await;
        if let Some(user_id) = selecting {
            self.caches.users.changed(&user_id, None);
        }
        if let Some(first) = first {
            self.caches
                .memberships
                .changed(&first.user_id.to_string(), None);
        }
        inserted
    }

    async fn team(&self, id: Uuid) -> Result<Option<Team>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| {
            let row: Option<TeamRow> = teams::table
                .find(&id)
                .select(TeamRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(Team::try_from).transpose()?)
        })
        .await
    }

    async fn update_team(
        &self,
        id: Uuid,
        patch: &TeamPatch,
        _at: DateTime<Utc>,
    ) -> Result<Option<Team>, StoreError> {
        let patch = patch.clone();
        let updated = self
            .run(move |conn| {
                transaction(conn, |conn| {
                    let row: Option<TeamRow> = teams::table
                        .find(id.to_string())
                        .select(TeamRow::as_select())
                        .first(conn)
                        .optional()?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let mut team = Team::try_from(row)?;
                    patch.apply_to(&mut team);
                    let row = TeamRow::from(&team);
                    diesel::update(teams::table.find(&row.id))
                        .set((
                            teams::display_name.eq(&row.display_name),
                            teams::profile_image_url.eq(&row.profile_image_url),
                            teams::client_metadata.eq(&row.client_metadata),
                            teams::client_read_only_metadata.eq(&row.client_read_only_metadata),
                            teams::server_metadata.eq(&row.server_metadata),
                        ))
                        .execute(conn)?;
                    Ok(Some(team))
                })
            })
            .await;
        // Every member's memberships show the team (which users: not worth a read).
        self.caches.memberships.clear();
        updated
    }

    async fn delete_team(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let id = id.to_string();
        let deleted = self
            .run(move |conn| {
                transaction(conn, |conn| {
                    diesel::delete(
                        team_memberships::table.filter(team_memberships::team_id.eq(&id)),
                    )
                    .execute(conn)?;
                    unselect(conn, &id, None, at)?;
                    Ok(diesel::delete(teams::table.find(&id)).execute(conn)? > 0)
                })
            })
            .await;
        // Whoever had selected the team, or was in it, has changed (which users: not worth a
        // read; teams are deleted rarely).
        self.caches.users.clear();
        self.caches.memberships.clear();
        deleted
    }

    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row = MembershipRow::new(team_id, user_id, role, at);
        let added = self.run(move |conn| upsert_membership(conn, &row)).await;
        self.caches.memberships.changed(&user_id.to_string(), None);
        added
    }

    async fn remove_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (team_id, user_id) = (team_id.to_string(), user_id.to_string());
        let key = user_id.clone();
        let removed = self
            .run(move |conn| {
                transaction(conn, |conn| {
                    let gone = diesel::delete(team_memberships::table.find((&team_id, &user_id)))
                        .execute(conn)?;
                    if gone > 0 {
                        unselect(conn, &team_id, Some(&user_id), at)?;
                    }
                    Ok(gone > 0)
                })
            })
            .await;
        self.caches.users.changed(&key, None);
        self.caches.memberships.changed(&key, None);
        removed
    }

    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError> {
        let key = user_id.to_string();
        let user_id = key.clone();
        let read = self.read(move |conn| {
            // On the concrete connection: the platform surface reads them on every GET.
            let rows: Vec<(MembershipRow, TeamRow)> = on_backend!(conn, c => team_memberships::table
                .inner_join(teams::table)
                .filter(team_memberships::user_id.eq(&user_id))
                .order((team_memberships::joined_at.asc(), teams::id.asc()))
                .select((MembershipRow::as_select(), TeamRow::as_select()))
                .load(c)?);
            let mut out = Vec::with_capacity(rows.len());
            let mut bytes = 0;
            for (m, t) in rows {
                bytes += std::mem::size_of::<TeamMembership>() + m.text_bytes() + t.text_bytes();
                out.push(TeamMembership {
                    team: Team::try_from(t)?,
                    role: parsed::<TeamRole>("team_memberships.role", &m.role)?,
                    permissions: m.permissions()?,
                    joined_at: utc(m.joined_at),
                });
            }
            Ok(Some((out, bytes)))
        });
        let held = self
            .caches
            .memberships
            .read_through(&key, |_| true, read)
            .await?;
        Ok(held.unwrap_or_default())
    }

    async fn members(&self, team_id: Uuid) -> Result<Vec<Member>, StoreError> {
        let team_id = team_id.to_string();
        // A whole team: not a short read (`exec`).
        self.blocking(move |conn| {
            let rows: Vec<MembershipRow> = team_memberships::table
                .filter(team_memberships::team_id.eq(&team_id))
                .order((
                    team_memberships::joined_at.asc(),
                    team_memberships::user_id.asc(),
                ))
                .select(MembershipRow::as_select())
                .load(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for m in rows {
                out.push(Member {
                    user_id: UserId(uuid("team_memberships.user_id", &m.user_id)?),
                    role: parsed::<TeamRole>("team_memberships.role", &m.role)?,
                    permissions: m.permissions()?,
                    joined_at: utc(m.joined_at),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn change_permission(
        &self,
        team_id: Uuid,
        user_id: UserId,
        permission: &str,
        grant: bool,
    ) -> Result<Option<(Vec<String>, bool)>, StoreError> {
        let (team_id, user_id) = (team_id.to_string(), user_id.to_string());
        let key = user_id.clone();
        let permission = permission.to_owned();
        let changed_permission = self
            .run(move |conn| {
                transaction(conn, |conn| {
                    let row: Option<MembershipRow> = team_memberships::table
                        .find((&team_id, &user_id))
                        .select(MembershipRow::as_select())
                        .first(conn)
                        .optional()?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let before = row.permissions()?;
                    let after = changed(&before, &permission, grant);
                    diesel::update(team_memberships::table.find((&team_id, &user_id)))
                        .set(team_memberships::permissions.eq(permissions_text(&after)))
                        .execute(conn)?;
                    let changed = after != before;
                    Ok(Some((after, changed)))
                })
            })
            .await;
        self.caches.memberships.changed(&key, None);
        changed_permission
    }

    async fn list_teams(&self) -> Result<Vec<Team>, StoreError> {
        // Every team: not a short read, so never inline on a worker (`exec`).
        self.blocking(move |conn| {
            let rows: Vec<TeamRow> = teams::table
                .order((teams::created_at.asc(), teams::id.asc()))
                .select(TeamRow::as_select())
                .load(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(Team::try_from(row)?);
            }
            Ok(out)
        })
        .await
    }
}
