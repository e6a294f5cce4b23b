//! The web console at `/console`: one page (HTML, JavaScript and CSS built into the binary with
//! `include_str!`, no build step, nothing from a CDN) that logs in with the admin token (kept in
//! `sessionStorage` only) and drives the admin API: users with their rendering in every surface,
//! the live request journal, fault rules, and links to each surface's Swagger UI; it creates,
//! edits and deletes users, issues and revokes credentials, shows the outbox, and exports,
//! loads and resets the state. The page itself holds no data; every read needs the admin token, and the console is
//! off (404) when the admin API is disabled.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderValue, X_CONTENT_TYPE_OPTIONS},
    web::{self, Data},
};
use gateway_http::admin::AdminToken;
use serde_json::json;

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/app.js");
const STYLE: &str = include_str!("console/app.css");

/// Everything the page may load comes from this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

fn asset(req: &HttpRequest, content_type: &str, body: &'static str) -> HttpResponse {
    let enabled = req
        .app_data::<Data<AdminToken>>()
        .is_some_and(|t| !t.0.is_empty());
    if !enabled {
        return HttpResponse::NotFound()
            .json(json!({"error": {"kind": "not_found", "message": "the admin API is disabled"}}));
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .insert_header((X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(body)
}

async fn index(req: HttpRequest) -> HttpResponse {
    asset(&req, "text/html; charset=utf-8", INDEX)
}

async fn script(req: HttpRequest) -> HttpResponse {
    asset(&req, "text/javascript; charset=utf-8", SCRIPT)
}

async fn style(req: HttpRequest) -> HttpResponse {
    asset(&req, "text/css; charset=utf-8", STYLE)
}

/// Mounts `/console`, `/console/`, `/console/app.js` and `/console/app.css`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(index))
        .route("/console/", web::get().to(index))
        .route("/console/app.js", web::get().to(script))
        .route("/console/app.css", web::get().to(style));
}
