//! The route table of this surface, mounted at the root of the listener: `/health`,
//! `/api/v1/users/...`, `/api/v1/auth/...`, `/api/v1/projects/...`, each scope wrapped with the
//! fault-injection and response middlewares, with a plain-text 405 per resource and a
//! plain-text 404 per scope. Plus the admin routes mounted inside the server's `/admin` scope.

use actix_web::{
    HttpRequest, HttpResponse,
    http::StatusCode,
    middleware::from_fn,
    web::{self, ServiceConfig},
};
use gateway_core::Surface;
use gateway_http::faults::{self, Fault};

use crate::{
    error::{TieredError, text_response},
    handlers::{self, admin},
    respond,
    tokens::KeyCell,
};

/// Plain-text 404 for unknown routes of this surface (spec §11 choice).
pub async fn not_found() -> HttpResponse {
    text_response(StatusCode::NOT_FOUND, "Not found".to_owned())
}

/// Plain-text 405 for known routes with another method (spec §7.2).
pub async fn method_not_allowed() -> Result<HttpResponse, TieredError> {
    Err(TieredError::text(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    ))
}

/// An injected fault, as the vendor's plain-text `StatusError` (with `Retry-After` if given).
pub fn render_fault(_req: &HttpRequest, fault: &Fault) -> HttpResponse {
    let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = text_response(status, fault.message.clone());
    if let Some(secs) = fault.retry_after
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    res
}

/// Mounts the vendor routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(web::Data::new(KeyCell::default()));
    cfg.service(
        web::resource("/health")
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Users, render_fault, req, next)
            }))
            .wrap(from_fn(respond::decorate))
            .route(web::get().to(handlers::health::health))
            .default_service(web::to(method_not_allowed)),
    );
    cfg.service(
        web::scope("/api/v1/users")
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Users, render_fault, req, next)
            }))
            .wrap(from_fn(respond::decorate))
            .service(
                web::resource("/me")
                    .route(web::get().to(handlers::get_me::get_me))
                    .route(web::patch().to(handlers::patch_me::patch_me))
                    .route(web::delete().to(handlers::delete_me::delete_me))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/{user_id}")
                    .route(web::get().to(handlers::get_user::get_user))
                    .route(web::patch().to(handlers::patch_user::patch_user))
                    .route(web::delete().to(handlers::delete_user::delete_user))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
    cfg.service(
        web::scope("/api/v1/auth")
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Users, render_fault, req, next)
            }))
            .wrap(from_fn(respond::decorate))
            .service(
                web::resource("/oauth/token")
                    .route(web::post().to(handlers::oauth_token::oauth_token))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/sessions/current/refresh")
                    .route(web::post().to(handlers::refresh_session::refresh_session))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
    cfg.service(
        web::scope("/api/v1/projects")
            .wrap(from_fn(|req, next| {
                faults::apply(Surface::Users, render_fault, req, next)
            }))
            .wrap(from_fn(respond::decorate))
            .service(
                web::resource("/{project_id}/.well-known/jwks.json")
                    .route(web::get().to(handlers::jwks::jwks))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
}

/// Mounts the admin routes; called inside the server's `/admin` scope (which checks nothing by
/// itself: every handler calls `gateway_http::admin::check`).
pub fn configure_admin(cfg: &mut ServiceConfig) {
    cfg.service(
        web::resource("/projects")
            .route(web::post().to(admin::create_project::create_project))
            .route(web::get().to(admin::list_projects::list_projects)),
    )
    .service(
        web::resource("/projects/{id}")
            .route(web::get().to(admin::show_project::show_project))
            .route(web::patch().to(admin::update_project::update_project)),
    )
    .service(
        web::resource("/projects/{id}/users/{user_id}/sessions")
            .route(web::post().to(admin::mint_session::mint_session)),
    );
}

/// The answer to an unmatched path of this surface: CORS preflights succeed, everything else is
/// a plain-text 404, finished like every answer of this surface.
pub fn render_unmatched(req: &HttpRequest) -> HttpResponse {
    let res = if req.method() == actix_web::http::Method::OPTIONS {
        respond::preflight()
    } else {
        text_response(StatusCode::NOT_FOUND, "Not found".to_owned())
    };
    respond::finish(req, res)
}
