//! The platform's tenancy reads that `dreadnode login` and `dreadnode whoami` make: the caller's
//! organizations (core teams), each one's default workspace and that workspace's default project
//! (`gateway_core::tenancy`). An organization is named by its key or id; an organization the
//! caller is not a member of is a 404, as one that does not exist.

use actix_web::web::{Data, Json, Path};
use gateway_core::{Gateway, User, tenancy};

use crate::{
    auth::PlatformCaller,
    convert_account::{platform_org, platform_project, platform_workspace},
    error::{PlatformError, PlatformErrorType},
    wire::{
        platform::ErrorEnvelope,
        platform_account::{Organization, Project, Workspace},
    },
};

fn not_found(what: &str) -> PlatformError {
    PlatformError::new(PlatformErrorType::NotFound, format!("{what} not found"))
}

async fn organization(
    gateway: &Gateway,
    user: &User,
    key: &str,
) -> Result<tenancy::Organization, PlatformError> {
    let orgs = gateway.organizations(user).await?;
    tenancy::find(&orgs, key)
        .cloned()
        .ok_or_else(|| not_found("Organization"))
}

async fn workspace(
    gateway: &Gateway,
    user: &User,
    org: &str,
    ws: &str,
) -> Result<tenancy::Organization, PlatformError> {
    let org = organization(gateway, user, org).await?;
    let workspace = org.workspace();
    if ws == workspace.key || ws == workspace.id.to_string() {
        Ok(org)
    } else {
        Err(not_found("Workspace"))
    }
}

/// List the caller's organizations (an account without one gets its personal organization).
#[utoipa::path(
    get,
    path = "/api/v1/user/organizations",
    tag = "organizations",
    operation_id = "list_user_organizations",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Oldest membership first", body = [Organization]),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 403, description = "Access forbidden (disabled account)", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn list_organizations(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
) -> Result<Json<Vec<Organization>>, PlatformError> {
    // A Dreadnode account always has an organization (its onboarding makes one): an account
    // first seen here gets its personal one, as a device login gives it.
    let orgs = gateway.ensure_organization(&caller.0).await?;
    Ok(Json(orgs.iter().map(platform_org).collect()))
}

/// Get an organization.
#[utoipa::path(
    get,
    path = "/api/v1/org/{org}",
    tag = "organizations",
    operation_id = "get_organization",
    security(("api_key" = []), ("bearer" = [])),
    params(("org" = String, Path, description = "Organization key or id")),
    responses(
        (status = 200, description = "Successful Response", body = Organization),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 404, description = "Not a member, or no such organization", body = ErrorEnvelope),
    )
)]
pub async fn get_organization(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    path: Path<String>,
) -> Result<Json<Organization>, PlatformError> {
    let org = organization(&gateway, &caller.0, &path).await?;
    Ok(Json(platform_org(&org)))
}

/// List an organization's workspaces (its default one).
#[utoipa::path(
    get,
    path = "/api/v1/org/{org}/ws",
    tag = "organizations",
    operation_id = "list_workspaces",
    security(("api_key" = []), ("bearer" = [])),
    params(("org" = String, Path, description = "Organization key or id")),
    responses(
        (status = 200, description = "Successful Response", body = [Workspace]),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 404, description = "Not a member, or no such organization", body = ErrorEnvelope),
    )
)]
pub async fn list_workspaces(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    path: Path<String>,
) -> Result<Json<Vec<Workspace>>, PlatformError> {
    let org = organization(&gateway, &caller.0, &path).await?;
    Ok(Json(vec![platform_workspace(&org)]))
}

/// Get a workspace.
#[utoipa::path(
    get,
    path = "/api/v1/org/{org}/ws/{ws}",
    tag = "organizations",
    operation_id = "get_workspace",
    security(("api_key" = []), ("bearer" = [])),
    params(
        ("org" = String, Path, description = "Organization key or id"),
        ("ws" = String, Path, description = "Workspace key or id"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = Workspace),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 404, description = "No such organization or workspace", body = ErrorEnvelope),
    )
)]
pub async fn get_workspace(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    path: Path<(String, String)>,
) -> Result<Json<Workspace>, PlatformError> {
    let (org, ws) = path.into_inner();
    let org = workspace(&gateway, &caller.0, &org, &ws).await?;
    Ok(Json(platform_workspace(&org)))
}

/// List a workspace's projects (its default one).
#[utoipa::path(
    get,
    path = "/api/v1/org/{org}/ws/{ws}/projects",
    tag = "organizations",
    operation_id = "list_projects",
    security(("api_key" = []), ("bearer" = [])),
    params(
        ("org" = String, Path, description = "Organization key or id"),
        ("ws" = String, Path, description = "Workspace key or id"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = [Project]),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 404, description = "No such organization or workspace", body = ErrorEnvelope),
    )
)]
pub async fn list_projects(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    path: Path<(String, String)>,
) -> Result<Json<Vec<Project>>, PlatformError> {
    let (org, ws) = path.into_inner();
    let org = workspace(&gateway, &caller.0, &org, &ws).await?;
    Ok(Json(vec![platform_project(&org)]))
}

/// Get a project.
#[utoipa::path(
    get,
    path = "/api/v1/org/{org}/ws/{ws}/projects/{project}",
    tag = "organizations",
    operation_id = "get_project",
    security(("api_key" = []), ("bearer" = [])),
    params(
        ("org" = String, Path, description = "Organization key or id"),
        ("ws" = String, Path, description = "Workspace key or id"),
        ("project" = String, Path, description = "Project key or id"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = Project),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 404, description = "No such organization, workspace or project", body = ErrorEnvelope),
    )
)]
pub async fn get_project(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    path: Path<(String, String, String)>,
) -> Result<Json<Project>, PlatformError> {
    let (org, ws, project) = path.into_inner();
    let org = workspace(&gateway, &caller.0, &org, &ws).await?;
    let wanted = org.project();
    if project == wanted.key || project == wanted.id.to_string() {
        Ok(Json(platform_project(&org)))
    } else {
        Err(not_found("Project"))
    }
}
