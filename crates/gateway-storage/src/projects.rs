//! The projects aggregate of the metadata-tiered surface and the binding of refresh sessions to
//! them: rows and queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{
    Project, ProjectPatch, ProjectStore, Session, StoreError, UserId, model::NewSession,
};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::{project_sessions, projects},
    sessions::{self, SessionRow},
    transaction,
    values::{CorruptRow, Stamp, naive, utc, uuid},
};

/// A row of `projects`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = projects)]
pub(crate) struct ProjectRow {
    pub id: String,
    pub display_name: String,
    pub publishable_client_key_hash: String,
    pub secret_server_key_hash: String,
    pub require_publishable_client_key: bool,
    pub allow_client_user_deletion: bool,
    pub client_team_creation_enabled: bool,
    pub create_team_on_sign_up: bool,
    pub allow_user_api_keys: bool,
    pub sign_up_enabled: bool,
    pub credential_enabled: bool,
    pub magic_link_enabled: bool,
    pub created_at: Stamp,
    pub updated_at: Stamp,
}

impl From<&Project> for ProjectRow {
    fn from(p: &Project) -> Self {
        let Project {
            id,
            display_name,
            publishable_client_key_hash,
            secret_server_key_hash,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
            created_at,
            updated_at,
        } = p;
        Self {
            id: id.to_string(),
            display_name: display_name.clone(),
            publishable_client_key_hash: publishable_client_key_hash.clone(),
            secret_server_key_hash: secret_server_key_hash.clone(),
            require_publishable_client_key: *require_publishable_client_key,
            allow_client_user_deletion: *allow_client_user_deletion,
            client_team_creation_enabled: *client_team_creation_enabled,
            create_team_on_sign_up: *create_team_on_sign_up,
            allow_user_api_keys: *allow_user_api_keys,
            sign_up_enabled: *sign_up_enabled,
            credential_enabled: *credential_enabled,
            magic_link_enabled: *magic_link_enabled,
            created_at: naive(*created_at),
            updated_at: naive(*updated_at),
        }
    }
}

impl TryFrom<ProjectRow> for Project {
    type Error = CorruptRow;
    fn try_from(r: ProjectRow) -> Result<Self, CorruptRow> {
        let ProjectRow {
            id,
            display_name,
            publishable_client_key_hash,
            secret_server_key_hash,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
            created_at,
            updated_at,
        } = r;
        Ok(Project {
            id: uuid("projects.id", &id)?,
            display_name,
            publishable_client_key_hash,
            secret_server_key_hash,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
            created_at: utc(created_at),
            updated_at: utc(updated_at),
        })
    }
}

/// The columns a settings change writes; `None` leaves a column out of the UPDATE.
#[derive(AsChangeset)]
#[diesel(table_name = projects)]
struct ProjectChangeset {
    display_name: Option<String>,
    require_publishable_client_key: Option<bool>,
    allow_client_user_deletion: Option<bool>,
    client_team_creation_enabled: Option<bool>,
    create_team_on_sign_up: Option<bool>,
    allow_user_api_keys: Option<bool>,
    sign_up_enabled: Option<bool>,
    credential_enabled: Option<bool>,
    magic_link_enabled: Option<bool>,
    updated_at: Stamp,
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Project>, Failure> {
    // On the concrete connection: every tiered request reads its project (see `on_backend!`).
    let row: Option<ProjectRow> = on_backend!(conn, c => projects::table
        .find(id)
        .select(ProjectRow::as_select())
        .get_result(c)
        .optional()?);
    Ok(row.map(Project::try_from).transpose()?)
}

fn list(conn: &mut AnyConnection) -> Result<Vec<Project>, Failure> {
    let rows = projects::table
        .order((projects::created_at.asc(), projects::id.asc()))
        .select(ProjectRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(Project::try_from)
        .collect::<Result<_, _>>()?)
}

fn update(
    conn: &mut AnyConnection,
    id: Uuid,
    patch: &ProjectPatch,
    at: DateTime<Utc>,
) -> Result<Option<Project>, Failure> {
    let ProjectPatch {
        display_name,
        require_publishable_client_key,
        allow_client_user_deletion,
        client_team_creation_enabled,
        create_team_on_sign_up,
        allow_user_api_keys,
        sign_up_enabled,
        credential_enabled,
        magic_link_enabled,
    } = patch;
    let changes = ProjectChangeset {
        display_name: display_name.clone(),
        require_publishable_client_key: *require_publishable_client_key,
        allow_client_user_deletion: *allow_client_user_deletion,
        client_team_creation_enabled: *client_team_creation_enabled,
        create_team_on_sign_up: *create_team_on_sign_up,
        allow_user_api_keys: *allow_user_api_keys,
        sign_up_enabled: *sign_up_enabled,
        credential_enabled: *credential_enabled,
        magic_link_enabled: *magic_link_enabled,
        updated_at: naive(at),
    };
    let id = id.to_string();
    transaction(conn, |conn| {
        let n = diesel::update(projects::table.filter(projects::id.eq(&id)))
            .set(&changes)
            .execute(conn)?;
        if n == 0 { Ok(None) } else { load(conn, &id) }
    })
}

fn insert_session(
    conn: &mut AnyConnection,
    session: &SessionRow,
    project_id: Uuid,
) -> Result<(), Failure> {
    transaction(conn, |conn| {
        sessions::insert(conn, session)?;
        diesel::insert_into(project_sessions::table)
            .values((
                project_sessions::session_id.eq(&session.id),
                project_sessions::project_id.eq(project_id.to_string()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The unrevoked sessions of a user bound to a project, newest first.
fn project_sessions_of(
    conn: &mut AnyConnection,
    project_id: &str,
    user_id: &str,
) -> Result<Vec<Session>, Failure> {
    use crate::schema::sessions as st;
    let rows: Vec<SessionRow> = st::table
        .inner_join(project_sessions::table.on(project_sessions::session_id.eq(st::id)))
        .filter(project_sessions::project_id.eq(project_id))
        .filter(st::user_id.eq(user_id))
        .filter(st::revoked_at.is_null())
        .order((st::created_at.desc(), st::id.desc()))
        .select(SessionRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<_, _>>()?)
}

fn session_project(conn: &mut AnyConnection, session_id: Uuid) -> Result<Option<Uuid>, Failure> {
    let project: Option<String> = project_sessions::table
        .find(session_id.to_string())
        .select(project_sessions::project_id)
        .get_result(conn)
        .optional()?;
    Ok(project
        .map(|p| uuid("project_sessions.project_id", &p))
        .transpose()?)
}

#[async_trait]
impl ProjectStore for DieselStore {
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        let row = ProjectRow::from(project);
        self.run(move |conn| {
            diesel::insert_into(projects::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        let read = self.read(move |conn| {
            Ok(load(conn, &id.to_string())?.map(|project| {
                let bytes = project.display_name.len()
                    + project.publishable_client_key_hash.len()
                    + project.secret_server_key_hash.len();
                (project, bytes)
            }))
        });
        self.caches
            .projects
            .read_through(&id.to_string(), |_| true, read)
            .await
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        self.run(list).await
    }

    async fn update_project(
        &self,
        id: Uuid,
        patch: &ProjectPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Project>, StoreError> {
        let patch = patch.clone();
        let updated = self.run(move |conn| update(conn, id, &patch, at)).await;
        self.caches.projects.changed(&id.to_string(), None);
        updated
    }

    async fn insert_project_session(
        &self,
        session: &NewSession,
        project_id: Uuid,
    ) -> Result<(), StoreError> {
        let row = SessionRow::from(session);
        let key = row.user_id.clone();
        let inserted = self
            .run(move |conn| insert_session(conn, &row, project_id))
            .await;
        self.caches.sessions.changed(&key, None);
        inserted
    }

    async fn project_sessions_of(
        &self,
        project_id: Uuid,
        user_id: UserId,
    ) -> Result<Vec<Session>, StoreError> {
        let (project_id, user_id) = (project_id.to_string(), user_id.to_string());
        self.read(move |conn| project_sessions_of(conn, &project_id, &user_id))
            .await
    }

    async fn session_project(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        self.read(move |conn| session_project(conn, session_id))
            .await
    }
}
