//! Building the application: open the store, agree on the signing secret, bind the listener and
//! mount health, admin and every dialect. `main` and the tests build the server the same way.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, HttpMessage, HttpRequest, HttpResponse, HttpServer,
    dev::Server,
    http::header::{HeaderName, HeaderValue},
    middleware::from_fn,
    web::{self, Data},
};
use gateway_core::{Gateway, credentials::random_token};
use gateway_http::{Fallback, HttpLimits, Tokens, faults::Faults};
use gateway_storage::{DieselStore, PoolOptions};
use serde_json::json;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    admin, dialects,
    emulator::{self, Emulator, fixtures},
    settings::Settings,
    telemetry::GatewayRootSpan,
};

/// Name of the stored JWT signing secret.
const JWT_SECRET_NAME: &str = "jwt_hs256";

/// The shared state every request sees.
#[derive(Clone)]
pub struct AppState {
    /// The domain service.
    pub gateway: Gateway,
    /// Access token service.
    pub tokens: Tokens,
    /// The concrete store (for readiness details and tests).
    pub store: Arc<DieselStore>,
    /// HTTP limits.
    pub limits: HttpLimits,
    /// Admin token.
    pub admin_token: String,
    /// Fault injection rules.
    pub faults: Faults,
    /// Fixtures, request journal, metrics.
    pub emulator: Emulator,
}

/// Opens the database and builds the state, without binding anything (CLI commands use this).
pub async fn state(settings: &Settings) -> anyhow::Result<AppState> {
    let url = settings.database.url.clone();
    let options = PoolOptions {
        max_connections: settings.database.max_connections,
        acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
    };
    let store = tokio::task::spawn_blocking(move || DieselStore::open(&url, &options)).await??;
    if let Some((journal, busy, fk, _sync)) = store.sqlite_settings().await? {
        anyhow::ensure!(
            journal.eq_ignore_ascii_case("wal") && busy >= 1000 && fk == 1,
            "sqlite settings were not applied (journal_mode={journal}, busy_timeout={busy}, foreign_keys={fk})"
        );
    }
    let store = Arc::new(store);
    let gateway = Gateway::new(store.clone());
    let secret = if settings.auth.jwt_secret.is_empty() {
        gateway
            .shared_secret(JWT_SECRET_NAME, || random_token(32))
            .await?
    } else {
        settings.auth.jwt_secret.clone()
    };
    let tokens = Tokens::new(
        secret.as_bytes(),
        settings.auth.issuer.clone(),
        chrono::Duration::seconds(settings.auth.token_lifetime_secs),
    );
    Ok(AppState {
        gateway,
        tokens,
        store,
        limits: HttpLimits {
            body_limit: settings.server.body_limit_bytes,
        },
        admin_token: settings.admin.token.clone(),
        faults: Faults::default(),
        emulator: Emulator::new(
            settings.emulator.journal_capacity,
            settings.emulator.journal_body_limit_bytes,
        )?,
    })
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(gateway: Data<Gateway>) -> HttpResponse {
    match gateway.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}

async fn default_service(req: HttpRequest, fallbacks: Data<Vec<Fallback>>) -> HttpResponse {
    let path = req.path().to_owned();
    match fallbacks.iter().find(|f| (f.claims)(&path)) {
        Some(f) => (f.render)(&req),
        None => HttpResponse::NotFound()
            .json(json!({"error": {"kind": "not_found", "message": "no route matches this path"}})),
    }
}

/// Mounts everything on an app: health, metrics, console, admin, dialects, fallback.
pub fn configure_app(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.app_data(Data::new(state.gateway.clone()))
        .app_data(Data::new(state.tokens.clone()))
        .app_data(Data::new(state.limits))
        .app_data(Data::new(state.faults.clone()))
        .app_data(Data::new(gateway_http::admin::AdminToken(
            state.admin_token.clone(),
        )))
        .app_data(Data::new(dialects::fallbacks()))
        .app_data(Data::new(state.emulator.clone()))
        .app_data(Data::new(state.clone()))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(emulator::handlers::metrics))
        .configure(emulator::console::configure)
        .configure(admin::configure)
        .configure(dialects::configure)
        .default_service(web::to(default_service));
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    host: String,
    server: Server,
    state: AppState,
}

impl Application {
    /// Opens the database, loads `emulator.fixtures` when set, binds `host:port` (port 0 = any)
    /// and builds the server.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let state = state(settings).await?;
        if !settings.emulator.fixtures.is_empty() {
            fixtures::load_file(&state, std::path::Path::new(&settings.emulator.fixtures)).await?;
        }
        Self::build_with_state(settings, state)
    }

    /// Binds and builds the server on an existing state.
    pub fn build_with_state(settings: &Settings, state: AppState) -> anyhow::Result<Self> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        let local = listener.local_addr()?;
        let port = local.port();
        let loopback = match local.ip() {
            ip if ip.is_unspecified() && ip.is_ipv6() => "[::1]".to_owned(),
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        // A state reused for a second listener keeps its first address.
        drop(
            state
                .emulator
                .preview
                .base_url
                .set(format!("http://{loopback}:{port}")),
        );
        let app_state = state.clone();
        let body_timeout = Duration::from_millis(settings.server.client_request_timeout_ms);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(request_id_header))
                .wrap(from_fn(emulator::observe))
                // The body too must arrive within the client timeout (actix bounds the head only).
                .wrap(from_fn(move |req, next| {
                    gateway_http::deadline::body_deadline(body_timeout, req, next)
                }))
                .wrap(TracingLogger::<GatewayRootSpan>::new())
                .configure(|cfg| configure_app(cfg, &app_state))
        })
        .client_request_timeout(Duration::from_millis(
            settings.server.client_request_timeout_ms,
        ))
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self {
            port,
            host: settings.server.host.clone(),
            server,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// The state (for tests and the startup banner).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs until stopped (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Adds `x-request-id` (the root span's id) to every response that does not carry one.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = id
        && !res.headers().contains_key(&X_REQUEST_ID)
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        res.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    Ok(res)
}
