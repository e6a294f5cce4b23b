//! `GET /admin/projects`: every project (without keys), oldest first.

use actix_web::{HttpResponse, web::Data};
use gateway_core::Gateway;

use crate::{convert::project_view, handlers::admin::AdminError};

/// Lists projects.
pub async fn list_projects(gateway: Data<Gateway>) -> Result<HttpResponse, AdminError> {
    let projects = gateway.list_projects().await?;
    let views: Vec<_> = projects.iter().map(|p| project_view(p, None)).collect();
    Ok(HttpResponse::Ok().json(views))
}
