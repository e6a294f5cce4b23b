//! Database faults: PostgreSQL taken away under load (a TCP proxy between the gateway and the
//! shared server drops every connection and stops listening, as a stopped server does) and
//! brought back, `RELIABILITY_DB_OUTAGES` times (1 bounded, 10 long). While it is away every
//! surface answers in its own envelope with its 503-class error, never later than the configured
//! acquire timeout plus a margin, and `/readyz` says so; once it is back every surface recovers
//! without a restart.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

use gateway_tests::TestDb;
use reqwest::Method;
use serde_json::json;

use super::{
    Creds, Gw, Proxy, creds_for, knob, leak, pg_host_port, ready_surfaces, record_figures, send,
};

const UP: u8 = 0;
const DOWN: u8 = 1;
const RECOVERING: u8 = 2;

/// Acquire timeout configured for the test gateway.
const ACQUIRE_MS: u64 = 1000;
/// Slack on top of it (scheduling, the request itself) before a request counts as hanging.
const MARGIN_MS: u64 = 2500;

#[derive(Debug)]
struct Seen {
    phase: u8,
    label: String,
    status: u16,
    ms: u128,
    verdict: Result<(), String>,
}

async fn hit(gw: &Gw, c: &Creds, write: bool, n: usize) -> (String, Result<super::Answer, String>) {
    let kind = c.kind;
    let fields = kind.fields();
    let (label, rb) = if write && !fields.is_empty() {
        let f = fields[n % fields.len()];
        let value = match f.values {
            Some(v) => v[n % v.len()].to_owned(),
            None => format!("db{n}"),
        };
        (
            format!("{} write {}", kind.name(), f.name),
            kind.write(gw, c, &f, &value),
        )
    } else {
        (format!("{} read", kind.name()), kind.read(gw, c))
    };
    let res = tokio::time::timeout(
        Duration::from_millis(ACQUIRE_MS + MARGIN_MS + 5000),
        send(rb),
    )
    .await;
    match res {
        Ok(Ok(a)) => (label, Ok(a)),
        Ok(Err(e)) => (label, Err(e.to_string())),
        Err(_) => (label, Err("no answer (hung)".into())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outages_answer_503_class_in_each_envelope_and_recover() {
    let db = TestDb::postgres().expect(
        "the database fault test takes PostgreSQL away from the gateway: set \
         GATEWAY_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres; \
         `make postgres` starts one)",
    );
    let target = pg_host_port(&db.url()).expect("postgres host:port");
    let proxy = Proxy::start(&target, 0).await.expect("proxy");
    let mut settings = gateway_tests::test_settings(&db).expect("settings");
    settings.database.url = db
        .url()
        .replacen(&target, &format!("127.0.0.1:{}", proxy.port), 1);
    settings.database.acquire_timeout_ms = ACQUIRE_MS;
    let app = gateway_tests::spawn_with(db, settings)
        .await
        .expect("start gateway");
    let gw = Gw::of(&app);
    let (surfaces, project) = ready_surfaces(&gw, "db faults")
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let user = gw.create_user("db_faults").await.expect("user");
    let creds = creds_for(&gw, &surfaces, &user, project.as_ref())
        .await
        .expect("creds");
    assert!(!creds.is_empty(), "no surface to load during the outages");

    let outages = knob("RELIABILITY_DB_OUTAGES", 1, 10);
    let down_ms = knob("RELIABILITY_DB_DOWN_MS", 2000, 4000);
    let phase = Arc::new(AtomicU8::new(UP));
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let stop = Arc::new(AtomicU8::new(0));
    let workers = knob("RELIABILITY_DB_CLIENTS", 8, 16) as usize;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (gw, creds, phase, seen, stop) = (
            gw.clone(),
            creds.clone(),
            phase.clone(),
            seen.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = w;
            while stop.load(Ordering::Relaxed) == 0 {
                let c = &creds[n % creds.len()];
                let before = phase.load(Ordering::Relaxed);
                let started = Instant::now();
                let (label, res) = hit(&gw, c, n % 3 == 0, n).await;
                let ms = started.elapsed().as_millis();
                let after = phase.load(Ordering::Relaxed);
                let secrets = c.secrets();
                let (status, verdict) = match res {
                    Err(e) => (0, Err(format!("transport: {e}"))),
                    Ok(a) => {
                        let v = if a.status / 100 == 2 {
                            Ok(())
                        } else if a.status >= 500 || before != UP || after != UP {
                            // Anything but success must be the surface's own unavailable answer.
                            c.kind.unavailable(&a)
                        } else {
                            Err(format!(
                                "refused while the database was up: {}",
                                a.describe()
                            ))
                        };
                        let v = v.and_then(|()| leak(&a.text, &secrets).map_or(Ok(()), Err));
                        (a.status, v)
                    }
                };
                let phase_seen = if before == DOWN || after == DOWN {
                    DOWN
                } else {
                    before.max(after)
                };
                seen.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(Seen {
                        phase: phase_seen,
                        label,
                        status,
                        ms,
                        verdict,
                    });
                n += workers;
            }
        }));
    }

    let mut recoveries = Vec::new();
    let mut readyz_failures = Vec::new();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for cycle in 0..outages {
        proxy.cut();
        phase.store(DOWN, Ordering::Relaxed);
        let cut_at = Instant::now();
        // Readiness reports the outage, within the acquire timeout.
        let mut reported = false;
        while cut_at.elapsed() < Duration::from_millis(down_ms) {
            let t = Instant::now();
            let a = send(gw.req(Method::GET, "/readyz")).await.expect("readyz");
            if t.elapsed() > Duration::from_millis(ACQUIRE_MS + MARGIN_MS) {
                readyz_failures.push(format!("cycle {cycle}: /readyz took {:?}", t.elapsed()));
            }
            if a.status == 503 && a.json()["database"] == "unreachable" {
                reported = true;
            } else if a.status != 200 {
                readyz_failures.push(format!("cycle {cycle}: /readyz answered {}", a.describe()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if !reported {
            readyz_failures.push(format!("cycle {cycle}: /readyz never reported the outage"));
        }
        proxy.restore().await.expect("restore the proxy");
        phase.store(RECOVERING, Ordering::Relaxed);
        let back_at = Instant::now();
        // Every surface (and readiness) answers 200 again without a restart.
        let mut pending: Vec<&Creds> = creds.iter().collect();
        let mut ready = false;
        while back_at.elapsed() < Duration::from_secs(15) && (!pending.is_empty() || !ready) {
            ready = ready
                || send(gw.req(Method::GET, "/readyz"))
                    .await
                    .is_ok_and(|a| a.status == 200);
            let mut still = Vec::new();
            for c in pending {
                if !send(c.kind.read(&gw, c))
                    .await
                    .is_ok_and(|a| a.status == 200)
                {
                    still.push(c);
                }
            }
            pending = still;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "cycle {cycle}: /readyz did not recover within 15 s");
        assert!(
            pending.is_empty(),
            "cycle {cycle}: surfaces did not recover within 15 s: {:?}",
            pending.iter().map(|c| c.kind.name()).collect::<Vec<_>>()
        );
        recoveries.push(back_at.elapsed().as_millis());
        phase.store(UP, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    stop.store(1, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("load task");
    }
    let seen = std::mem::take(
        &mut *seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let limit = u128::from(ACQUIRE_MS + MARGIN_MS);
    let mut failures: Vec<String> = seen
        .iter()
        .filter_map(|s| match &s.verdict {
            Err(e) => Some(format!("{} (phase {}): {e}", s.label, s.phase)),
            Ok(()) if s.ms > limit => Some(format!(
                "{} (phase {}): answered after {} ms (limit {limit})",
                s.label, s.phase, s.ms
            )),
            Ok(()) => None,
        })
        .collect();
    failures.extend(readyz_failures);
    let during: Vec<_> = seen.iter().filter(|s| s.phase == DOWN).collect();
    let unavailable = during.iter().filter(|s| s.status >= 500).count();
    assert!(
        unavailable > 0,
        "no request met the outage: the test did not test anything"
    );
    let figures = json!({
        "surfaces": creds.iter().map(|c| c.kind.name()).collect::<Vec<_>>(),
        "outages": outages, "down_ms": down_ms, "requests": seen.len(),
        "answered_unavailable": unavailable,
        "slowest_ms": seen.iter().map(|s| s.ms).max().unwrap_or(0),
        "recovery_ms": recoveries, "failed": failures.len(),
    });
    record_figures("db_faults", &figures);
    failures.truncate(60);
    assert!(
        failures.is_empty(),
        "database faults:\n{}",
        failures.join("\n")
    );
}
