//! No lost updates over HTTP: `RELIABILITY_CLIENTS` (>= 32) clients patch disjoint fields of one
//! user concurrently through every mounted dialect's write endpoint, on SQLite and on PostgreSQL
//! with two gateway instances on one database (clients alternate between them). At the end every
//! field holds its last acknowledged value (checked as a linearizable register: the value of an
//! acknowledged write that no later-started acknowledged write superseded), both instances read
//! the same once the user caches' staleness bound has passed, and the user's version grew by exactly the number of acknowledged writes.
//!
//! Uniqueness races: two users set the same username or email at the same moment through every
//! pair of surfaces that can (and through both instances): exactly one wins, the other gets its
//! dialect's conflict error, and the value ends up on the winner only.

use std::{sync::Arc, time::Instant};

use gateway_tests::{TestDb, spawn_with};
use serde_json::json;
use tokio::sync::Barrier;

use super::{
    Creds, Field, Gw, Identity, Kind, Project, Surface, another_instance, creds_for,
    deployment_settings, knob, ready_surfaces, record_figures, send,
};

/// With several instances, waits for the user caches' promise: a change made through one
/// instance is read by every other within `USER_CACHE_STALENESS_BOUND`; the reads that follow
/// require them to agree.
async fn settle(gws: &[Gw]) {
    if gws.len() > 1 {
        tokio::time::sleep(gateway_storage::USER_CACHE_STALENESS_BOUND).await;
    }
}

#[derive(Debug, Clone)]
struct WriteRec {
    field: usize,
    value: String,
    start: Instant,
    end: Instant,
    status: u16,
    body: String,
}

/// Assigns clients to fields: every field gets one client; constrained fields (small value sets)
/// get exactly one, so each of their writes is distinct from the previous; free-text fields share
/// the rest round-robin.
fn assign(fields: &[Field], clients: usize) -> Vec<usize> {
    let mut owners: Vec<usize> = (0..fields.len()).collect();
    let free: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].values.is_none())
        .collect();
    let mut k = 0;
    while owners.len() < clients && !free.is_empty() {
        owners.push(free[k % free.len()]);
        k += 1;
    }
    owners
}

fn value_of(field: &Field, client: usize, write: usize) -> String {
    match field.values {
        Some(values) => values[write % values.len()].to_owned(),
        None => format!("c{client}w{write}"),
    }
}

async fn read_all(
    gw: &Gw,
    creds: &[Creds],
    fields: &[Field],
) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = vec![None; fields.len()];
    for c in creds {
        let a = send(c.kind.read(gw, c)).await?;
        anyhow::ensure!(a.status == 200, "{} read: {}", c.kind.name(), a.describe());
        let body = a.json();
        for (i, f) in fields.iter().enumerate() {
            if f.kind == c.kind {
                out[i] = Kind::read_value(f, &body);
            }
        }
    }
    Ok(out)
}

struct RunFigures {
    clients: usize,
    writes: usize,
    fields: usize,
}

async fn concurrent_patches(gws: &[Gw], backend: &str) -> RunFigures {
    let (surfaces, project) = ready_surfaces(&gws[0], &format!("lost {backend}"))
        .await
        .unwrap_or_else(|e| panic!("{backend}: {e:#}"));
    let user = gws[0].create_user("lost_updates").await.expect("user");
    let creds = creds_for(&gws[0], &surfaces, &user, project.as_ref())
        .await
        .expect("creds");
    let fields: Vec<Field> = surfaces.iter().flat_map(|s| s.kind.fields()).collect();
    let clients = (knob("RELIABILITY_CLIENTS", 32, 64) as usize).max(fields.len());
    let writes = knob("RELIABILITY_WRITES", 4, 25) as usize;
    let owners = assign(&fields, clients);
    let version0 = gws[0].user(&user).await.expect("admin read").expect("user")["version"]
        .as_i64()
        .unwrap_or(0);

    let barrier = Arc::new(Barrier::new(owners.len()));
    let mut tasks = Vec::new();
    for (client, &field_idx) in owners.iter().enumerate() {
        let field = fields[field_idx];
        let c = creds
            .iter()
            .find(|c| c.kind == field.kind)
            .cloned()
            .expect("creds of the field's surface");
        let gws = gws.to_vec();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut recs = Vec::new();
            for w in 0..writes {
                let gw = &gws[(client + w) % gws.len()];
                let value = value_of(&field, client, w);
                let start = Instant::now();
                let res = send(field.kind.write(gw, &c, &field, &value)).await;
                let end = Instant::now();
                let (status, body) = match res {
                    Ok(a) => (a.status, a.text),
                    Err(e) => (0, e.to_string()),
                };
                recs.push(WriteRec {
                    field: field_idx,
                    value,
                    start,
                    end,
                    status,
                    body,
                });
            }
            recs
        }));
    }
    let mut recs = Vec::new();
    for t in tasks {
        recs.extend(t.await.expect("client task"));
    }
    let failed: Vec<_> = recs
        .iter()
        .filter(|r| !(200..300).contains(&r.status))
        .map(|r| {
            format!(
                "{} = {:?}: {} {}",
                fields[r.field].name,
                r.value,
                r.status,
                r.body.chars().take(300).collect::<String>()
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{backend}: {} of {} writes were not acknowledged:\n{}",
        failed.len(),
        recs.len(),
        failed.join("\n")
    );

    let mut problems = Vec::new();
    settle(gws).await;
    let finals = read_all(&gws[0], &creds, &fields).await.expect("read back");
    for (i, f) in fields.iter().enumerate() {
        let on_field: Vec<_> = recs.iter().filter(|r| r.field == i).collect();
        let fine = finals[i].as_ref().is_some_and(|v| {
            on_field
                .iter()
                .any(|w| &w.value == v && !on_field.iter().any(|later| later.start > w.end))
        });
        if !fine {
            let last: Vec<_> = on_field
                .iter()
                .filter(|w| !on_field.iter().any(|later| later.start > w.end))
                .map(|w| w.value.clone())
                .collect();
            problems.push(format!(
                "{}.{}: holds {:?}, want one of the last acknowledged {last:?}",
                f.kind.name(),
                f.name,
                finals[i]
            ));
        }
    }
    for (n, other) in gws.iter().enumerate().skip(1) {
        let seen = read_all(other, &creds, &fields)
            .await
            .expect("read back on another instance");
        if seen != finals {
            problems.push(format!(
                "instance {n} reads {seen:?}, instance 0 reads {finals:?}"
            ));
        }
    }
    let version = gws[0].user(&user).await.expect("admin read").expect("user")["version"]
        .as_i64()
        .unwrap_or(0);
    if version != version0 + recs.len() as i64 {
        problems.push(format!(
            "version went from {version0} to {version} after {} acknowledged writes (each must apply exactly once)",
            recs.len()
        ));
    }
    assert!(
        problems.is_empty(),
        "{backend}: lost updates:\n{}",
        problems.join("\n")
    );
    println!(
        "concurrent patches on {backend}: {} clients x {writes} writes over {} fields of {} surfaces, {} instance(s): nothing lost",
        owners.len(),
        fields.len(),
        surfaces.len(),
        gws.len()
    );
    RunFigures {
        clients: owners.len(),
        writes: recs.len(),
        fields: fields.len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_http_patches_of_disjoint_fields_lose_nothing() {
    let mut figures = Vec::new();
    for db in TestDb::all() {
        let backend = db.backend();
        let mut gws = Vec::new();
        // PostgreSQL: two instances of the deployment on one database.
        let second = if backend == "postgres" {
            Some(another_instance(&db).await.expect("second instance"))
        } else {
            None
        };
        let settings = deployment_settings(&db).expect("settings");
        let app = spawn_with(db, settings).await.expect("start gateway");
        gws.push(Gw::of(&app));
        gws.extend(second);
        let f = concurrent_patches(&gws, backend).await;
        figures.push(json!({"backend": backend, "instances": gws.len(), "clients": f.clients, "writes_checked": f.writes, "fields": f.fields}));
    }
    record_figures("lost_updates", &json!(figures));
}

async fn race_once(
    gws: &[Gw],
    (ka, ca): (Kind, &Creds),
    (kb, cb): (Kind, &Creds),
    which: Identity,
    value: &str,
) -> Result<(), String> {
    let barrier = Arc::new(Barrier::new(2));
    let (ga, gb) = (gws[0].clone(), gws[1 % gws.len()].clone());
    let ra = ka.set_identity(&ga, ca, which, value);
    let rb = kb.set_identity(&gb, cb, which, value);
    let (b1, b2) = (barrier.clone(), barrier);
    let ta = tokio::spawn(async move {
        b1.wait().await;
        send(ra).await
    });
    let tb = tokio::spawn(async move {
        b2.wait().await;
        send(rb).await
    });
    let a = ta
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let b = tb
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let label = format!("{which:?} {value:?}: {} vs {}", ka.name(), kb.name());
    let (winner, loser_check) = match (a.status / 100 == 2, b.status / 100 == 2) {
        (true, false) => (&ca.user_id, kb.conflict(&b)),
        (false, true) => (&cb.user_id, ka.conflict(&a)),
        (true, true) => {
            return Err(format!(
                "{label}: both won: {} / {}",
                a.describe(),
                b.describe()
            ));
        }
        (false, false) => {
            return Err(format!(
                "{label}: nobody won: {} / {}",
                a.describe(),
                b.describe()
            ));
        }
    };
    loser_check.map_err(|e| format!("{label}: {e}"))?;
    settle(gws).await;
    let field = if which == Identity::Username {
        "username"
    } else {
        "email"
    };
    for (id, should) in [
        (&ca.user_id, winner == &ca.user_id),
        (&cb.user_id, winner == &cb.user_id),
    ] {
        let u = gws[0]
            .user(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("user vanished")?;
        let holds = u[field].as_str() == Some(value);
        if holds != should {
            return Err(format!(
                "{label}: user {id} holds={holds}, should={should}: {u}"
            ));
        }
    }
    Ok(())
}

async fn races(gws: &[Gw], backend: &str) -> (usize, Vec<String>) {
    let (surfaces, project): (Vec<Surface>, Option<Project>) =
        ready_surfaces(&gws[0], &format!("race {backend}"))
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e:#}"));
    let writers: Vec<_> = surfaces
        .iter()
        .filter(|s| !s.kind.identities().is_empty())
        .collect();
    assert!(
        !writers.is_empty(),
        "{backend}: no registered surface can change a username or email (`Kind::identities`)"
    );
    let a = gws[0].create_user("racer_a").await.expect("user");
    let b = gws[0].create_user("racer_b").await.expect("user");
    let rounds = knob("RELIABILITY_RACES", 4, 40) as usize;
    let mut done = 0;
    let mut failures = Vec::new();
    for sa in &writers {
        for sb in &writers {
            let ca = gws[0]
                .creds(sa.kind, &a, project.as_ref())
                .await
                .expect("creds");
            let cb = gws[0]
                .creds(sb.kind, &b, project.as_ref())
                .await
                .expect("creds");
            for which in [Identity::Username, Identity::Email] {
                if !sa.kind.identities().contains(&which) || !sb.kind.identities().contains(&which)
                {
                    continue;
                }
                for r in 0..rounds {
                    let tag = format!(
                        "r{}{}{}{r}",
                        sa.kind.name().len(),
                        sb.kind.name().len(),
                        done
                    );
                    let value = match which {
                        Identity::Username => format!("race_{tag}"),
                        Identity::Email => format!("race_{tag}@example.com"),
                    };
                    // Alternate who sends first.
                    let res = if r % 2 == 0 {
                        race_once(gws, (sa.kind, &ca), (sb.kind, &cb), which, &value).await
                    } else {
                        race_once(gws, (sb.kind, &cb), (sa.kind, &ca), which, &value).await
                    };
                    done += 1;
                    if let Err(e) = res {
                        failures.push(format!("{backend}: {e}"));
                    }
                }
            }
        }
    }
    // The two users still exist and can read themselves.
    for id in [&a, &b] {
        assert!(
            gws[0].user(id).await.expect("admin").is_some(),
            "{backend}: racer {id} vanished"
        );
    }
    (done, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_username_or_email_race_has_exactly_one_winner_per_dialect() {
    let mut figures = Vec::new();
    let mut failures = Vec::new();
    for db in TestDb::all() {
        let backend = db.backend();
        let second = if backend == "postgres" {
            Some(another_instance(&db).await.expect("second instance"))
        } else {
            None
        };
        let settings = deployment_settings(&db).expect("settings");
        let app = spawn_with(db, settings).await.expect("start gateway");
        let mut gws = vec![Gw::of(&app)];
        gws.extend(second);
        let (n, f) = races(&gws, backend).await;
        figures.push(
            json!({"backend": backend, "instances": gws.len(), "races": n, "failed": f.len()}),
        );
        failures.extend(f);
    }
    record_figures("races", &json!(figures));
    assert!(
        failures.is_empty(),
        "uniqueness races:\n{}",
        failures.join("\n")
    );
}

/// Device logins racing for one new user (issue 17): eight approved device codes exchanged at
/// once, on every backend, make exactly one personal organization, every exchange succeeds, and
/// each code is exchanged once (a second exchange of any of them is refused).
#[tokio::test]
async fn racing_device_logins_make_one_personal_organization() {
    use gateway_core::{DeviceTiming, Surface as CoreSurface};
    for db in TestDb::all() {
        let backend = db.backend();
        let settings = gateway_tests::test_settings(&db).unwrap();
        let app = spawn_with(db, settings).await.unwrap();
        let user_id = app.create_user("racer").await.unwrap();
        let uid: gateway_core::UserId = user_id.parse().unwrap();
        let g = &app.state.gateway;
        let mut codes = Vec::new();
        for _ in 0..8 {
            let (d, code) = g
                .start_device_authorization(
                    CoreSurface::Platform,
                    None,
                    None,
                    DeviceTiming::default(),
                    100,
                )
                .await
                .unwrap();
            g.decide_device(d.id, Some(uid)).await.unwrap();
            codes.push(code);
        }
        let barrier = Arc::new(Barrier::new(codes.len()));
        let tasks: Vec<_> = codes
            .iter()
            .map(|code| {
                let (client, url, barrier) = (
                    app.client.clone(),
                    app.url("/api/v1/auth/device/token"),
                    barrier.clone(),
                );
                let body = json!({"device_code": code});
                tokio::spawn(async move {
                    barrier.wait().await;
                    send(client.post(url).json(&body)).await.unwrap().status
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200, "{backend}");
        }
        let orgs = g.organizations(&g.user(uid).await.unwrap()).await.unwrap();
        assert_eq!(orgs.len(), 1, "{backend}: {orgs:?}");
        let again = send(
            app.client
                .post(app.url("/api/v1/auth/device/token"))
                .json(&json!({"device_code": codes[0]})),
        )
        .await
        .unwrap();
        assert_eq!(again.status, 400, "{backend}: exchanged once");
    }
}
