//! Request boundaries against the real binary, on every mounted write route: oversized bodies
//! (with a length and streamed without one), 10,000-level JSON nesting in metadata, huge strings,
//! invalid UTF-8, NUL characters, lone surrogates, huge numbers, wrong content types, and slow
//! clients trickling a head or a body for longer than `server.client_request_timeout_ms`. Each
//! gets a clear 4xx in the surface's own envelope (never a 5xx, never internal text); slow
//! clients are cut off in time; the resident memory of the process stays bounded and the server
//! keeps serving.

use std::time::{Duration, Instant};

use gateway_tests::TestDb;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    Answer, Binary, Creds, Gw, Kind, creds_for, knob, leak, ready_surfaces, record_figures, send,
};

/// `server.client_request_timeout_ms` of the binary under test.
const CLIENT_TIMEOUT_MS: u64 = 1000;

/// The metadata-like field of each surface (free JSON where the surface has one).
fn meta_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Platform => "username",
        Kind::UsersMe => "metadata",
        Kind::AccountProfile => "FirstName",
        Kind::Me => "bio",
        Kind::Users => "client_metadata",
    }
}

/// A string field with a length limit, or free text.
fn text_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Platform => "username",
        Kind::UsersMe => "name",
        Kind::AccountProfile => "FirstName",
        Kind::Me => "bio",
        Kind::Users => "display_name",
    }
}

fn raw(
    gw: &Gw,
    c: &Creds,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    let (method, path) = c.kind.write_route();
    let mut rb = c.kind.authed(gw.req(method, path), c).body(body);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    rb
}

/// Whether `a` is an error in the surface's own envelope.
fn envelope(kind: Kind, a: &Answer) -> Result<(), String> {
    let b = a.json();
    let ok = match kind {
        Kind::Platform => b["code"] == a.status && b["type"].is_string() && b["detail"].is_string(),
        Kind::UsersMe => b["detail"]
            .as_array()
            .is_some_and(|d| d.len() == 2 && d.iter().all(|x| x.is_string())),
        Kind::AccountProfile => {
            (b["Success"] == false && b["Errors"].as_array().is_some_and(|e| !e.is_empty()))
                || (b["status"] == a.status && b["title"].is_string())
        }
        Kind::Me => b["type"].is_string() && b["code"].is_string() && b["message"].is_string(),
        Kind::Users => {
            (b["code"].is_string() && !a.header("x-stack-known-error").is_empty())
                || a.header("content-type").starts_with("text/plain")
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{}: not its error envelope: {}",
            kind.name(),
            a.describe()
        ))
    }
}

struct Tally {
    cases: usize,
    failures: Vec<String>,
}

/// Sends `rb`; a transport failure (the server dropped the connection without an answer) is a
/// failure of the case.
async fn ask(
    tally: &mut Tally,
    kind: Kind,
    label: &str,
    rb: reqwest::RequestBuilder,
) -> Option<Answer> {
    match send(rb).await {
        Ok(a) => Some(a),
        Err(e) => {
            tally.cases += 1;
            tally
                .failures
                .push(format!("{} {label}: no answer: {e:#}", kind.name()));
            None
        }
    }
}

impl Tally {
    fn expect(&mut self, label: &str, kind: Kind, a: &Answer, statuses: &[u16], secrets: &[&str]) {
        self.cases += 1;
        if !statuses.contains(&a.status) {
            self.failures.push(format!(
                "{} {label}: want one of {statuses:?}, got {}",
                kind.name(),
                a.describe()
            ));
            return;
        }
        if a.status >= 400
            && let Err(e) = envelope(kind, a)
        {
            self.failures.push(format!("{label}: {e}"));
        }
        if let Some(l) = leak(&a.text, secrets) {
            self.failures
                .push(format!("{} {label}: {l}: {}", kind.name(), a.describe()));
        }
    }
}

/// Statuses a surface may use for "this body is not acceptable" (per its spec).
fn bad_body(kind: Kind) -> &'static [u16] {
    match kind {
        Kind::Platform => &[400, 422],
        Kind::UsersMe => &[422],
        Kind::AccountProfile => &[400],
        Kind::Me => &[400, 422],
        Kind::Users => &[400],
    }
}

fn too_large(kind: Kind) -> &'static [u16] {
    match kind {
        Kind::Users => &[400, 413],
        _ => &[413],
    }
}

fn wrong_type(kind: Kind) -> &'static [u16] {
    match kind {
        Kind::Platform => &[400],
        Kind::UsersMe => &[422],
        Kind::AccountProfile | Kind::Me => &[415],
        Kind::Users => &[400],
    }
}

async fn barrage(gw: &Gw, c: &Creds, tally: &mut Tally) {
    let kind = c.kind;
    let secrets = c.secrets();
    let meta = meta_field(kind);
    let text = text_field(kind);
    let json_ct = Some("application/json");

    // 1 MiB with a Content-Length, and 8 MiB streamed without one (chunked): the limit applies
    // before and while reading. Raw TCP, so an early answer is read even when the server stops
    // reading the body.
    for (label, length, total) in [
        ("1 MiB body", true, 1 << 20),
        ("8 MiB chunked body", false, 8 << 20),
    ] {
        let (status, answer) = upload(gw, c, length, total).await;
        tally.cases += 1;
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        if !too_large(kind).contains(&status) {
            tally.failures.push(format!(
                "{} {label}: want {:?}, got {status}: {answer}",
                kind.name(),
                too_large(kind)
            ));
        } else if let Some(l) = leak(body, &secrets) {
            tally.failures.push(format!("{} {label}: {l}", kind.name()));
        } else if kind != Kind::Users && serde_json::from_str::<serde_json::Value>(body).is_err() {
            tally.failures.push(format!(
                "{} {label}: the answer is not its JSON envelope: {answer}",
                kind.name()
            ));
        }
    }

    for (label, open, close) in [
        ("10,000 nested arrays", "[", "]"),
        ("10,000 nested objects", "{\"a\":", "}"),
    ] {
        let body = format!(
            "{{\"{meta}\":{}1{}}}",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        if let Some(a) = ask(tally, kind, label, raw(gw, c, json_ct, body)).await {
            tally.expect(label, kind, &a, bad_body(kind), &secrets);
        }
    }
    // Within every parser's depth limit: stored or refused, never a failure.
    let body = format!("{{\"{meta}\":{}1{}}}", "{\"a\":".repeat(60), "}".repeat(60));
    let ok: Vec<u16> = [200].iter().chain(bad_body(kind)).copied().collect();
    if let Some(a) = ask(tally, kind, "60 nested objects", raw(gw, c, json_ct, body)).await {
        tally.expect("60 nested objects", kind, &a, &ok, &secrets);
    }

    let huge = json!({ text: "h".repeat(60_000) }).to_string();
    if let Some(a) = ask(
        tally,
        kind,
        "60,000-character string",
        raw(gw, c, json_ct, huge),
    )
    .await
    {
        tally.expect("60,000-character string", kind, &a, &ok, &secrets);
    }

    let mut invalid = format!("{{\"{text}\":\"").into_bytes();
    invalid.extend([0xff, 0xfe, 0xc3, 0x28]);
    invalid.extend(b"\"}");
    if let Some(a) = ask(tally, kind, "invalid UTF-8", raw(gw, c, json_ct, invalid)).await {
        tally.expect("invalid UTF-8", kind, &a, bad_body(kind), &secrets);
    }

    for (label, body) in [
        ("NUL character", json!({ text: "a\u{0}b" }).to_string()),
        (
            "NUL character in metadata",
            json!({ meta: {"k\u{0}": "a\u{0}b"} }).to_string(),
        ),
        ("lone surrogate", format!("{{\"{text}\":\"\\ud800\"}}")),
        ("huge number", format!("{{\"{text}\":1e400}}")),
        (
            "duplicate keys",
            format!("{{\"{text}\":\"a\",\"{text}\":\"b\"}}"),
        ),
        ("top-level array", "[1,2,3]".to_owned()),
        ("empty body", String::new()),
    ] {
        if let Some(a) = ask(tally, kind, label, raw(gw, c, json_ct, body)).await {
            tally.expect(label, kind, &a, &ok, &secrets);
        }
    }
    for ct in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
    ] {
        let label = format!("content type {ct}");
        if let Some(a) = ask(
            tally,
            kind,
            &label,
            raw(gw, c, Some(ct), json!({ text: "ct" }).to_string()),
        )
        .await
        {
            tally.expect(&label, kind, &a, wrong_type(kind), &secrets);
        }
    }
}

/// The request head of a write of `c`'s surface, with its credential, without the final CRLF.
fn head(gw: &Gw, c: &Creds) -> String {
    let addr = gw.base.trim_start_matches("http://");
    let (method, path) = c.kind.write_route();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n");
    match (&c.project, c.kind) {
        (Some(p), Kind::Users) => head.push_str(&format!(
            "x-stack-project-id: {}\r\nx-stack-access-type: client\r\nx-stack-publishable-client-key: {}\r\nx-stack-access-token: {}\r\n",
            p.id, p.pck, c.token
        )),
        _ => head.push_str(&format!("Authorization: Bearer {}\r\n", c.token)),
    }
    head
}

/// Sends `total` bytes of body, with a Content-Length when `length`, else chunked; returns the
/// status and the whole answer (status 0 when there was none).
async fn upload(gw: &Gw, c: &Creds, length: bool, total: usize) -> (u16, String) {
    let addr = gw.base.trim_start_matches("http://").to_owned();
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
        return (0, "connect failed".into());
    };
    let mut first = head(gw, c);
    if length {
        first.push_str(&format!(
            "Content-Length: {total}\r\nConnection: close\r\n\r\n"
        ));
    } else {
        first.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    }
    if stream.write_all(first.as_bytes()).await.is_err() {
        return (0, "closed at once".into());
    }
    if length {
        let mut body = format!("{{\"{}\":\"", text_field(c.kind)).into_bytes();
        body.resize(total - 2, b'x');
        body.extend(b"\"}");
        let _ = stream.write_all(&body).await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
        let text = String::from_utf8_lossy(&buf).into_owned();
        return (
            text.split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            text,
        );
    }
    let chunk = 64 * 1024;
    let mut sent = 0;
    let mut data = format!("{chunk:x}\r\n").into_bytes();
    data.extend(b"{\"a\":\"");
    data.extend(vec![b'y'; chunk - 6]);
    data.extend(b"\r\n");
    let filler = {
        let mut d = format!("{chunk:x}\r\n").into_bytes();
        d.extend(vec![b'y'; chunk]);
        d.extend(b"\r\n");
        d
    };
    while sent < total {
        let piece = if sent == 0 { &data } else { &filler };
        if stream.write_all(piece).await.is_err() {
            break; // the server answered and closed: read what it said
        }
        sent += chunk;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Sends a request head (and, with `body_len`, trickles a body) one byte every `every`; returns
/// how long the server let it go on before answering or closing, and what it answered.
async fn trickle(
    gw: &Gw,
    c: &Creds,
    body: bool,
    every: Duration,
    cap: Duration,
) -> (Duration, String, String) {
    let addr = gw.base.trim_start_matches("http://").to_owned();
    let mut head = head(gw, c);
    head.push_str("Content-Length: 400\r\n\r\n");
    let started = Instant::now();
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
        return (Duration::ZERO, "connect failed".into(), String::new());
    };
    let (to_send, rest): (Vec<u8>, Vec<u8>) = if body {
        (head.into_bytes(), vec![b' '; 400])
    } else {
        (Vec::new(), head.into_bytes())
    };
    if stream.write_all(&to_send).await.is_err() {
        return (started.elapsed(), "closed".into(), String::new());
    }
    let mut buf = vec![0u8; 4096];
    for byte in rest {
        if started.elapsed() > cap {
            break;
        }
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        if let Ok(Ok(n)) = tokio::time::timeout(every, stream.read(&mut buf)).await {
            let took = started.elapsed();
            if n == 0 {
                return (took, "closed".into(), String::new());
            }
            let mut all = buf[..n].to_vec();
            let _ =
                tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut all)).await;
            let text = String::from_utf8_lossy(&all).into_owned();
            return (
                took,
                text.lines().next().unwrap_or_default().to_owned(),
                text,
            );
        }
    }
    (started.elapsed(), "still open".into(), String::new())
}

/// A raw HTTP/1.1 answer (with a Content-Length body) as an [`Answer`].
fn parse_raw(text: &str) -> Answer {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(k, v);
        }
    }
    Answer {
        status,
        headers,
        text: body.to_owned(),
    }
}

async fn boundaries_on(db: &TestDb) -> serde_json::Value {
    let backend = db.backend();
    let bin = Binary::start(
        &db.url(),
        &[(
            "GATEWAY__SERVER__CLIENT_REQUEST_TIMEOUT_MS",
            CLIENT_TIMEOUT_MS.to_string(),
        )],
    )
    .await
    .expect("start the gateway binary");
    let gw = bin.gw.clone();
    let (surfaces, project) = ready_surfaces(&gw, &format!("boundaries {backend}"))
        .await
        .expect("surfaces");
    let user = gw.create_user("bounds").await.expect("user");
    let creds = creds_for(&gw, &surfaces, &user, project.as_ref())
        .await
        .expect("creds");
    let mut tally = Tally {
        cases: 0,
        failures: Vec::new(),
    };
    // Warm up (allocator, pools, first requests), then take the baseline.
    for c in &creds {
        barrage(
            &gw,
            c,
            &mut Tally {
                cases: 0,
                failures: Vec::new(),
            },
        )
        .await;
    }
    let rss_before = bin.rss_kib().expect("rss");
    let rounds = knob("RELIABILITY_BOUNDARY_ROUNDS", 3, 30);
    for _ in 0..rounds {
        for c in &creds {
            barrage(&gw, c, &mut tally).await;
        }
        // Many oversized uploads at once.
        let mut parallel = Vec::new();
        for c in creds.iter().cycle().take(16.min(creds.len() * 16)) {
            let rb = raw(
                &gw,
                c,
                Some("application/json"),
                format!("{{\"a\":\"{}\"}}", "z".repeat(4 << 20)),
            );
            parallel.push(tokio::spawn(send(rb)));
        }
        for p in parallel {
            let _ = p.await;
        }
    }
    let rss_after = bin.rss_kib().expect("rss");

    // Slow clients: a body and a head trickled for longer than the client timeout are cut off.
    let mut slow = Vec::new();
    let cap = Duration::from_millis(CLIENT_TIMEOUT_MS * 10);
    let limit = Duration::from_millis(CLIENT_TIMEOUT_MS + 3000);
    for c in &creds {
        for body in [false, true] {
            let what = if body { "body" } else { "head" };
            let (took, answer, whole) =
                trickle(&gw, c, body, Duration::from_millis(200), cap).await;
            tally.cases += 1;
            // A trickled body is answered by the dialect (its envelope); a trickled head by the
            // HTTP layer before any route is known (408).
            if body && answer.starts_with("HTTP/1.1 4") {
                let parsed = parse_raw(&whole);
                if let Err(e) = envelope(c.kind, &parsed) {
                    tally.failures.push(format!("slow body: {e}"));
                }
            }
            if took > limit || answer == "still open" {
                tally.failures.push(format!(
                    "{}: a slow client trickling its {what} was not cut off after {took:?} (client timeout {CLIENT_TIMEOUT_MS} ms): {answer}",
                    c.kind.name()
                ));
            } else if answer.starts_with("HTTP/1.1 5") {
                tally
                    .failures
                    .push(format!("{}: slow {what} answered {answer}", c.kind.name()));
            }
            slow.push(json!({"surface": c.kind.name(), "trickled": what, "cut_after_ms": took.as_millis(), "answer": answer}));
        }
    }
    // Many slow clients at once do not stop the others.
    let mut slowloris = Vec::new();
    for c in creds.iter().cycle().take(32.min(creds.len() * 32)) {
        let (gw, c) = (gw.clone(), c.clone());
        slowloris.push(tokio::spawn(async move {
            trickle(&gw, &c, true, Duration::from_millis(300), cap)
                .await
                .0
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let a = send(gw.req(Method::GET, "/healthz"))
        .await
        .expect("healthz during slow clients");
    assert_eq!(a.status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "healthz took {:?} while slow clients were connected",
        t.elapsed()
    );
    for s in slowloris {
        let _ = s.await;
    }
    for c in &creds {
        let a = send(c.kind.read(&gw, c))
            .await
            .expect("read after the barrage");
        assert_eq!(
            a.status,
            200,
            "{backend}: {} after the barrage: {}",
            c.kind.name(),
            a.describe()
        );
    }
    let growth_mib = rss_after.saturating_sub(rss_before) / 1024;
    let bound = knob("RELIABILITY_RSS_GROWTH_MIB", 96, 96);
    if growth_mib > bound {
        tally.failures.push(format!("{backend}: resident memory grew by {growth_mib} MiB over {rounds} rounds (bound {bound} MiB)"));
    }
    let mut bin = bin;
    assert!(bin.alive(), "{backend}: the gateway died");
    assert!(
        tally.failures.is_empty(),
        "{backend}: {} of {} boundary cases failed:\n{}",
        tally.failures.len(),
        tally.cases,
        tally.failures.join("\n")
    );
    json!({
        "backend": backend, "surfaces": creds.iter().map(|c| c.kind.name()).collect::<Vec<_>>(),
        "cases": tally.cases, "rounds": rounds, "rss_before_kib": rss_before, "rss_after_kib": rss_after,
        "slow_clients": slow,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_bodies_and_slow_clients_get_clear_errors_in_bounded_memory() {
    let mut figures = Vec::new();
    for db in TestDb::all() {
        figures.push(boundaries_on(&db).await);
    }
    record_figures("boundaries", &json!(figures));
}
