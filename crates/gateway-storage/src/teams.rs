//! The teams aggregate: teams, memberships, their rows and queries.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use gateway_core::{MetadataTiers, StoreError, Team, TeamMembership, TeamRole, TeamStore, UserId};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::{team_memberships, teams},
    values::{CorruptRow, json, json_text, naive, parsed, utc, uuid},
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
    pub created_at: NaiveDateTime,
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
    pub joined_at: NaiveDateTime,
}

/// Adds a membership, or changes the role of an existing one (keeping its join time): one
/// upsert.
fn upsert_membership(conn: &mut AnyConnection, row: &MembershipRow) -> Result<(), Failure> {
    // On the concrete connection: diesel's multi-backend connection has no ON CONFLICT.
    on_backend!(conn, c => diesel::insert_into(team_memberships::table)
        .values(row)
        .on_conflict((team_memberships::team_id, team_memberships::user_id))
        .do_update()
        .set(team_memberships::role.eq(&row.role))
        .execute(c)?);
    Ok(())
}

/// Deletes every membership of user `id` (part of deleting the user).
pub(crate) fn delete_memberships_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(team_memberships::table.filter(team_memberships::user_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

#[async_trait]
impl TeamStore for DieselStore {
    async fn insert_team(&self, team: &Team) -> Result<(), StoreError> {
        let row = TeamRow::from(team);
        self.run(move |conn| {
            diesel::insert_into(teams::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = MembershipRow {
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            role: role.as_str().to_owned(),
            joined_at: naive(at),
        };
        self.run(move |conn| upsert_membership(conn, &row)).await
    }

    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError> {
        let user_id = user_id.to_string();
        self.read(move |conn| {
            // On the concrete connection: the platform surface reads them on every GET.
            let rows: Vec<(MembershipRow, TeamRow)> = on_backend!(conn, c => team_memberships::table
                .inner_join(teams::table)
                .filter(team_memberships::user_id.eq(&user_id))
                .order((team_memberships::joined_at.asc(), teams::id.asc()))
                .select((MembershipRow::as_select(), TeamRow::as_select()))
                .load(c)?);
            let mut out = Vec::with_capacity(rows.len());
            for (m, t) in rows {
                out.push(TeamMembership {
                    team: Team::try_from(t)?,
                    role: parsed::<TeamRole>("team_memberships.role", &m.role)?,
                    joined_at: utc(m.joined_at),
                });
            }
            Ok(out)
        })
        .await
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
