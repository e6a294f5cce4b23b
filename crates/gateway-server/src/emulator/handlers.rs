//! The emulator's HTTP endpoints: `/admin/fixtures` (and `/admin/fixtures/export`), `/admin/reset`, `/admin/journal` (with its
//! verification API, `/admin/journal/count` and `/admin/journal/find`), `/admin/surfaces`,
//! `/admin/users/{id}/views` (under the admin token) and `/metrics`.

use std::time::Duration;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::CONTENT_TYPE,
    web::{self, Bytes, Data, Json, Path, Query},
};
use gateway_core::{CoreError, Field, FieldIssue, IssueCode, Surface, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    PREVIEW_HEADER, export,
    fixtures::{self, Format},
    metrics,
    surfaces::{PreviewCredential, previews},
    verify,
};
use crate::{AppState, admin::AdminError};

type Result<T> = std::result::Result<T, AdminError>;

fn invalid(field: &'static str, message: impl Into<String>) -> AdminError {
    CoreError::validation(vec![FieldIssue::new(
        Field::Other(field),
        IssueCode::InvalidFormat,
        message,
    )])
    .into()
}

/// `POST /admin/fixtures` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixturesQuery {
    /// Name used in error messages (default `request body`); its extension picks the format
    /// when the content type does not.
    name: Option<String>,
}

/// `POST /admin/fixtures`: the body is a fixture document (YAML or JSON, by content type, else
/// by `name`'s extension, else by content). Replaces the state; 422 with every problem (path,
/// line, column) when the document is refused, nothing written.
pub async fn load_fixtures(
    req: HttpRequest,
    state: Data<AppState>,
    query: Query<FixturesQuery>,
    body: Bytes,
) -> Result<HttpResponse> {
    let name = query
        .into_inner()
        .name
        .unwrap_or_else(|| "request body".to_owned());
    let text =
        String::from_utf8(body.to_vec()).map_err(|_| invalid("body", "must be UTF-8 text"))?;
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format = if ct.contains("json") {
        Format::Json
    } else if ct.contains("yaml") {
        Format::Yaml
    } else {
        Format::detect(&name, &text)
    };
    let source = name.clone();
    let prefixes = state.gateway.key_prefixes().clone();
    let prepared = web::block(move || fixtures::prepare(&source, &text, format, &prefixes))
        .await
        .map_err(CoreError::internal)?;
    let plan = match prepared {
        Ok(plan) => plan,
        Err(refused) => {
            let issues: Vec<Value> = refused
                .problems
                .iter()
                .map(|p| json!({"field": p.path, "message": p.message, "line": p.line, "column": p.column}))
                .collect();
            return Ok(HttpResponse::UnprocessableEntity().json(json!({
                "error": {"kind": "validation", "message": refused.to_string(), "issues": issues}
            })));
        }
    };
    match fixtures::load(&state, plan).await {
        Ok(summary) => Ok(HttpResponse::Ok().json(summary)),
        Err(failed) => {
            let fixtures::LoadFailed { error, outcome } = failed;
            let kind = error.kind();
            let message = format!(
                "loading the fixtures failed: {}; {outcome}",
                error.message()
            );
            Err(CoreError::new(kind, message).into())
        }
    }
}

/// `GET /admin/fixtures`: what the loaded fixtures wrote.
pub async fn show_fixtures(state: Data<AppState>) -> Result<HttpResponse> {
    match fixtures::current(&state).await {
        Some(summary) => Ok(HttpResponse::Ok().json(summary)),
        None => Err(CoreError::not_found("no fixtures are loaded").into()),
    }
}

/// `GET /admin/fixtures/export` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `yaml` (default) or `json`.
    format: Option<String>,
}

/// `GET /admin/fixtures/export`: the current state as a fixture document that loads back to the
/// same state, secrets as hashes (`emulator::export`).
pub async fn export_fixtures(
    state: Data<AppState>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse> {
    let (format, content_type, ext) = match query.into_inner().format.as_deref() {
        None | Some("yaml") | Some("yml") => (Format::Yaml, "application/yaml", "yaml"),
        Some("json") => (Format::Json, "application/json", "json"),
        Some(other) => return Err(invalid("format", format!("{other:?}: use yaml or json"))),
    };
    let file = export::snapshot(&state).await?;
    let text = export::render(&file, format).map_err(CoreError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"gateway-fixtures.{ext}\""),
        ))
        .body(text))
}

/// `POST /admin/reset`: back to the loaded fixtures (or empty); journal cleared.
pub async fn reset(state: Data<AppState>) -> Result<HttpResponse> {
    fixtures::reset(&state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/journal` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// One surface; all when absent.
    surface: Option<String>,
    /// At most this many entries (default 50).
    limit: Option<usize>,
    /// Only entries with a larger id (for polling).
    since: Option<u64>,
}

/// A surface's name, or `webhooks` (the deliveries, [`crate::webhooks`]).
fn surface_filter(raw: Option<&str>) -> Result<Option<&'static str>> {
    if raw == Some(crate::webhooks::JOURNAL_SURFACE) {
        return Ok(Some(crate::webhooks::JOURNAL_SURFACE));
    }
    raw.map(|s| {
        s.parse::<Surface>()
            .map(Surface::as_str)
            .map_err(|e| invalid("surface", e))
    })
    .transpose()
}

/// `GET /admin/journal?surface=&limit=&since=`: the newest entries first.
pub async fn journal(state: Data<AppState>, query: Query<JournalQuery>) -> Result<HttpResponse> {
    let JournalQuery {
        surface,
        limit,
        since,
    } = query.into_inner();
    let surface = surface_filter(surface.as_deref())?;
    let journal = &state.emulator.journal;
    let limit = limit
        .unwrap_or(50)
        .clamp(1, journal.capacity().max(1) * Surface::ALL.len());
    Ok(HttpResponse::Ok().json(journal.query(surface, since, limit)))
}

/// `DELETE /admin/journal` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearQuery {
    /// One surface; all when absent.
    surface: Option<String>,
}

/// `DELETE /admin/journal?surface=`.
pub async fn clear_journal(
    state: Data<AppState>,
    query: Query<ClearQuery>,
) -> Result<HttpResponse> {
    let surface = surface_filter(query.surface.as_deref())?;
    state.emulator.journal.clear(surface);
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/outbox` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Only mail to this address (any letter case).
    to: Option<String>,
    /// Only mail of this kind (`password_reset`).
    kind: Option<String>,
    /// At most this many (default 50, at most 1000).
    limit: Option<usize>,
}

/// `GET /admin/outbox`: the mail this instance sent, newest first.
pub async fn outbox(state: Data<AppState>, query: Query<OutboxQuery>) -> Result<HttpResponse> {
    let OutboxQuery { to, kind, limit } = query.into_inner();
    let sent = state.emulator.outbox.list(
        to.as_deref(),
        kind.as_deref(),
        limit.unwrap_or(50).min(1000),
    );
    Ok(HttpResponse::Ok().json(sent))
}

/// `DELETE /admin/outbox`.
pub async fn clear_outbox(state: Data<AppState>) -> Result<HttpResponse> {
    state.emulator.outbox.clear();
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/journal/find` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    /// At most this many entries (default 50); `count` still counts every match.
    limit: Option<usize>,
}

/// The journal's entries matching the pattern in `body`, newest first; the matching runs on the
/// blocking pool (it may render and parse every kept request body).
async fn matching(
    state: &AppState,
    pattern: verify::Pattern,
) -> Result<Vec<std::sync::Arc<super::journal::Captured>>> {
    let journal = state.emulator.journal.clone();
    web::block(move || verify::matching(&journal, &pattern))
        .await
        .map_err(|e| CoreError::internal(e).into())
}

/// A refused pattern: 422 in the admin envelope, the issue naming the pattern's field by its path
/// (`headers.accept.matches`), which no core field name covers.
fn refused(e: verify::Refused) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(json!({
        "error": {
            "kind": "validation",
            "message": e.to_string(),
            "issues": [{"field": e.field, "message": e.message}],
        }
    }))
}

/// `POST /admin/journal/count`: how many journaled requests match the pattern in the body
/// (`{"count": N}`); 422 for a refused pattern.
pub async fn count_journal(state: Data<AppState>, body: Json<Value>) -> Result<HttpResponse> {
    let pattern = match verify::Pattern::parse(body.into_inner()) {
        Ok(pattern) => pattern,
        Err(e) => return Ok(refused(e)),
    };
    let matched = matching(&state, pattern).await?;
    Ok(HttpResponse::Ok().json(json!({"count": matched.len()})))
}

/// `POST /admin/journal/find?limit=`: the journaled requests that match the pattern in the
/// body, newest first, as `GET /admin/journal` shows them (`{"count": N, "requests": [...]}`,
/// `count` of every match, `requests` at most `limit`); 422 for a refused pattern.
pub async fn find_journal(
    state: Data<AppState>,
    query: Query<FindQuery>,
    body: Json<Value>,
) -> Result<HttpResponse> {
    let journal = &state.emulator.journal;
    let limit = query
        .limit
        .unwrap_or(50)
        .clamp(1, journal.capacity().max(1) * Surface::ALL.len());
    let pattern = match verify::Pattern::parse(body.into_inner()) {
        Ok(pattern) => pattern,
        Err(e) => return Ok(refused(e)),
    };
    let matched = matching(&state, pattern).await?;
    let body_limit = journal.body_limit();
    let requests: Vec<_> = matched
        .iter()
        .take(limit)
        .map(|c| c.render(body_limit))
        .collect();
    Ok(HttpResponse::Ok().json(Found {
        count: matched.len(),
        requests,
    }))
}

/// `POST /admin/journal/find` answer (entries serialized as `GET /admin/journal` does, fields in
/// the same order).
#[derive(Debug, Serialize)]
struct Found {
    count: usize,
    requests: Vec<super::journal::Entry>,
}

/// One surface as the console lists it.
#[derive(Debug, Serialize)]
struct SurfaceInfo {
    surface: &'static str,
    openapi: Option<String>,
    docs: Option<String>,
    preview: String,
}

/// `GET /admin/surfaces`: each surface with its OpenAPI document and Swagger UI, when the
/// dialect publishes one.
pub async fn surfaces() -> Result<HttpResponse> {
    let documents = crate::dialects::openapi_names();
    let list: Vec<SurfaceInfo> = previews()
        .map(|(surface, p)| {
            let name = surface.as_str();
            let published = documents.contains(&name);
            SurfaceInfo {
                surface: name,
                openapi: published.then(|| format!("/openapi/{name}.json")),
                docs: published.then(|| format!("/docs/?urls.primaryName=/openapi/{name}.json")),
                preview: p.path.to_owned(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// One surface's rendering of a user.
#[derive(Debug, Serialize)]
struct View {
    surface: &'static str,
    method: &'static str,
    path: String,
    status: Option<u16>,
    body: Value,
    note: Option<String>,
}

/// `GET /admin/users/{id}/views`: the user as each surface shows it, read through the surface's
/// own endpoint over loopback with a short-lived credential (sessionless gateway token; for the
/// tiered surface, server access with a project loaded from fixtures). These reads are not
/// journaled; fault rules apply to them as to any request.
pub async fn views(state: Data<AppState>, id: Path<String>) -> Result<HttpResponse> {
    let id: UserId = id
        .parse()
        .map_err(|_| CoreError::not_found("user not found"))?;
    let user = state.gateway.user(id).await?;
    let Some(base) = state.emulator.preview.base_url.get().cloned() else {
        return Err(CoreError::unavailable("the listener is not bound yet").into());
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(CoreError::internal)?;
    let project = fixtures::project_server_key(&state).await;
    let mut out = Vec::new();
    for (surface, p) in previews() {
        let path = p.path.replace("{id}", &user.id.to_string());
        let mut request = client
            .get(format!("{base}{path}"))
            .header(PREVIEW_HEADER, &state.emulator.preview.secret)
            .header("accept", "application/json");
        match p.credential {
            PreviewCredential::BearerToken => {
                let token = state.tokens.issue(
                    user.id,
                    surface,
                    None,
                    Some(chrono::Duration::seconds(60)),
                )?;
                request = request.bearer_auth(token.token);
            }
            PreviewCredential::ProjectServerKey => match &project {
                Some((project_id, key)) => {
                    request = request
                        .header("x-stack-access-type", "server")
                        .header("x-stack-project-id", project_id.to_string())
                        .header("x-stack-secret-server-key", key);
                }
                None => {
                    out.push(View {
                        surface: surface.as_str(),
                        method: "GET",
                        path,
                        status: None,
                        body: Value::Null,
                        note: Some(
                            "needs a project with a known secret server key: load one from fixtures".into(),
                        ),
                    });
                    continue;
                }
            },
        }
        let view = match request.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                View {
                    surface: surface.as_str(),
                    method: "GET",
                    path,
                    status: Some(status),
                    body,
                    note: None,
                }
            }
            Err(e) => View {
                surface: surface.as_str(),
                method: "GET",
                path,
                status: None,
                body: Value::Null,
                note: Some(format!(
                    "no answer: {}",
                    if e.is_timeout() {
                        "timed out"
                    } else {
                        "connection failed or dropped"
                    }
                )),
            },
        };
        out.push(view);
    }
    Ok(HttpResponse::Ok().json(json!({"user_id": user.id.to_string(), "views": out})))
}

/// `GET /metrics`: the Prometheus text exposition (no credential, like most exporters).
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    state
        .emulator
        .metrics
        .journal_bytes(state.emulator.journal.bytes());
    state.emulator.metrics.cache(state.store.cache_usage());
    state
        .emulator
        .metrics
        .log_lines_dropped(crate::telemetry::dropped_lines());
    let text = state.emulator.metrics.render(
        state.store.pool_usage(),
        state.faults.list().len(),
        state.emulator.journal.len(),
    );
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .body(text)
}

/// Mounts the emulator's admin endpoints inside the `/admin` scope.
pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/fixtures")
            .app_data(web::PayloadConfig::new(4 << 20))
            .route(web::post().to(load_fixtures))
            .route(web::get().to(show_fixtures)),
    )
    .route("/fixtures/export", web::get().to(export_fixtures))
    .route("/reset", web::post().to(reset))
    .route("/journal", web::get().to(journal))
    .route("/journal", web::delete().to(clear_journal))
    .route("/journal/count", web::post().to(count_journal))
    .route("/journal/find", web::post().to(find_journal))
    .route("/outbox", web::get().to(outbox))
    .route("/outbox", web::delete().to(clear_outbox))
    .route("/surfaces", web::get().to(surfaces))
    .route("/users/{id}/views", web::get().to(views));
}
