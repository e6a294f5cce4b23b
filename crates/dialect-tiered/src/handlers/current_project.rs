//! `GET /api/v1/projects/current` (`app.getProject()`): the caller's project and the sign-in
//! methods it offers. The switches say what the gateway serves for every project: password
//! sign-up and sign-in on; magic links, passkeys, client team creation, API keys and OAuth
//! providers off (not served); client user deletion as the project is set.

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
            sign_up_enabled: true,
            credential_enabled: true,
            // OTP sign-in is served and has no project switch here (docs/dialects/tiered.md).
            magic_link_enabled: true,
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
