//! The route table of this surface, mounted at the root of the listener: `/health`,
//! `/api/v1/users` and `/api/v1/users/...`, `/api/v1/auth/...`, `/api/v1/teams...`,
//! `/api/v1/team-memberships/...`, `/api/v1/team-permissions...`, `/api/v1/user-api-keys...`, `/api/v1/projects/...`. Each resource is mounted
//! with `gateway_http::resource` (this surface's faults, a plain-text 405 with `Allow`); each
//! scope finishes every answer as the vendor does ([`respond::decorate`]: CORS preflights,
//! request ids, the override-error-status rewrite), and leaves unmatched paths to the server's
//! fallback, which answers the surface's plain-text 404 ([`crate::DIALECT`]). Plus the admin
//! routes mounted inside the server's `/admin` scope.

use actix_web::{
    guard,
    middleware::from_fn,
    web::{self, ServiceConfig},
};
use gateway_http::resource;

use crate::{
    SURFACE,
    handlers::{self, admin},
    respond,
    tokens::KeyCell,
};

/// Mounts the vendor routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(web::Data::new(KeyCell::default()));
    cfg.service(
        web::scope("/health")
            // `/health` itself only: the paths below it are no route of this surface.
            .guard(guard::fn_guard(|ctx| ctx.head().uri.path() == "/health"))
            .wrap(from_fn(respond::decorate))
            .service(resource(&SURFACE, "").get(handlers::health::health)),
    );
    cfg.service(
        web::scope("/api/v1/users")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "")
                    .get(handlers::list_users::list_users)
                    .post(handlers::create_user::create_user),
            )
            .service(
                resource(&SURFACE, "/me")
                    .get(handlers::get_me::get_me)
                    .patch(handlers::patch_me::patch_me)
                    .delete(handlers::delete_me::delete_me),
            )
            .service(
                resource(&SURFACE, "/{user_id}")
                    .get(handlers::get_user::get_user)
                    .patch(handlers::patch_user::patch_user)
                    .delete(handlers::delete_user::delete_user),
            ),
    );
    cfg.service(
        web::scope("/api/v1/auth")
            .wrap(from_fn(respond::decorate))
            .service(resource(&SURFACE, "/oauth/token").post(handlers::oauth_token::oauth_token))
            .service(
                resource(&SURFACE, "/anonymous/sign-up")
                    .post(handlers::anonymous_sign_up::anonymous_sign_up),
            )
            .service(resource(&SURFACE, "/password/sign-up").post(handlers::sign_up::sign_up))
            .service(resource(&SURFACE, "/password/sign-in").post(handlers::sign_in::sign_in))
            .service(
                resource(&SURFACE, "/password/update")
                    .post(handlers::update_password::update_password),
            )
            .service(resource(&SURFACE, "/password/set").post(handlers::set_password::set_password))
            .service(
                resource(&SURFACE, "/password/send-reset-code")
                    .post(handlers::send_reset_code::send_reset_code),
            )
            .service(
                resource(&SURFACE, "/password/reset")
                    .post(handlers::reset_password::reset_password),
            )
            .service(
                resource(&SURFACE, "/otp/send-sign-in-code")
                    .post(handlers::send_sign_in_code::send_sign_in_code),
            )
            .service(resource(&SURFACE, "/otp/sign-in").post(handlers::otp_sign_in::otp_sign_in))
            .service(
                resource(&SURFACE, "/otp/sign-in/check-code")
                    .post(handlers::check_sign_in_code::check_sign_in_code),
            )
            .service(
                resource(&SURFACE, "/password/reset/check-code")
                    .post(handlers::check_reset_code::check_reset_code),
            )
            .service(
                resource(&SURFACE, "/sessions")
                    .get(handlers::list_sessions::list_sessions)
                    .post(handlers::create_session::create_session),
            )
            .service(resource(&SURFACE, "/sessions/current").delete(handlers::sign_out::sign_out))
            .service(
                resource(&SURFACE, "/sessions/current/refresh")
                    .post(handlers::refresh_session::refresh_session),
            )
            .service(
                resource(&SURFACE, "/sessions/{id}")
                    .delete(handlers::delete_session::delete_session),
            ),
    );
    cfg.service(
        web::scope("/api/v1/teams")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "")
                    .get(handlers::list_teams::list_teams)
                    .post(handlers::create_team::create_team),
            )
            .service(
                resource(&SURFACE, "/{team_id}")
                    .get(handlers::get_team::get_team)
                    .patch(handlers::patch_team::patch_team)
                    .delete(handlers::delete_team::delete_team),
            ),
    );
    cfg.service(
        web::scope("/api/v1/team-memberships")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "/{team_id}/{user_id}")
                    .post(handlers::add_team_member::add_team_member)
                    .delete(handlers::remove_team_member::remove_team_member),
            ),
    );
    cfg.service(
        web::scope("/api/v1/team-permissions")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "").get(handlers::list_team_permissions::list_team_permissions),
            )
            .service(
                resource(&SURFACE, "/{team_id}/{user_id}/{permission_id}")
                    .post(handlers::grant_team_permission::grant_team_permission)
                    .delete(handlers::revoke_team_permission::revoke_team_permission),
            ),
    );
    cfg.service(
        web::scope("/api/v1/contact-channels")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "")
                    .get(handlers::list_contact_channels::list_contact_channels)
                    .post(handlers::create_contact_channel::create_contact_channel),
            )
            .service(
                resource(&SURFACE, "/send-verification-code")
                    .post(handlers::send_email_verification::send_email_verification),
            )
            .service(resource(&SURFACE, "/verify").post(handlers::verify_email::verify_email))
            .service(
                resource(&SURFACE, "/verify/check-code")
                    .post(handlers::verify_email::check_email_code),
            )
            .service(
                resource(
                    &SURFACE,
                    "/{user_id}/{contact_channel_id}/send-verification-code",
                )
                .post(handlers::send_channel_verification::send_channel_verification),
            )
            .service(
                resource(&SURFACE, "/{user_id}/{contact_channel_id}")
                    .get(handlers::get_contact_channel::get_contact_channel)
                    .patch(handlers::patch_contact_channel::patch_contact_channel)
                    .delete(handlers::delete_contact_channel::delete_contact_channel),
            ),
    );
    cfg.service(
        web::scope("/api/v1/user-api-keys")
            .wrap(from_fn(respond::decorate))
            .service(
                resource(&SURFACE, "")
                    .get(handlers::list_user_api_keys::list_user_api_keys)
                    .post(handlers::create_user_api_key::create_user_api_key),
            )
            .service(
                resource(&SURFACE, "/check").post(handlers::check_user_api_key::check_user_api_key),
            )
            .service(
                resource(&SURFACE, "/{api_key_id}")
                    .get(handlers::get_user_api_key::get_user_api_key)
                    .patch(handlers::patch_user_api_key::patch_user_api_key),
            ),
    );
    cfg.service(
        web::scope("/api/v1/projects")
            .wrap(from_fn(respond::decorate))
            .service(resource(&SURFACE, "/current").get(handlers::current_project::current_project))
            .service(
                resource(&SURFACE, "/{project_id}/.well-known/jwks.json").get(handlers::jwks::jwks),
            ),
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
