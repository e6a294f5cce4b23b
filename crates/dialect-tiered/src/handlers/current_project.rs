//! `GET /api/v1/projects/current` (`app.getProject()`): the caller's project and the sign-in
//! methods it offers: sign-up, password and one-time-code sign-in, client team creation, client
//! user deletion and user API keys as the project is set; passkeys, team API keys and OAuth
//! providers off (not served).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    respond,
    wire::{ProjectConfigRead, ProjectRead},
};

/// Reads the current project.
#[utoipa::path(
    get, path = "/api/v1/projects/current", tag = "Projects",
    summary = "Get the current project",
    params(crate::openapi::ProjectHeaders),
    responses(
        (status = 200, description = "The project (client view).", body = crate::wire::ProjectRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn current_project(req: HttpRequest, smart: Smart) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let project = &caller.project;
    let view = ProjectRead {
        id: project.id.to_string(),
        display_name: project.display_name.clone(),
        config: ProjectConfigRead {
            sign_up_enabled: project.sign_up_enabled,
            credential_enabled: project.credential_enabled,
            magic_link_enabled: project.magic_link_enabled,
            passkey_enabled: false,
            client_team_creation_enabled: project.client_team_creation_enabled,
            client_user_deletion_enabled: project.allow_client_user_deletion,
            allow_user_api_keys: project.allow_user_api_keys,
            allow_team_api_keys: false,
            enabled_oauth_providers: Vec::new(),
            domains: Vec::new(),
        },
    };
    Ok(respond::json(&req, StatusCode::OK, &view))
}
