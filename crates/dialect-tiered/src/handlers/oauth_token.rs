//! `POST /api/v1/auth/oauth/token`: the OAuth token endpoint, refresh grant (what the SDK uses;
//! form body, no `x-stack-*` headers). The client id is the project id, the client secret its
//! publishable key or the keyless sentinel. Answers exactly 200 with a new access token; the
//! refresh token is not rotated.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web::Data,
};
use gateway_core::Gateway;
use serde_json::{Map, Value, json};

use crate::{
    auth::{KeyFailure, Smart, check_publishable_key, find_project},
    error::TieredError,
    handlers::{mint, resume, schema_error},
    known::KnownError,
    respond,
    tokens::ACCESS_TOKEN_LIFETIME,
    validate::type_error,
    wire::TokenResponse,
};

const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// The validated token request.
struct TokenRequest {
    /// `authorization_code` or `refresh_token`.
    grant_type: String,
    /// The project id (optionally `#branch`).
    client_id: Option<String>,
    /// The publishable key or the keyless sentinel.
    client_secret: Option<String>,
    /// Every field, for the grant's own parameters.
    fields: Map<String, Value>,
}

/// Validates the body as the vendor's schema does (unknown fields are allowed).
fn validate(body: Option<Value>) -> Result<TokenRequest, Vec<String>> {
    let map = match body {
        None => return Err(vec!["body must be defined".into()]),
        Some(Value::Object(map)) => map,
        Some(Value::Null) => return Err(vec!["body cannot be null".into()]),
        Some(other) => return Err(vec![type_error("body", "object", &other)]),
    };
    let mut lines = Vec::new();
    let grant_type = match map.get("grant_type") {
        None => {
            lines.push("body.grant_type must be defined".to_owned());
            None
        }
        Some(Value::String(g)) if GRANT_TYPES.contains(&g.as_str()) => Some(g.clone()),
        Some(Value::String(_)) => {
            lines.push(format!(
                "body.grant_type must be one of the following values: {}",
                GRANT_TYPES.join(", ")
            ));
            None
        }
        Some(Value::Null) => {
            lines.push("body.grant_type cannot be null".to_owned());
            None
        }
        Some(other) => {
            lines.push(type_error("body.grant_type", "string", other));
            None
        }
    };
    let mut optional = |name: &str| match map.get(name) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => {
            lines.push(format!("body.{name} cannot be null"));
            None
        }
        Some(other) => {
            lines.push(type_error(&format!("body.{name}"), "string", other));
            None
        }
    };
    let client_id = optional("client_id");
    let client_secret = optional("client_secret");
    match grant_type {
        Some(grant_type) if lines.is_empty() => Ok(TokenRequest {
            grant_type,
            client_id,
            client_secret,
            fields: map,
        }),
        _ => Err(lines),
    }
}

fn invalid_request(description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .body(json!({"error": "invalid_request", "error_description": description}).to_string())
}

/// Exchanges a refresh token for a new access token.
#[utoipa::path(
    post, path = "/api/v1/auth/oauth/token", tag = "Oauth",
    summary = "OAuth token endpoint",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=refresh_token&refresh_token=<rt>&client_id=<project id>&client_secret=<publishable key or __stack_public_client__>`"),
    responses(
        (status = 200, description = "A new access token (exactly 200).", body = crate::wire::TokenResponse),
        (status = "4XX", description = "`SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `INVALID_OAUTH_CLIENT_ID_OR_SECRET`, `INVALID_AUTHORIZATION_CODE` (400), `REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`, `PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT` (401) as known errors, or an OAuth `{error, error_description}` (400 `invalid_request`); 404/405/413 as plain text.", content((crate::openapi::TokenEndpointError = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn oauth_token(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let TokenRequest {
        grant_type,
        client_id,
        client_secret,
        fields,
    } = validate(smart.body.as_json().0).map_err(|lines| schema_error(&req, &lines))?;
    let project = match &client_id {
        Some(id) => find_project(&gateway, id.split('#').next().unwrap_or_default()).await?,
        None => None,
    };
    let invalid_client = || KnownError::invalid_oauth_client_id_or_secret(client_id.as_deref());
    let Some(project) = project else {
        return Err(invalid_client().into());
    };
    let pid = project.id.to_string();
    match client_secret.as_deref() {
        Some(secret) => match check_publishable_key(&project, secret) {
            Ok(()) => {}
            Err(KeyFailure::Required) => {
                return Err(KnownError::publishable_client_key_required(&pid).into());
            }
            Err(KeyFailure::Invalid) => return Err(invalid_client().into()),
        },
        None if project.require_publishable_client_key => {
            return Err(KnownError::publishable_client_key_required(&pid).into());
        }
        None => {}
    }
    if grant_type == "authorization_code" {
        // The gateway has no authorization flow, so no code is ever valid.
        return Err(KnownError::invalid_authorization_code().into());
    }
    let Some(Value::String(refresh_token)) = fields
        .get("refresh_token")
        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    else {
        return Ok(invalid_request("Missing parameter: `refresh_token`"));
    };
    let (session, user) = resume(&gateway, project.id, refresh_token).await?;
    let (access_token, _) = mint(
        &req,
        &gateway,
        &pid,
        &user,
        &session.id.to_string(),
        ACCESS_TOKEN_LIFETIME,
    )
    .await?;
    let answer = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_LIFETIME.num_seconds(),
        refresh_token: refresh_token.clone(),
        scope: "legacy",
        after_callback_redirect_url_camel: None,
        after_callback_redirect_url: None,
    };
    let mut res = respond::json(&req, StatusCode::OK, &answer);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res.headers_mut()
        .insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    Ok(res)
}
