//! `POST /api/v1/user/api-keys` (platform): a new API key of the caller (`dreadnode login` makes
//! one with the device login's access token). The key's text is in this answer only.

use actix_web::{HttpResponse, web::Data};
use gateway_core::{Gateway, Surface};

use crate::{
    auth::PlatformCaller,
    convert_account::platform_key,
    error::{Expected, PlatformError, WireIssue},
    extract::JsonBody,
    wire::{
        Sent,
        platform::ErrorEnvelope,
        platform_account::{CreateApiKey, UserApiKey},
    },
};

/// The longest key name.
const NAME_MAX: usize = 100;

/// Create an API key.
#[utoipa::path(
    post,
    path = "/api/v1/user/api-keys",
    tag = "user",
    operation_id = "create_api_key",
    security(("api_key" = []), ("bearer" = [])),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `key` is shown once", body = UserApiKey),
        (status = 400, description = "Malformed body", body = ErrorEnvelope),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 403, description = "Access forbidden (disabled account)", body = ErrorEnvelope),
        (status = 422, description = "Validation error", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn create_api_key(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    body: JsonBody<CreateApiKey>,
) -> Result<HttpResponse, PlatformError> {
    let PlatformCaller(user) = caller;
    let CreateApiKey {
        name,
        allow_self_revoke,
    } = body.into_inner()?;
    let mut issues = Vec::new();
    if let Some(sent) = allow_self_revoke.invalid() {
        issues.push(WireIssue::wrong_type(
            "allow_self_revoke",
            Expected::Boolean,
            sent,
        ));
    }
    let name = match name {
        Sent::Value(n) if n.chars().count() > NAME_MAX => {
            issues.push(WireIssue {
                field: Some("name".into()),
                kind: "string_too_long",
                message: format!("at most {NAME_MAX} characters"),
            });
            None
        }
        Sent::Invalid(sent) => {
            issues.push(WireIssue::wrong_type("name", Expected::String, sent));
            None
        }
        other => other.into_value().filter(|n| !n.trim().is_empty()),
    };
    if !issues.is_empty() {
        return Err(PlatformError::validation(issues));
    }
    let (key, generated) = gateway
        .issue_api_key(user.id, Surface::Platform, name)
        .await?;
    let prefix = gateway.key_prefix(Surface::Platform).to_owned();
    Ok(HttpResponse::Created().json(platform_key(&key, Some(generated.text.clone()), &prefix)))
}
