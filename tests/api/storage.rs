//! Storage contract tests: the same behaviour on a fresh SQLite file and, when
//! `GATEWAY_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL schema. Each test runs on every
//! backend and prints which ones it covered.

use std::sync::Arc;

use diesel::RunQueryDsl as _;

use gateway_core::{
    ErrorKind, Gateway, NewUser, PasswordChange, Store, Surface, TeamRole, UserPatch, UserStatus,
};
use gateway_storage::{DieselStore, PoolOptions};
use gateway_tests::TestDb;
use serde_json::json;

struct Backend {
    store: Arc<DieselStore>,
    gateway: Gateway,
    name: &'static str,
    _db: TestDb,
}

fn backends() -> Vec<Backend> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let options = PoolOptions {
                max_connections: 8,
                ..PoolOptions::default()
            };
            #[expect(clippy::expect_used, reason = "test setup")]
            let store = Arc::new(DieselStore::open(&db.url(), &options).expect("open store"));
            Backend {
                gateway: Gateway::new(store.clone()),
                store,
                name: db.backend(),
                _db: db,
            }
        })
        .collect()
}

async fn user(g: &Gateway, name: &str) -> gateway_core::User {
    let mut new = NewUser::regular(name);
    new.email = Some(format!("{name}@example.com"));
    #[expect(clippy::expect_used, reason = "test setup")]
    g.create_user(new).await.expect("create user").value
}

#[tokio::test]
async fn users_round_trip_with_every_field() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "alice").await;
        assert_eq!(g.user(u.id).await.unwrap(), u, "{}", b.name);
        let patch = UserPatch {
            first_name: Some(Some("Alice".into())),
            last_name: Some(Some("Liddell".into())),
            display_name: Some(Some("Alice L".into())),
            bio: Some(Some("curious".into())),
            avatar_url: Some(Some("https://example.com/a.png".into())),
            locale: Some(Some("en-us".into())),
            timezone: Some(Some("Europe/Amsterdam".into())),
            phone_number: Some(Some("+31201234567".into())),
            company: Some(Some("Wonderland".into())),
            job_title: Some(Some("Explorer".into())),
            status: Some(UserStatus::Active),
            country_code: Some(Some(" nl ".into())),
            risk_scores: Some((3, 4)),
            client_metadata: Some(Some(json!({"a": 1}))),
            client_read_only_metadata: Some(Some(json!(["x"]))),
            server_metadata: Some(Some(json!({"secret": true}))),
            totp_secret: Some(Some("ZXhhbXBsZQ==".into())),
            is_onboarded: Some(true),
            ..UserPatch::default()
        };
        let out = g.update_user(u.id, patch).await.unwrap();
        let v = out.value;
        assert_eq!(v.locale.as_deref(), Some("en-US"), "{}", b.name);
        assert_eq!(v.country_code.as_deref(), Some("NL"));
        assert_eq!(v.metadata.server, Some(json!({"secret": true})));
        assert_eq!(v.version, u.version + 1);
        assert!(v.updated_at >= u.updated_at);
        assert!(
            out.notices.iter().any(|n| n.field == "locale"),
            "locale normalisation is reported"
        );
        assert_eq!(
            g.user(u.id).await.unwrap(),
            v,
            "{}: re-read equals the returned row",
            b.name
        );
        assert_eq!(g.user_by_username("alice").await.unwrap().id, u.id);
        println!("users_round_trip_with_every_field ran on {}", b.name);
    }
}

#[tokio::test]
async fn absent_fields_are_unchanged_and_null_clears() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "bob").await;
        g.update_user(
            u.id,
            UserPatch {
                bio: Some(Some("hi".into())),
                company: Some(Some("Acme".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let v = g
            .update_user(
                u.id,
                UserPatch {
                    bio: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .value;
        assert_eq!(v.bio, None, "{}", b.name);
        assert_eq!(
            v.company.as_deref(),
            Some("Acme"),
            "{}: untouched field kept",
            b.name
        );
        assert_eq!(v.email.as_deref(), Some("bob@example.com"));
    }
}

#[tokio::test]
async fn domain_rules_are_checked_before_writing() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "carol").await;
        let err = g
            .update_user(
                u.id,
                UserPatch {
                    username: Some("bad name!".into()),
                    email: Some(Some("not-an-email".into())),
                    locale: Some(Some("english_US".into())),
                    timezone: Some(Some("Mars/Olympus".into())),
                    display_name: Some(Some("would be written".into())),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        let fields: Vec<_> = err.issues().iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            ["username", "email", "locale", "timezone"],
            "{}",
            b.name
        );
        assert_eq!(
            g.user(u.id).await.unwrap().display_name,
            None,
            "{}: nothing written",
            b.name
        );
    }
}

#[tokio::test]
async fn unique_keys_conflict_with_the_field_named() {
    for b in backends() {
        let g = &b.gateway;
        let a = user(g, "dave").await;
        let c = user(g, "erin").await;
        let e = g
            .update_user(
                c.id,
                UserPatch {
                    username: Some("dave".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::Conflict, Some("username")),
            "{}",
            b.name
        );
        let e = g
            .update_user(
                c.id,
                UserPatch {
                    email: Some(Some("DAVE@example.com".into())),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::Conflict, Some("email")),
            "{}: emails compare lower-cased",
            b.name
        );
        let e = g.create_user(NewUser::regular("dave")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(g.user(a.id).await.unwrap().username, "dave");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_different_fields_are_all_kept() {
    for b in backends() {
        let g = b.gateway.clone();
        let u = user(&g, "frank").await;
        let mut tasks = Vec::new();
        for round in 0..4 {
            for field in 0..8 {
                let g = g.clone();
                let value = Some(Some(format!("v{round}-{field}")));
                let patch = match field {
                    0 => UserPatch {
                        first_name: value,
                        ..Default::default()
                    },
                    1 => UserPatch {
                        last_name: value,
                        ..Default::default()
                    },
                    2 => UserPatch {
                        display_name: value,
                        ..Default::default()
                    },
                    3 => UserPatch {
                        bio: value,
                        ..Default::default()
                    },
                    4 => UserPatch {
                        avatar_url: value,
                        ..Default::default()
                    },
                    5 => UserPatch {
                        company: value,
                        ..Default::default()
                    },
                    6 => UserPatch {
                        job_title: value,
                        ..Default::default()
                    },
                    _ => UserPatch {
                        restricted_by_admin_reason: value,
                        ..Default::default()
                    },
                };
                tasks.push(tokio::spawn(async move {
                    g.update_user(u.id, patch).await.map(|_| field)
                }));
            }
        }
        let mut done = 0;
        for t in tasks {
            t.await.unwrap().unwrap();
            done += 1;
        }
        assert_eq!(done, 32);
        let v = g.user(u.id).await.unwrap();
        for (field, value) in [
            ("first_name", &v.first_name),
            ("last_name", &v.last_name),
            ("display_name", &v.display_name),
            ("bio", &v.bio),
            ("avatar_url", &v.avatar_url),
            ("company", &v.company),
            ("job_title", &v.job_title),
            ("restricted_by_admin_reason", &v.restricted_by_admin_reason),
        ] {
            assert!(
                value.as_deref().is_some_and(|s| s.starts_with('v')),
                "{}: {field} lost its write",
                b.name
            );
        }
        assert_eq!(
            v.version,
            u.version + 32,
            "{}: every patch applied exactly once",
            b.name
        );
        println!(
            "concurrent_patches_of_different_fields_are_all_kept ran on {}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_username_race_has_exactly_one_winner() {
    for b in backends() {
        let g = b.gateway.clone();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(user(&g, &format!("racer{i}")).await.id);
        }
        let tasks: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let g = g.clone();
                tokio::spawn(async move {
                    g.update_user(
                        id,
                        UserPatch {
                            username: Some("winner".into()),
                            ..Default::default()
                        },
                    )
                    .await
                })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{}: {e}", b.name),
            }
        }
        assert_eq!(wins, 1, "{}", b.name);
    }
}

#[tokio::test]
async fn stale_versions_are_refused() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "gina").await;
        g.update_user(
            u.id,
            UserPatch {
                bio: Some(Some("one".into())),
                expected_version: Some(u.version),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let e = g
            .update_user(
                u.id,
                UserPatch {
                    bio: Some(Some("two".into())),
                    expected_version: Some(u.version),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{}", b.name);
        assert_eq!(g.user(u.id).await.unwrap().bio.as_deref(), Some("one"));
    }
}

#[tokio::test]
async fn sessions_count_resume_and_are_revoked_by_a_password_change() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "hank").await;
        let s1 = g
            .open_session(u.id, Surface::Users, chrono::Duration::hours(1))
            .await
            .unwrap();
        g.open_session(u.id, Surface::Users, chrono::Duration::hours(1))
            .await
            .unwrap();
        g.open_session(u.id, Surface::Users, chrono::Duration::seconds(-1))
            .await
            .unwrap();
        assert_eq!(
            g.active_sessions(u.id).await.unwrap(),
            2,
            "{}: expired ones do not count",
            b.name
        );
        let (session, owner) = g
            .resume_session(Surface::Users, &s1.refresh_token)
            .await
            .unwrap();
        assert_eq!((session.id, owner.id), (s1.session.id, u.id));
        assert!(
            g.resume_session(Surface::Me, &s1.refresh_token)
                .await
                .is_err(),
            "foreign surface"
        );
        assert!(g.resume_session(Surface::Users, "unknown").await.is_err());
        let v = g
            .update_user(
                u.id,
                UserPatch {
                    password: Some(Some(PasswordChange::Plain("new-pass".into()))),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .value;
        assert!(gateway_core::credentials::verify_password(
            "new-pass",
            v.password_hash.as_deref().unwrap()
        ));
        assert_eq!(g.active_sessions(u.id).await.unwrap(), 0, "{}", b.name);
        let e = g
            .resume_session(Surface::Users, &s1.refresh_token)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    }
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked_or_the_user_is_deleted() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "ivy").await;
        let (key, text) = g
            .issue_api_key(u.id, Surface::Platform, Some("ci".into()))
            .await
            .unwrap();
        let (found, owner) = g
            .authenticate_api_key(Surface::Platform, &text.text)
            .await
            .unwrap();
        assert_eq!(
            (found.id.as_str(), owner.id),
            (key.id.as_str(), u.id),
            "{}",
            b.name
        );
        assert!(
            g.authenticate_api_key(Surface::Me, &text.text)
                .await
                .is_err(),
            "foreign surface"
        );
        let tampered = format!("{}x", text.text);
        assert!(
            g.authenticate_api_key(Surface::Platform, &tampered)
                .await
                .is_err()
        );
        g.revoke_api_key(&key.id).await.unwrap();
        assert!(
            g.authenticate_api_key(Surface::Platform, &text.text)
                .await
                .is_err()
        );

        let (_, second) = g
            .issue_api_key(u.id, Surface::Platform, None)
            .await
            .unwrap();
        g.open_session(u.id, Surface::Me, chrono::Duration::hours(1))
            .await
            .unwrap();
        g.delete_user(u.id).await.unwrap();
        let e = g
            .authenticate_api_key(Surface::Platform, &second.text)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{}", b.name);
        assert_eq!(g.user(u.id).await.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(
            g.delete_user(u.id).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(
            b.store.api_keys_of(u.id).await.unwrap().is_empty(),
            "keys are deleted with the user"
        );
    }
}

#[tokio::test]
async fn teams_and_selected_team_rules() {
    for b in backends() {
        let g = &b.gateway;
        let u = user(g, "jack").await;
        let mine = g.create_team("Mine").await.unwrap();
        let other = g.create_team("Other").await.unwrap();
        g.add_member(mine.id, u.id, TeamRole::Owner).await.unwrap();
        g.add_member(mine.id, u.id, TeamRole::Member).await.unwrap();
        let teams = g.memberships(u.id).await.unwrap();
        assert_eq!(teams.len(), 1, "{}", b.name);
        assert_eq!(
            (teams[0].team.id, teams[0].role),
            (mine.id, TeamRole::Member)
        );
        let e = g
            .update_user(
                u.id,
                UserPatch {
                    selected_team_id: Some(Some(other.id)),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::NotFound, Some("selected_team_id"))
        );
        let v = g
            .update_user(
                u.id,
                UserPatch {
                    selected_team_id: Some(Some(mine.id)),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .value;
        assert_eq!(v.selected_team_id, Some(mine.id));
    }
}

#[tokio::test]
async fn shared_secrets_keep_the_first_value_and_reset_keeps_them() {
    for b in backends() {
        let g = &b.gateway;
        let first = g.shared_secret("k", || "one".into()).await.unwrap();
        let second = g.shared_secret("k", || "two".into()).await.unwrap();
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("one", "one"),
            "{}",
            b.name
        );
        user(g, "kate").await;
        g.reset().await.unwrap();
        assert!(g.list_users(10, 0).await.unwrap().is_empty());
        assert_eq!(
            g.shared_secret("k", || "three".into()).await.unwrap(),
            "one"
        );
    }
}

#[tokio::test]
async fn sqlite_connections_have_wal_busy_timeout_and_foreign_keys() {
    let db = TestDb::sqlite();
    let store = DieselStore::open(&db.url(), &PoolOptions::default()).unwrap();
    let (journal, busy, fk, sync) = store.sqlite_settings().await.unwrap().unwrap();
    assert_eq!((journal.as_str(), busy, fk, sync), ("wal", 5000, 1, 1));
}

#[test]
fn unusable_databases_fail_with_one_clear_line() {
    let missing = DieselStore::open("no-such-file.db", &PoolOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("neither sqlite://PATH nor postgres://"),
        "{missing}"
    );

    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![b'x'; 8192]).unwrap();
    let e = DieselStore::open(
        &format!("sqlite://{}", corrupt.display()),
        &PoolOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not a database") && !e.contains('\n'), "{e}");

    let e = DieselStore::open(
        "postgres://postgres@127.0.0.1:1/nothing",
        &PoolOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("cannot connect to postgres") && !e.contains('\n'),
        "{e}"
    );
}

#[tokio::test]
async fn a_locked_sqlite_file_is_a_clear_error_not_a_hang() {
    use diesel::{Connection, connection::SimpleConnection};
    let db = TestDb::sqlite();
    let store = DieselStore::open(&db.url(), &PoolOptions::default()).unwrap();
    let g = Gateway::new(Arc::new(store));
    let u = user(&g, "locked").await;
    let path = db.url().trim_start_matches("sqlite://").to_owned();
    let mut holder = diesel::sqlite::SqliteConnection::establish(&path).unwrap();
    holder
        .batch_execute("BEGIN EXCLUSIVE; UPDATE users SET bio = 'x';")
        .unwrap();
    let started = std::time::Instant::now();
    let e = g
        .update_user(
            u.id,
            UserPatch {
                bio: Some(Some("y".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    holder.batch_execute("ROLLBACK;").unwrap();
}

/// A PostgreSQL connection that lost its server (restart, failover, idle kill) fails one request
/// as unavailable and is then dropped by the pool instead of being handed out again: connections
/// used less than `gateway_storage::PING_IF_IDLE_FOR` ago skip the checkout ping, so a dead one
/// that stayed in the pool would keep failing requests for as long as it stays busy.
#[tokio::test]
async fn a_postgres_connection_killed_under_the_store_is_replaced() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let app = format!("gw_kill_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}&application_name={app}", db.url());
    let options = PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    };
    let store = Arc::new(DieselStore::open(&url, &options).unwrap());
    let g = Gateway::new(store);
    let u = user(&g, "kill_me").await;
    for round in 0..3 {
        assert_eq!(g.user(u.id).await.unwrap().id, u.id);
        // Kill the store's only connection from outside, as a server restart would.
        let base = std::env::var("GATEWAY_TEST_POSTGRES_URL").unwrap();
        let target = gateway_storage::DbTarget::from_url(&base).unwrap();
        let mut admin = gateway_storage::conn::establish(&target).unwrap();
        let killed: Vec<bool> = diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
             WHERE application_name = '{app}'"
        ))
        .load::<Killed>(&mut admin)
        .unwrap()
        .into_iter()
        .map(|k| k.killed)
        .collect();
        assert_eq!(killed, [true], "round {round}: one connection killed");
        // The next request may fail, and then only as unavailable (503 in every dialect) ...
        match g.user(u.id).await {
            Ok(found) => assert_eq!(found.id, u.id),
            Err(e) => assert_eq!(e.kind(), ErrorKind::Unavailable, "round {round}: {e}"),
        }
        // ... and the one after it is served on a new connection.
        assert_eq!(g.user(u.id).await.unwrap().id, u.id, "round {round}");
    }
}

#[derive(diesel::QueryableByName)]
struct Killed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    killed: bool,
}
