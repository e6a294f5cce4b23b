//! A webhook receiver for tests: an actix server on a free loopback port that records every
//! request it gets (headers and body) and answers each with the next status of a script (then
//! 204), so a test can make deliveries fail and watch them retried.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its headers, names in lower case (the last value of a repeated one).
    pub headers: BTreeMap<String, String>,
    /// Its body, as text.
    pub body: String,
}

#[derive(Default)]
struct Inbox {
    received: Vec<Delivery>,
    /// Statuses to answer, in order; 204 once empty.
    script: VecDeque<u16>,
}

/// A running receiver; stopped on drop.
pub struct HookReceiver {
    inbox: Arc<Mutex<Inbox>>,
    handle: ServerHandle,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    inbox: web::Data<Arc<Mutex<Inbox>>>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut inbox = inbox
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    inbox.received.push(Delivery {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = inbox.script.pop_front().unwrap_or(204);
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).body(format!("answered {}", status.as_u16()))
}

impl HookReceiver {
    /// Starts one answering `script` (then 204 to everything).
    pub fn start(script: &[u16]) -> anyhow::Result<Self> {
        let inbox = Arc::new(Mutex::new(Inbox {
            received: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let data = web::Data::new(Arc::clone(&inbox));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            inbox,
            handle,
            port,
        })
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// What it got so far.
    pub fn received(&self) -> Vec<Delivery> {
        self.inbox
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .received
            .clone()
    }

    /// Waits (at most 20 s) until it got at least `n` requests; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for HookReceiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
