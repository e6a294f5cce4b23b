//! `GET /admin/projects/{id}`: one project (without keys).

use actix_web::{HttpRequest, HttpResponse, web::Data};
use gateway_core::Gateway;

use crate::{
    convert::project_view,
    handlers::admin::{AdminError, path_uuid},
};

/// Shows a project.
pub async fn show_project(
    req: HttpRequest,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, AdminError> {
    let project = gateway.project(path_uuid(&req, "id", "project")?).await?;
    Ok(HttpResponse::Ok().json(project_view(&project, None)))
}
