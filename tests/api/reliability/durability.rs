//! Durability: the real `gateway` binary under a write load (admin user creations plus field
//! writes through every registered dialect), killed with SIGKILL mid-load, restarted on the same
//! database with the same settings and address (as a deployment restarts; the tiered issuer is
//! derived from the listener): every acknowledged write is there (a created user exists; a field
//! holds its last acknowledged value or the value of the one write that was in flight at the
//! kill), and the credentials issued before the crash still work. SQLite and PostgreSQL;
//! `RELIABILITY_KILLS` crash cycles (1 bounded, 5 long).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use gateway_tests::TestDb;
use serde_json::json;

use super::{
    Binary, Creds, Field, Gw, Kind, creds_for, knob, ready_surfaces, record_figures, send,
};

#[derive(Default)]
struct Log {
    /// Users whose creation was acknowledged.
    created: Vec<String>,
    /// Per field: the last acknowledged value and the values sent after it (in flight at the kill).
    fields: Vec<(Field, Option<String>, Vec<String>)>,
    acked_writes: usize,
}

async fn load(
    gw: Gw,
    creds: Vec<Creds>,
    fields: Vec<Field>,
    cycle: usize,
    stop: Arc<AtomicBool>,
) -> Log {
    let mut tasks = Vec::new();
    // Two creators through the admin API.
    for t in 0..2 {
        let (gw, stop) = (gw.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut log = Log::default();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("dur{cycle}_{t}_{n}");
                n += 1;
                if let Ok(id) = gw.create_user(&name).await {
                    log.created.push(id);
                    log.acked_writes += 1;
                }
            }
            log
        }));
    }
    // One writer per field, so the last acknowledged value is well defined.
    for (i, field) in fields.into_iter().enumerate() {
        let (gw, stop) = (gw.clone(), stop.clone());
        let c = creds.iter().find(|c| c.kind == field.kind).cloned();
        tasks.push(tokio::spawn(async move {
            let mut log = Log::default();
            let Some(c) = c else { return log };
            let (mut last, mut pending) = (None, Vec::new());
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let value = match field.values {
                    Some(values) => values[(n + cycle) % values.len()].to_owned(),
                    None => format!("k{cycle}f{i}n{n}"),
                };
                n += 1;
                pending.push(value.clone());
                match send(field.kind.write(&gw, &c, &field, &value)).await {
                    Ok(a) if a.status / 100 == 2 => {
                        last = Some(value);
                        pending.clear();
                        log.acked_writes += 1;
                    }
                    Ok(a) if a.status < 500 => panic!("durability write refused: {}", a.describe()),
                    _ => {}
                }
            }
            log.fields.push((field, last, pending));
            log
        }));
    }
    let mut all = Log::default();
    for t in tasks {
        let l = t.await.expect("load task");
        all.created.extend(l.created);
        all.fields.extend(l.fields);
        all.acked_writes += l.acked_writes;
    }
    all
}

/// Starts the binary configured to listen on `port`, retrying while the port is not free (yet).
async fn start_on(url: &str, port: u16, tries: usize) -> anyhow::Result<Binary> {
    let settings = [("GATEWAY__SERVER__PORT", port.to_string())];
    let mut left = tries;
    loop {
        match Binary::start(url, &settings).await {
            Err(_) if left > 1 => {
                left -= 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            done => return done,
        }
    }
}

/// Starts the binary on a port that was free a moment ago, configured with that port (not 0), so
/// that a restart with the same settings is the same deployment: same configuration, same
/// address, the same issuer base for the tiered surface's tokens.
async fn start_fixed(url: &str) -> (Binary, u16) {
    let mut last = None;
    for _ in 0..10 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        match start_on(url, port, 1).await {
            Ok(bin) => return (bin, port),
            Err(e) => last = Some(e),
        }
    }
    panic!("start the gateway binary: {:#}", last.expect("an error"));
}

async fn crash_cycles(db: &TestDb) -> serde_json::Value {
    let url = db.url();
    let backend = db.backend();
    let kills = knob("RELIABILITY_KILLS", 1, 5) as usize;
    let load_ms = knob("RELIABILITY_DURABILITY_MS", 2500, 15_000);
    let (mut bin, port) = start_fixed(&url).await;
    let (surfaces, project) = ready_surfaces(&bin.gw, &format!("durability {backend}"))
        .await
        .expect("surfaces");
    let user = bin.gw.create_user("durable").await.expect("user");
    let creds = creds_for(&bin.gw, &surfaces, &user, project.as_ref())
        .await
        .expect("creds");
    let fields: Vec<Field> = surfaces.iter().flat_map(|s| s.kind.fields()).collect();
    let (mut created_total, mut acked_total, mut checked_total) = (0, 0, 0);
    for cycle in 0..kills {
        let stop = Arc::new(AtomicBool::new(false));
        let running = tokio::spawn(load(
            bin.gw.clone(),
            creds.clone(),
            fields.clone(),
            cycle,
            stop.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(load_ms)).await;
        // SIGKILL while the load is still running, then stop the clients.
        bin.kill9().await.expect("kill -9");
        stop.store(true, Ordering::Relaxed);
        let log = running.await.expect("load");
        assert!(
            log.acked_writes > 0,
            "{backend}: no write was acknowledged before the kill"
        );

        bin = start_on(&url, port, 50)
            .await
            .unwrap_or_else(|e| panic!("restart the gateway binary on port {port}: {e:#}"));
        let gw = &bin.gw;
        let mut missing = Vec::new();
        for id in &log.created {
            if gw.user(id).await.expect("admin read").is_none() {
                missing.push(format!("acknowledged user {id} is gone"));
            }
        }
        for c in &creds {
            let a = send(c.kind.read(gw, c)).await.expect("read after restart");
            assert_eq!(
                a.status,
                200,
                "{backend}: {} credentials from before the crash: {}",
                c.kind.name(),
                a.describe()
            );
            let body = a.json();
            for (field, last, pending) in log.fields.iter().filter(|(f, _, _)| f.kind == c.kind) {
                let now = Kind::read_value(field, &body);
                let ok = match (&now, last) {
                    (Some(v), Some(l)) => v == l || pending.contains(v),
                    (Some(v), None) => pending.contains(v),
                    (None, None) => true,
                    (None, Some(_)) => false,
                };
                checked_total += 1;
                if !ok {
                    missing.push(format!(
                        "{}.{} holds {now:?}; last acknowledged {last:?}, in flight {pending:?}",
                        c.kind.name(),
                        field.name
                    ));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "{backend}, crash {cycle}: acknowledged writes lost:\n{}",
            missing.join("\n")
        );
        created_total += log.created.len();
        acked_total += log.acked_writes;
        checked_total += log.created.len();
        println!(
            "durability on {backend}, crash {cycle}: {} acknowledged writes ({} user creations) survived kill -9",
            log.acked_writes,
            log.created.len()
        );
    }
    json!({"backend": backend, "kills": kills, "acknowledged_writes": acked_total, "users_created": created_total, "checks": checked_total, "lost": 0})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_of_the_binary() {
    let mut figures = Vec::new();
    for db in TestDb::all() {
        figures.push(crash_cycles(&db).await);
    }
    record_figures("durability", &json!(figures));
}
