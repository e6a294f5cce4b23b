//! The dialect registry: one line per dialect. Every dialect is mounted at the root of the one
//! listener; its surfaces claim their path prefixes for their own 404s and console previews, and
//! its OpenAPI documents are served at `/openapi/<surface>.json` with Swagger UI at `/docs/`.
//! See `docs/adding-a-dialect.md`.

use actix_web::{HttpResponse, web};
use gateway_http::Registry;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{SwaggerUi, Url};

/// Every dialect the gateway serves, in the order their routes are mounted.
pub static REGISTRY: Registry = Registry(&[
    &dialect_snake::DIALECT,
    &dialect_pascal::DIALECT,
    &dialect_camel::DIALECT,
    &dialect_tiered::DIALECT,
]);

/// Mounts every dialect of `registry`, its OpenAPI documents and Swagger UI.
pub fn configure(cfg: &mut web::ServiceConfig, registry: Registry) {
    registry.configure(cfg);
    let docs = registry.documents();
    if !docs.is_empty() {
        let urls: Vec<(Url<'static>, OpenApi)> = docs
            .into_iter()
            .map(|(name, doc)| (Url::from(format!("/openapi/{name}.json")), doc))
            .collect();
        cfg.service(SwaggerUi::new("/docs/{_:.*}").urls(urls));
    }
    cfg.route("/openapi/{name}.json", web::get().to(serve_document));
}

async fn serve_document(name: web::Path<String>, registry: web::Data<Registry>) -> HttpResponse {
    match registry
        .documents()
        .into_iter()
        .find(|(n, _)| *n == name.as_str())
    {
        Some((_, doc)) => HttpResponse::Ok().json(doc),
        None => HttpResponse::NotFound().json(
            serde_json::json!({"error": {"kind": "not_found", "message": "no such document"}}),
        ),
    }
}

/// The OpenAPI document of a dialect surface, by name, as pretty JSON.
pub fn openapi(name: &str) -> Option<String> {
    REGISTRY
        .documents()
        .into_iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, doc)| serde_json::to_string_pretty(&doc).ok())
}

/// The names `openapi` knows.
pub fn openapi_names() -> Vec<&'static str> {
    REGISTRY.surfaces().map(|s| s.name).collect()
}
