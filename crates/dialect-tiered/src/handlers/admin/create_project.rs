//! `POST /admin/projects`: creates a project; the answer carries both keys, shown once.

use actix_web::{
    HttpResponse,
    web::{Data, Json},
};
use gateway_core::{Gateway, NewProject};

use crate::{convert::project_view, handlers::admin::AdminError, wire::CreateProject};

/// Creates a project.
pub async fn create_project(
    gateway: Data<Gateway>,
    body: Json<CreateProject>,
) -> Result<HttpResponse, AdminError> {
    let CreateProject {
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
    let issued = gateway
        .create_project(NewProject {
            display_name,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
        })
        .await?;
    let keys = (issued.publishable_client_key, issued.secret_server_key);
    Ok(HttpResponse::Created().json(project_view(&issued.project, Some(keys))))
}
