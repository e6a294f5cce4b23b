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
use gateway_core::{
    Gateway,
    credentials::{constant_time_eq, random_token},
};
use gateway_http::{DeviceLogin, HttpLimits, PublicBaseUrl, Registry, Tokens, faults::Faults};
use gateway_storage::DieselStore;
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
/// Name of the stored, generated admin token (used when `admin.token` is empty).
pub const ADMIN_TOKEN_NAME: &str = "admin_token";
/// Random bytes of a generated admin token (43 URL-safe characters).
pub const GENERATED_TOKEN_BYTES: usize = 32;
/// Most purge statements in one run of the session purge.
pub const MAX_PURGE_BATCHES_PER_RUN: usize = 10;

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
    /// Admin token in effect (configured or generated); empty = admin API disabled.
    pub admin_token: String,
    /// Bearer token of `/metrics`; empty = open.
    pub metrics_token: String,
    /// Fault injection rules.
    pub faults: Faults,
    /// Fixtures, request journal, metrics.
    pub emulator: Emulator,
    /// The dialects served ([`dialects::REGISTRY`]; tests may mount others).
    pub registry: Registry,
    /// The URL clients reach the gateway at: `server.public_base_url`, else the configured
    /// listener; `None` until bound when the configured port is 0 (any free port).
    pub public_base_url: Option<PublicBaseUrl>,
    /// Device login timing and bound.
    pub device: DeviceLogin,
    /// Failed sign-ins on the device approval page, per client address (one count per instance).
    pub sign_in_failures: Data<crate::device_page::FailureLimit>,
    /// The webhook sink (the gateway's events, the endpoints as last read).
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// The sink's queue, taken by the sender when the server runs.
    pub webhook_queue: Arc<std::sync::Mutex<Option<crate::webhooks::Receiver>>>,
}

/// `server.public_base_url`, else `http://{server.host}:{port}` with the configured port (not a
/// request's `Host`), so every instance sharing the configuration agrees. With port 0 the bound
/// port is used (`bound`); `None` while it is not known yet.
fn public_base_url(
    settings: &Settings,
    bound: Option<u16>,
) -> anyhow::Result<Option<PublicBaseUrl>> {
    let configured = settings.server.public_base_url.trim();
    let raw = if configured.is_empty() {
        let port = match (settings.server.port, bound) {
            (0, None) => return Ok(None),
            (0, Some(port)) => port,
            (port, _) => port,
        };
        let host = &settings.server.host;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        format!("http://{host}:{port}")
    } else {
        configured.to_owned()
    };
    PublicBaseUrl::new(&raw)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("server.public_base_url {e}: {raw}"))
}

/// Opens the database and builds the state, without binding anything (CLI commands use this).
pub async fn state(settings: &Settings) -> anyhow::Result<AppState> {
    let url = settings.database.url.clone();
    let options = settings.database.pool_options();
    let wanted_sync = options.connection.sqlite_synchronous;
    let store = tokio::task::spawn_blocking(move || DieselStore::open(&url, &options)).await??;
    if let Some((journal, busy, fk, sync)) = store.sqlite_settings().await? {
        anyhow::ensure!(
            journal.eq_ignore_ascii_case("wal") && busy >= 1000 && fk == 1,
            "sqlite settings were not applied (journal_mode={journal}, busy_timeout={busy}, foreign_keys={fk})"
        );
        anyhow::ensure!(
            sync == wanted_sync.pragma_value(),
            "database.sqlite_synchronous = {} was not applied: PRAGMA synchronous reads {sync}, not {}",
            wanted_sync.as_str(),
            wanted_sync.pragma_value()
        );
    }
    let store = Arc::new(store);
    let gateway = dialects::REGISTRY
        .key_prefixes()
        .fold(Gateway::new(store.clone()), |g, (surface, prefix)| {
            g.with_key_prefix(surface, prefix)
        });
    let secret = if settings.auth.jwt_secret.is_empty() {
        gateway
            .shared_secret(JWT_SECRET_NAME, || random_token(32))
            .await?
    } else {
        settings.auth.jwt_secret.clone()
    };
    let admin_token = admin_token(settings, &gateway).await?;
    let emulator = Emulator::new(
        &settings.emulator,
        &settings.mail.from,
        settings.server.body_limit_bytes,
    )?;
    let relay = (!settings.mail.smtp_url.is_empty())
        .then(|| {
            crate::mail::SmtpRelay::new(
                &settings.mail.smtp_url,
                &settings.mail.from,
                std::time::Duration::from_millis(settings.mail.smtp_timeout_ms),
            )
        })
        .transpose()?;
    let gateway = gateway.with_mailer(std::sync::Arc::new(crate::mail::Postman::new(
        emulator.outbox.clone(),
        relay,
    )));
    let (webhooks, webhook_queue) =
        crate::webhooks::Webhooks::new(&settings.webhooks, secret.as_bytes());
    let gateway = gateway.with_events(webhooks.clone());
    webhooks.refresh(&gateway).await?;
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
        admin_token,
        metrics_token: settings.metrics.token.clone(),
        faults: Faults::default(),
        emulator,
        registry: dialects::REGISTRY,
        public_base_url: public_base_url(settings, None)?,
        device: settings.auth.device_login(),
        sign_in_failures: Data::new(crate::device_page::FailureLimit::default()),
        webhooks,
        webhook_queue: Arc::new(std::sync::Mutex::new(Some(webhook_queue))),
    })
}

/// The admin token in effect: empty when the admin API is disabled, the configured one, or the
/// one generated on first start and kept in the database (so every instance agrees).
pub async fn admin_token(settings: &Settings, gateway: &Gateway) -> anyhow::Result<String> {
    Ok(if !settings.admin.enabled {
        String::new()
    } else if settings.admin.token.is_empty() {
        gateway
            .shared_secret(ADMIN_TOKEN_NAME, || random_token(GENERATED_TOKEN_BYTES))
            .await?
    } else {
        settings.admin.token.clone()
    })
}

/// `GET /metrics`: open when `metrics.token` is empty, else `Authorization: Bearer <token>`.
async fn metrics(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let expected = state.metrics_token.as_str();
    if !expected.is_empty()
        && !gateway_http::auth::bearer(&req).is_some_and(|given| constant_time_eq(given, expected))
    {
        return HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer realm=\"metrics\""))
            .json(
                json!({"error": {"kind": "unauthenticated", "message": "metrics token required"}}),
            );
    }
    emulator::handlers::metrics(state).await
}

/// How the background task purges old sessions.
#[derive(Debug, Clone, Copy)]
pub struct SessionPurge {
    /// Time between runs.
    pub interval: Duration,
    /// Expired or revoked sessions are kept this long.
    pub retention: Duration,
    /// Most rows per statement.
    pub batch: u32,
}

impl SessionPurge {
    /// From `[auth]`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            interval: Duration::from_secs(settings.auth.session_purge_interval_secs.max(1)),
            retention: Duration::from_secs(settings.auth.session_retention_secs),
            batch: settings.auth.session_purge_batch.max(1),
        }
    }

    /// One run: deletes sessions expired or revoked more than `retention` ago, `batch` rows per
    /// statement, until a statement deletes fewer or [`MAX_PURGE_BATCHES_PER_RUN`] ran; returns
    /// how many went.
    pub async fn run_once(&self, store: &DieselStore) -> Result<usize, gateway_core::StoreError> {
        let retention = chrono::Duration::from_std(self.retention)
            .unwrap_or_else(|_| chrono::Duration::days(36500));
        let cutoff = chrono::Utc::now() - retention;
        let mut total = 0;
        for _ in 0..MAX_PURGE_BATCHES_PER_RUN {
            let n = store.purge_sessions(cutoff, i64::from(self.batch)).await?;
            total += n;
            if n < usize::try_from(self.batch).unwrap_or(usize::MAX) {
                break;
            }
        }
        // Expired one-time codes (at most a few per user: `codes::LIVE_CODES_PER_USER`).
        gateway_core::CodeStore::purge_codes(store, chrono::Utc::now()).await?;
        // Expired device authorizations (bounded by `device::DEFAULT_MAX_PENDING` while live).
        gateway_core::DeviceStore::purge_devices(store, chrono::Utc::now()).await?;
        Ok(total)
    }

    /// Runs [`Self::run_once`] every `interval` (the first run one interval after the start),
    /// forever; failures are logged and the next run tries again.
    pub async fn run_forever(self, store: Arc<DieselStore>) {
        let start = tokio::time::Instant::now() + self.interval;
        let mut ticks = tokio::time::interval_at(start, self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.run_once(&store).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "purged old sessions"),
                Err(e) => tracing::warn!(error = %e, "session purge failed; retrying next run"),
            }
        }
    }
}

/// Logs what a pooled connection reads back (SQLite durability, PostgreSQL statement timeout):
/// the server logs it at start; CLI commands stay quiet (their stdout is data).
async fn log_database_settings(store: &DieselStore) -> anyhow::Result<()> {
    if let Some((journal, _, _, sync)) = store.sqlite_settings().await? {
        tracing::info!(journal_mode = %journal, synchronous = sync, "sqlite durability");
    }
    if let Some(pg) = store.postgres_settings().await? {
        tracing::info!(statement_timeout = %pg.statement_timeout, "postgres session settings");
    }
    Ok(())
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

async fn default_service(req: HttpRequest, registry: Data<Registry>) -> HttpResponse {
    registry.not_found(&req).unwrap_or_else(|| {
        HttpResponse::NotFound()
            .json(json!({"error": {"kind": "not_found", "message": "no route matches this path"}}))
    })
}

/// Mounts everything on an app: health, metrics, console, admin, dialects, fallback.
pub fn configure_app(cfg: &mut web::ServiceConfig, state: &AppState) {
    if let Some(url) = &state.public_base_url {
        cfg.app_data(Data::new(url.clone()));
    }
    cfg.app_data(Data::new(state.gateway.clone()))
        .app_data(Data::new(state.tokens.clone()))
        .app_data(Data::new(state.limits))
        .app_data(Data::new(state.device))
        .app_data(Data::new(state.faults.clone()))
        .app_data(Data::new(gateway_http::admin::AdminToken(
            state.admin_token.clone(),
        )))
        .app_data(Data::new(state.registry))
        .app_data(Data::new(state.emulator.clone()))
        .app_data(Data::new(state.webhooks.clone()))
        .app_data(Data::new(state.clone()))
        // The dialects first: actix tries an app's services in order, so every service mounted
        // before them costs each dialect request a match attempt (about 140 instructions each,
        // `make bench-instructions`); the gateway's own routes are rarer and share no prefix
        // with a dialect's.
        .configure(|cfg| dialects::configure(cfg, state.registry))
        .configure(|cfg| crate::device_page::configure(cfg, state.sign_in_failures.clone()))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics))
        .configure(emulator::console::configure)
        .configure(|cfg| admin::configure(cfg, state.registry))
        .default_service(web::to(default_service));
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    host: String,
    server: Server,
    state: AppState,
    purge: SessionPurge,
    webhooks: crate::settings::WebhookSettings,
}

impl Application {
    /// Opens the database, loads `emulator.fixtures` when set, binds `host:port` (port 0 = any)
    /// and builds the server.
    /// Refuses (before opening anything) a listener that is not loopback with a short admin or
    /// metrics token ([`Settings::check_listener`]).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        settings.check_listener()?;
        let state = state(settings).await?;
        log_database_settings(&state.store).await?;
        if !settings.emulator.fixtures.is_empty() {
            fixtures::load_file(&state, std::path::Path::new(&settings.emulator.fixtures)).await?;
        }
        Self::build_with_state(settings, state)
    }

    /// Binds and builds the server on an existing state.
    pub fn build_with_state(settings: &Settings, mut state: AppState) -> anyhow::Result<Self> {
        settings.check_listener()?;
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        let local = listener.local_addr()?;
        let port = local.port();
        if state.public_base_url.is_none() {
            state.public_base_url = public_base_url(settings, Some(port))?;
        }
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
            purge: SessionPurge::from_settings(settings),
            webhooks: settings.webhooks.clone(),
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

    /// Runs until stopped (SIGINT/SIGTERM stop it gracefully), with the session purge and the
    /// webhook sender running in the background meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purge = tokio::spawn(self.purge.run_forever(self.state.store.clone()));
        let queue = self
            .state
            .webhook_queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let sender = match queue {
            Some(queue) => Some(tokio::spawn(
                crate::webhooks::Sender::new(
                    queue,
                    self.state.webhooks.clone(),
                    self.state.gateway.clone(),
                    self.state.registry,
                    self.state.emulator.journal.clone(),
                    &self.webhooks,
                )
                .map_err(std::io::Error::other)?
                .run(),
            )),
            None => None,
        };
        let result = self.server.await;
        purge.abort();
        if let Some(sender) = sender {
            sender.abort();
        }
        result
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
