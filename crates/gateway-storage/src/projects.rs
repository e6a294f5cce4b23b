//! Projects of the metadata-tiered surface and the binding of refresh sessions to them: rows and
//! queries, written once against `AnyConnection`. `queries.rs` delegates the `Store` methods here.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use gateway_core::{Project, ProjectPatch, model::NewSession};
use uuid::Uuid;

use crate::{
    AnyConnection,
    error::Failure,
    rows::{CorruptRow, SessionRow, naive},
    schema::{project_sessions, projects, sessions},
    transaction,
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
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
            created_at,
            updated_at,
        } = r;
        Ok(Project {
            id: Uuid::parse_str(&id).map_err(|e| CorruptRow::new("projects.id", e))?,
            display_name,
            publishable_client_key_hash,
            secret_server_key_hash,
            require_publishable_client_key,
            allow_client_user_deletion,
            created_at: created_at.and_utc(),
            updated_at: updated_at.and_utc(),
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
    updated_at: NaiveDateTime,
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

pub(crate) fn insert(conn: &mut AnyConnection, row: &ProjectRow) -> Result<(), Failure> {
    diesel::insert_into(projects::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub(crate) fn get(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Project>, Failure> {
    load(conn, &id.to_string())
}

pub(crate) fn list(conn: &mut AnyConnection) -> Result<Vec<Project>, Failure> {
    let rows = projects::table
        .order((projects::created_at.asc(), projects::id.asc()))
        .select(ProjectRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(Project::try_from)
        .collect::<Result<_, _>>()?)
}

pub(crate) fn update(
    conn: &mut AnyConnection,
    id: Uuid,
    patch: &ProjectPatch,
    at: DateTime<Utc>,
) -> Result<Option<Project>, Failure> {
    let ProjectPatch {
        display_name,
        require_publishable_client_key,
        allow_client_user_deletion,
    } = patch;
    let changes = ProjectChangeset {
        display_name: display_name.clone(),
        require_publishable_client_key: *require_publishable_client_key,
        allow_client_user_deletion: *allow_client_user_deletion,
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

pub(crate) fn insert_session(
    conn: &mut AnyConnection,
    session: &SessionRow,
    project_id: Uuid,
) -> Result<(), Failure> {
    transaction(conn, |conn| {
        diesel::insert_into(sessions::table)
            .values(session)
            .execute(conn)?;
        diesel::insert_into(project_sessions::table)
            .values((
                project_sessions::session_id.eq(&session.id),
                project_sessions::project_id.eq(project_id.to_string()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub(crate) fn session_project(
    conn: &mut AnyConnection,
    session_id: Uuid,
) -> Result<Option<Uuid>, Failure> {
    let project: Option<String> = project_sessions::table
        .find(session_id.to_string())
        .select(project_sessions::project_id)
        .get_result(conn)
        .optional()?;
    Ok(project
        .map(|p| Uuid::parse_str(&p).map_err(|e| CorruptRow::new("project_sessions.project_id", e)))
        .transpose()?)
}

/// A `SessionRow` for a new session (re-exported for `queries.rs`).
pub(crate) fn session_row(session: &NewSession) -> SessionRow {
    SessionRow::from(session)
}
