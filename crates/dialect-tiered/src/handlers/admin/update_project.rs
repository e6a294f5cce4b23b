//! `PATCH /admin/projects/{id}`: changes a project's name or settings
//! (`require_publishable_client_key`, `allow_client_user_deletion`,
//! `client_team_creation_enabled`, `create_team_on_sign_up`).

use actix_web::{
    HttpRequest, HttpResponse,
    web::{Data, Json},
};
use gateway_core::{Gateway, ProjectPatch};

use crate::{
    convert::project_view,
    handlers::admin::{AdminError, path_uuid},
    wire::UpdateProject,
};

/// Updates a project's settings.
pub async fn update_project(
    req: HttpRequest,
    gateway: Data<Gateway>,
    body: Json<UpdateProject>,
) -> Result<HttpResponse, AdminError> {
    let id = path_uuid(&req, "id", "project")?;
    let UpdateProject {
        display_name,
        require_publishable_client_key,
        allow_client_user_deletion,
        client_team_creation_enabled,
        create_team_on_sign_up,
        allow_user_api_keys,
        sign_up_enabled,
        credential_enabled,
        magic_link_enabled,
    } = body.into_inner();
    let project = gateway
        .update_project(
            id,
            ProjectPatch {
                display_name,
                require_publishable_client_key,
                allow_client_user_deletion,
                client_team_creation_enabled,
                create_team_on_sign_up,
                allow_user_api_keys,
                sign_up_enabled,
                credential_enabled,
                magic_link_enabled,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(project_view(&project, None)))
}
