//! `GET /api/v1/projects/{project_id}/.well-known/jwks.json`: the public keys that verify this
//! project's access tokens (one ES256 key for the whole gateway).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web::Data,
};
use gateway_core::Gateway;

use crate::{auth::find_project, error::TieredError, respond, tokens::KeyCell};

/// The project's JSON Web Key Set.
#[utoipa::path(
    get, path = "/api/v1/projects/{project_id}/.well-known/jwks.json", tag = "Tokens",
    summary = "JWKS endpoint",
    params(("project_id" = String, Path, description = "The project ID.")),
    responses(
        (status = 200, description = "`{\"keys\": [JWK]}`", body = Object),
        (status = "4XX", description = "Plain text (404 `Project not found`, 405).", content((String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn jwks(
    req: HttpRequest,
    gateway: Data<Gateway>,
    keys: Data<KeyCell>,
) -> Result<HttpResponse, TieredError> {
    let raw = req.match_info().get("project_id").unwrap_or_default();
    if find_project(&gateway, raw).await?.is_none() {
        return Err(TieredError::text(
            StatusCode::NOT_FOUND,
            "Project not found",
        ));
    }
    let key = keys.get(&gateway).await?;
    let mut res = respond::json(&req, StatusCode::OK, &key.jwks());
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(res)
}
