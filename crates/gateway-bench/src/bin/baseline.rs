//! `bench-baseline`: the framework ceiling of `make bench`. Plain actix-web (same version and
//! features as the gateway) answering every request with one fixed JSON body of a given size, the
//! size of a current-user response; no auth, no database, no middleware.
//!
//! `bench-baseline --port 0 --body-bytes 760` prints `listening on http://127.0.0.1:PORT` once the
//! socket is bound, then serves until SIGINT/SIGTERM. Workers: one per core of the CPU affinity mask
//! (actix's default), as for the gateway.
//!
//! With `--database-url`, it is the floor of a database-backed request instead: it opens the
//! database as the gateway does (`DieselStore::open`, same pool and execution paths) and creates
//! one user; a GET answers that user read through `Gateway::user` and rendered as JSON (the common
//! profile fields), any other method takes the first string of its JSON body as the new display
//! name, writes it through `Gateway::update_user` and renders the result. Still no auth, no
//! logging, no middleware: no dialect can answer its GET or one-field write for less.
//! `--user-cache-entries 0` switches the store's cache off (every read is a miss: the floor of a
//! cache miss); `--session-check` opens a session for the user and makes every request check it
//! first as the dialects do for a session's access token (`Gateway::session_is_active`, issue
//! 15's revocation check), so the difference to the plain floor is that check's cost.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, http::header::ContentType, web};
use anyhow::Context as _;
use clap::Parser;
use gateway_core::{Gateway, NewUser, Surface, User, UserId, UserPatch};
use gateway_storage::{DieselStore, PoolOptions};
use serde_json::json;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "bench-baseline",
    about = "Fixed-JSON actix-web server: the framework ceiling"
)]
struct Args {
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Size of the JSON body in bytes (smaller sizes give the 80-byte skeleton).
    #[arg(long, default_value_t = 760)]
    body_bytes: usize,
    /// Read a user from this database (`sqlite://PATH` or `postgres://...`, migrated if new) on
    /// every request instead of answering a fixed body.
    #[arg(long)]
    database_url: Option<String>,
    /// With `--database-url`: the store's cache bound (`database.user_cache_entries`; 0 = off).
    #[arg(long, default_value_t = gateway_storage::CacheLimits::default().entries)]
    user_cache_entries: usize,
    /// With `--database-url`: check a session of the user before every request.
    #[arg(long)]
    session_check: bool,
}

/// The profile fields every dialect shows, as JSON.
fn render(user: &User) -> serde_json::Value {
    json!({
        "id": user.id.to_string(),
        "username": user.identity.username,
        "email": user.identity.email,
        "email_verified": user.identity.email_verified,
        "display_name": user.profile.display_name,
        "first_name": user.profile.first_name,
        "last_name": user.profile.last_name,
        "locale": user.profile.locale,
        "timezone": user.profile.timezone,
        "is_active": user.account.is_active,
        "created_at": user.timestamps.created_at,
        "updated_at": user.timestamps.updated_at,
    })
}

/// One request of the floor: read (GET) or write the display name (other methods), after
/// checking `session` when there is one.
async fn floor_request(
    gateway: &Gateway,
    id: UserId,
    session: Option<uuid::Uuid>,
    method: &actix_web::http::Method,
    body: &[u8],
) -> Result<User, String> {
    if let Some(session) = session
        && !gateway
            .session_is_active(session)
            .await
            .map_err(|e| e.to_string())?
    {
        return Err("the session ended".into());
    }
    if method == actix_web::http::Method::GET {
        return gateway.user(id).await.map_err(|e| e.to_string());
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let name = value
        .as_object()
        .and_then(|o| o.values().find_map(|v| v.as_str()))
        .ok_or("the body has no string field")?;
    let patch = UserPatch {
        display_name: Some(Some(name.to_owned())),
        ..UserPatch::default()
    };
    gateway
        .update_user(id, patch)
        .await
        .map(|outcome| outcome.value)
        .map_err(|e| e.to_string())
}

/// The database floor: one user read, or written and read back, and rendered per request.
async fn serve_reads(args: &Args, url: &str) -> anyhow::Result<()> {
    let mut options = PoolOptions::default();
    options.user_cache.entries = args.user_cache_entries;
    let store = DieselStore::open(url, &options).with_context(|| format!("opening {url}"))?;
    let gateway = Gateway::new(Arc::new(store));
    let mut new = NewUser::regular(format!("floor_{}", std::process::id()));
    new.fields.email = Some(Some(format!("floor{}@example.com", std::process::id())));
    let id: UserId = gateway.create_user(new).await?.value.id;
    let session = if args.session_check {
        let opened = gateway
            .open_session(id, Surface::Me, chrono::Duration::hours(2))
            .await?;
        Some(opened.session.id)
    } else {
        None
    };
    let gateway = web::Data::new(gateway);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(gateway.clone())
            .default_service(web::to(
                move |gateway: web::Data<Gateway>,
                      req: actix_web::HttpRequest,
                      body: web::Bytes| async move {
                    match floor_request(&gateway, id, session, req.method(), &body).await {
                        Ok(user) => HttpResponse::Ok().json(render(&user)),
                        Err(e) => HttpResponse::BadRequest().body(e),
                    }
                },
            ))
    })
    .listen(bind(args)?)?;
    server.run().await?;
    Ok(())
}

/// Binds the listening socket and says where (the kernel queues connections from then on).
fn bind(args: &Args) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind((args.host.as_str(), args.port))?;
    println!("listening on http://{}", listener.local_addr()?);
    Ok(listener)
}

/// A JSON object of exactly `size` bytes (at least the bare skeleton): a user-like head padded
/// with a string field.
fn body_of(size: usize) -> String {
    let head = r#"{"id":"0b7c2d6e-1f3a-4c5d-8e9f-a0b1c2d3e4f5","username":"bench","padding":""#;
    let tail = r#""}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(url) = &args.database_url {
        return serve_reads(&args, url).await;
    }
    let body = web::Bytes::from(body_of(args.body_bytes));
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .insert_header(ContentType::json())
                    .body(body)
            }
        }))
    })
    .listen(bind(&args)?)?;
    server.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::body_of;

    #[test]
    fn the_body_is_json_of_the_requested_size() {
        for size in [32, 378, 760, 2048] {
            let body = body_of(size);
            assert_eq!(body.len(), size.max(body_of(0).len()));
            let parsed: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
            assert_eq!(parsed["username"], "bench");
        }
    }
}
