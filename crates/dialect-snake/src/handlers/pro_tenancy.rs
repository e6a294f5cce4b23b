//! The ZenML Pro tenancy reads (users-me) that `ZenMLProClient` makes after `zenml login --pro`:
//! `GET /organizations`, `GET /organizations/{id_or_name}`, `GET /workspaces` (with the client's
//! filters) and `GET /workspaces/{id}`. Organizations are the caller's core teams; each has one
//! workspace (`gateway_core::tenancy`). Lists are bare JSON arrays, as the client requires.

use actix_web::{
    HttpRequest,
    http::StatusCode,
    web::{Data, Json, Path},
};
use gateway_core::{Gateway, tenancy};

use crate::{
    auth::UsersMeCaller,
    convert_account::{users_me_org, users_me_workspace},
    error::UsersMeError,
    wire::{
        users_me::ErrorDetail,
        users_me_account::{OrganizationRead, WorkspaceRead},
    },
};

/// The largest page.
const LIMIT_MAX: usize = 100;

/// `offset`, `limit` and the other query parameters; a number that is not one is a 422.
struct Page {
    offset: usize,
    limit: usize,
    filters: Vec<(String, String)>,
}

fn page(req: &HttpRequest) -> Result<Page, UsersMeError> {
    let mut page = Page {
        offset: 0,
        limit: 20,
        filters: Vec::new(),
    };
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()).take(32) {
        let number = |max: usize| {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    UsersMeError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("{name}: must be an integer from 0 to {max}"),
                    )
                })
        };
        match name.as_ref() {
            "offset" => page.offset = number(usize::MAX)?,
            "limit" => page.limit = number(LIMIT_MAX)?,
            _ => page.filters.push((name.into_owned(), value.into_owned())),
        }
    }
    Ok(page)
}

fn window<T>(items: Vec<T>, page: &Page) -> Vec<T> {
    items
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect()
}

fn not_found(what: &str) -> UsersMeError {
    UsersMeError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
}

/// List the caller's organizations.
#[utoipa::path(
    get,
    path = "/organizations",
    tag = "organizations",
    operation_id = "list_organizations",
    security(("bearer" = [])),
    params(
        ("offset" = Option<usize>, Query, description = "Skip this many"),
        ("limit" = Option<usize>, Query, description = "At most this many (20 by default, at most 100)"),
    ),
    responses(
        (status = 200, description = "Oldest membership first", body = [OrganizationRead]),
        (status = 401, description = "CredentialsNotValid", body = ErrorDetail),
        (status = 422, description = "ValueError (offset or limit)", body = ErrorDetail),
    )
)]
pub async fn list_organizations(
    req: HttpRequest,
    caller: UsersMeCaller,
    gateway: Data<Gateway>,
) -> Result<Json<Vec<OrganizationRead>>, UsersMeError> {
    let page = page(&req)?;
    let orgs = gateway.organizations(&caller.0).await?;
    Ok(Json(window(orgs.iter().map(users_me_org).collect(), &page)))
}

/// Get an organization by id or name.
#[utoipa::path(
    get,
    path = "/organizations/{organization_name_or_id}",
    tag = "organizations",
    operation_id = "get_organization",
    security(("bearer" = [])),
    params(("organization_name_or_id" = String, Path, description = "Id, name or key")),
    responses(
        (status = 200, description = "Successful Response", body = OrganizationRead),
        (status = 401, description = "CredentialsNotValid", body = ErrorDetail),
        (status = 404, description = "KeyError (not a member, or no such organization)", body = ErrorDetail),
    )
)]
pub async fn get_organization(
    caller: UsersMeCaller,
    gateway: Data<Gateway>,
    path: Path<String>,
) -> Result<Json<OrganizationRead>, UsersMeError> {
    let orgs = gateway.organizations(&caller.0).await?;
    let wanted = path.into_inner();
    let org = tenancy::find(&orgs, &wanted)
        .or_else(|| orgs.iter().find(|o| o.team().display_name == wanted))
        .ok_or_else(|| not_found("Organization"))?;
    Ok(Json(users_me_org(org)))
}

/// List workspaces of the caller's organizations.
#[utoipa::path(
    get,
    path = "/workspaces",
    tag = "workspaces",
    operation_id = "list_workspaces",
    security(("bearer" = [])),
    params(
        ("offset" = Option<usize>, Query, description = "Skip this many"),
        ("limit" = Option<usize>, Query, description = "At most this many (20 by default, at most 100)"),
        ("workspace_name" = Option<String>, Query, description = "Only the workspace of this name"),
        ("organization_id" = Option<String>, Query, description = "Only this organization's"),
        ("status" = Option<String>, Query, description = "Only workspaces in this status"),
        ("url" = Option<String>, Query, description = "Only the workspace served at this URL (none is)"),
        ("member_only" = Option<bool>, Query, description = "Accepted: every listed workspace is the caller's"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = [WorkspaceRead]),
        (status = 401, description = "CredentialsNotValid", body = ErrorDetail),
        (status = 422, description = "ValueError (offset or limit)", body = ErrorDetail),
    )
)]
pub async fn list_workspaces(
    req: HttpRequest,
    caller: UsersMeCaller,
    gateway: Data<Gateway>,
) -> Result<Json<Vec<WorkspaceRead>>, UsersMeError> {
    let page = page(&req)?;
    let orgs = gateway.organizations(&caller.0).await?;
    let listed: Vec<WorkspaceRead> = orgs
        .iter()
        .map(users_me_workspace)
        .filter(|ws| {
            page.filters
                .iter()
                .all(|(name, value)| match name.as_str() {
                    "workspace_name" => ws.name == *value,
                    "organization_id" => ws.organization_id == *value,
                    "status" => ws.status == value.as_str(),
                    // No workspace is served at a URL: the gateway runs no ZenML server.
                    "url" => false,
                    _ => true,
                })
        })
        .collect();
    Ok(Json(window(listed, &page)))
}

/// Get a workspace by id or name.
#[utoipa::path(
    get,
    path = "/workspaces/{workspace_id}",
    tag = "workspaces",
    operation_id = "get_workspace",
    security(("bearer" = [])),
    params(("workspace_id" = String, Path, description = "Id or name")),
    responses(
        (status = 200, description = "Successful Response", body = WorkspaceRead),
        (status = 401, description = "CredentialsNotValid", body = ErrorDetail),
        (status = 404, description = "KeyError", body = ErrorDetail),
    )
)]
pub async fn get_workspace(
    caller: UsersMeCaller,
    gateway: Data<Gateway>,
    path: Path<String>,
) -> Result<Json<WorkspaceRead>, UsersMeError> {
    let wanted = path.into_inner();
    let orgs = gateway.organizations(&caller.0).await?;
    orgs.iter()
        .map(users_me_workspace)
        .find(|ws| ws.id == wanted || ws.name == wanted)
        .map(Json)
        .ok_or_else(|| not_found("Workspace"))
}
