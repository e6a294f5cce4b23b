//! The platform's small reads around the current user that the `dreadnode` SDK and TUI make:
//! `GET /api/v1/health`, `GET /api/v1/config` (no credential), `GET /api/v1/user/preferences`
//! and `GET /api/v1/user/limits` (the gateway enforces no usage limits and offers no models).

use actix_web::{
    HttpRequest,
    web::{Data, Json},
};
use gateway_http::PublicBaseUrl;

use crate::{
    auth::PlatformCaller,
    convert_account::timestamp,
    error::PlatformError,
    wire::{
        platform::ErrorEnvelope,
        platform_account::{HealthCheck, PlatformConfig, Preferences, UsageLimits},
    },
};

/// Health check.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "platform",
    operation_id = "health",
    responses((status = 200, description = "Serving", body = HealthCheck))
)]
pub async fn health() -> Json<HealthCheck> {
    Json(HealthCheck { status: "ok" })
}

/// Platform configuration.
#[utoipa::path(
    get,
    path = "/api/v1/config",
    tag = "platform",
    operation_id = "config",
    responses((status = 200, description = "Successful Response", body = PlatformConfig))
)]
pub async fn config(req: HttpRequest) -> Json<PlatformConfig> {
    let website_url = req
        .app_data::<Data<PublicBaseUrl>>()
        .map_or_else(String::new, |u| u.as_str().to_owned());
    Json(PlatformConfig {
        app_version: env!("CARGO_PKG_VERSION"),
        api_version: "v1",
        deployment_mode: "self-hosted",
        website_url,
        airgapped: false,
        email_configured: false,
        recaptcha_enabled: false,
        credits_enabled: false,
        integrations_enabled: false,
    })
}

/// The caller's preferences.
#[utoipa::path(
    get,
    path = "/api/v1/user/preferences",
    tag = "user",
    operation_id = "get_preferences",
    security(("api_key" = []), ("bearer" = [])),
    params(("org" = Option<String>, Query, description = "Organization key (accepted, ignored)")),
    responses(
        (status = 200, description = "Successful Response", body = Preferences),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
    )
)]
pub async fn preferences(caller: PlatformCaller) -> Result<Json<Preferences>, PlatformError> {
    let _ = caller;
    Ok(Json(Preferences {
        models: Vec::new(),
        access_restricted: false,
        inference_credits_per_dollar: None,
    }))
}

/// The caller's usage limits.
#[utoipa::path(
    get,
    path = "/api/v1/user/limits",
    tag = "user",
    operation_id = "get_limits",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = UsageLimits),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
    )
)]
pub async fn limits(caller: PlatformCaller) -> Result<Json<UsageLimits>, PlatformError> {
    Ok(Json(UsageLimits {
        user_id: caller.0.id.to_string(),
        storage: None,
        tracked_hours: None,
        has_warnings: false,
        has_exceeded: false,
        checked_at: timestamp(gateway_core::service::now()),
    }))
}
