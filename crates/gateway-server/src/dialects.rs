//! The dialect registry: every dialect crate is mounted here, at the root of the one listener,
//! claims its unmatched paths for its own 404, and publishes its OpenAPI documents, which are
//! served at `/openapi/<surface>.json` with Swagger UI at `/docs/`.

use actix_web::{HttpResponse, web};
use gateway_http::Fallback;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{SwaggerUi, Url};

/// Mounts every dialect's routes, the OpenAPI documents and Swagger UI.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(dialect_snake::configure)
        .configure(dialect_pascal::configure)
        .configure(dialect_camel::configure)
        .configure(dialect_tiered::configure);
    let docs = documents();
    if !docs.is_empty() {
        let urls: Vec<(Url<'static>, OpenApi)> = docs
            .into_iter()
            .map(|(name, doc)| (Url::from(format!("/openapi/{name}.json")), doc))
            .collect();
        cfg.service(SwaggerUi::new("/docs/{_:.*}").urls(urls));
    }
    cfg.route("/openapi/{name}.json", web::get().to(serve_document));
}

async fn serve_document(name: web::Path<String>) -> HttpResponse {
    match documents().into_iter().find(|(n, _)| *n == name.as_str()) {
        Some((_, doc)) => HttpResponse::Ok().json(doc),
        None => HttpResponse::NotFound().json(
            serde_json::json!({"error": {"kind": "not_found", "message": "no such document"}}),
        ),
    }
}

/// The unmatched-path claims of every dialect, in the order they are asked.
pub fn fallbacks() -> Vec<Fallback> {
    let mut all = dialect_snake::fallbacks();
    all.extend(dialect_pascal::fallbacks());
    all.extend(dialect_camel::fallbacks());
    all.extend(dialect_tiered::fallbacks());
    all
}

/// Every dialect's OpenAPI documents, by surface name.
pub fn documents() -> Vec<(&'static str, OpenApi)> {
    let mut all = dialect_snake::openapi_documents();
    all.extend(dialect_pascal::openapi_documents());
    all.extend(dialect_camel::openapi_documents());
    all.extend(dialect_tiered::openapi_documents());
    all
}

/// The OpenAPI document of a dialect surface, by name, as pretty JSON.
pub fn openapi(name: &str) -> Option<String> {
    documents()
        .into_iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, doc)| serde_json::to_string_pretty(&doc).ok())
}

/// The names `openapi` knows.
pub fn openapi_names() -> Vec<&'static str> {
    documents().into_iter().map(|(n, _)| n).collect()
}
