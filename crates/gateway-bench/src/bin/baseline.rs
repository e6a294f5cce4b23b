//! `bench-baseline`: the framework ceiling of `make bench`. Plain actix-web (same version and
//! features as the gateway) answering every request with one fixed JSON body of a given size, the
//! size of a current-user response; no auth, no database, no middleware.
//!
//! `bench-baseline --port 0 --body-bytes 760` prints `listening on http://127.0.0.1:PORT` once the
//! socket is bound, then serves until SIGINT/SIGTERM. Workers: one per core of the CPU affinity mask
//! (actix's default), as for the gateway.

use actix_web::{App, HttpResponse, HttpServer, http::header::ContentType, web};
use clap::Parser;

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
    .bind((args.host.as_str(), args.port))?;
    let address = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("not bound"))?;
    println!("listening on http://{address}");
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
