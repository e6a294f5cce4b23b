//! The cache (gateway-storage `cache/`, `listen.rs`) on SQLite and PostgreSQL, with two stores on
//! one database standing for two processes (SQLite) or two instances (PostgreSQL): a store reads
//! its own writes at once and serves repeated reads from memory; another store's change or delete
//! is read within `USER_CACHE_STALENESS_BOUND` (the time measured is printed), for users, team
//! memberships, session counts and projects alike; a session count ends when its first session
//! expires; on PostgreSQL a lost listener connection stops the cache until it listens again, so a
//! change made meanwhile is not missed.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use gateway_core::{
    Gateway, NewProject, ProjectPatch, ProjectStore, SessionStore, Surface, Team, TeamPatch,
    TeamRole, TeamStore, User, UserId, UserPatch, model::NewSession,
};
use gateway_storage::{DieselStore, PoolOptions, USER_CACHE_STALENESS_BOUND};
use gateway_tests::TestDb;

use super::user;

fn open(url: &str) -> (Arc<DieselStore>, Gateway) {
    let store = Arc::new(DieselStore::open(url, &PoolOptions::default()).expect("open store"));
    (store.clone(), Gateway::new(store))
}

/// Two stores on database `url` (two instances, or two processes on one SQLite file), each
/// watching the other's writes.
async fn two_stores(url: &str) -> ((Arc<DieselStore>, Gateway), (Arc<DieselStore>, Gateway)) {
    let (a, b) = (open(url), open(url));
    watching(&a.0).await;
    watching(&b.0).await;
    (a, b)
}

/// Waits until the store's watch of other writers works (the cache serves nothing before).
async fn watching(store: &DieselStore) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !store.user_cache_usage().watching {
        assert!(
            Instant::now() < deadline,
            "the user cache never started watching"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// How long until `g` reads user `id` as `want` says (polled every millisecond, for at most a
/// second).
async fn seen_after(g: &Gateway, id: UserId, want: impl Fn(Option<&User>) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let got = g.user(id).await.ok();
        if want(got.as_ref()) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "never read the change: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Reads user `id` through `g` until the cache holds it: a fill is refused when a change of the
/// same user is announced while it reads (here the notice of the user's own creation may arrive
/// during the first read), so the first read need not stick.
async fn held(store: &DieselStore, g: &Gateway, id: UserId) {
    let start = Instant::now();
    loop {
        let before = store.user_cache_usage().hits;
        assert_eq!(g.user(id).await.unwrap().id, id);
        if store.user_cache_usage().hits > before {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the cache never kept the user"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// How long until `read` gives what `want` accepts (polled every millisecond, for at most a
/// second).
async fn read_after<T: std::fmt::Debug, F: Future<Output = T>>(
    read: impl Fn() -> F,
    want: impl Fn(&T) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let got = read().await;
        if want(&got) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "never read the change: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Hits of map `name` of `store`.
fn hits(store: &DieselStore, name: &str) -> u64 {
    let (_, usage) = store
        .cache_usage()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("a map of that name");
    usage.hits
}

fn session(user: UserId, lives: chrono::Duration) -> NewSession {
    let now = Utc::now();
    NewSession {
        id: uuid::Uuid::new_v4(),
        user_id: user,
        surface: Surface::Me,
        refresh_token_hash: uuid::Uuid::new_v4().simple().to_string(),
        created_at: now,
        expires_at: now + lives,
        is_impersonation: false,
    }
}

fn rename(name: &str) -> UserPatch {
    UserPatch {
        display_name: Some(Some(name.to_owned())),
        ..UserPatch::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_from_memory_and_other_writers_are_seen_within_the_bound() {
    for db in TestDb::all() {
        let name = db.backend();
        let ((a_store, a), (_, b)) = two_stores(&db.url()).await;
        let ann = user(&a, "cache_ann").await;

        // Repeated reads: once one has filled the entry, the next ones are hits.
        held(&a_store, &a, ann.id).await;
        let before = a_store.user_cache_usage();
        for _ in 0..2 {
            assert_eq!(a.user(ann.id).await.unwrap().id, ann.id);
        }
        let after = a_store.user_cache_usage();
        assert!(
            after.hits >= before.hits + 2,
            "{name}: {before:?} -> {after:?}"
        );
        assert!(after.entries >= 1 && after.bytes > 0, "{name}: {after:?}");

        // This store's own write is read at once.
        let v = a
            .update_user(ann.id, rename("A"))
            .await
            .unwrap()
            .value
            .version;
        let got = a.user(ann.id).await.unwrap();
        assert_eq!(
            (got.version, got.profile.display_name.as_deref()),
            (v, Some("A"))
        );

        // Another store's change and delete: read within the bound.
        assert_eq!(b.user(ann.id).await.unwrap().version, v, "{name}");
        let v2 = b
            .update_user(ann.id, rename("B"))
            .await
            .unwrap()
            .value
            .version;
        let changed = seen_after(&a, ann.id, |u| u.is_some_and(|u| u.version == v2)).await;
        b.delete_user(ann.id).await.unwrap();
        let deleted = seen_after(&a, ann.id, |u| u.is_none()).await;
        println!(
            "{name}: another store's change read after {changed:?}, its delete after {deleted:?}"
        );
        for (what, took) in [("change", changed), ("delete", deleted)] {
            assert!(
                took <= USER_CACHE_STALENESS_BOUND,
                "{name}: another store's {what} was read after {took:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_stops_the_cache_and_misses_no_change() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let app = format!("gw_cache_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}&application_name={app}", db.url());
    let (a_store, a) = open(&url);
    let (_b_store, b) = open(&db.url());
    watching(&a_store).await;
    let bob = user(&a, "cache_bob").await;
    held(&a_store, &a, bob.id).await;
    assert!(a_store.user_cache_usage().entries >= 1);

    // The listener's connection dies, as in a server restart; a change is made meanwhile.
    let target = gateway_storage::DbTarget::from_url(&db.url()).unwrap();
    let mut admin = gateway_storage::conn::establish(&target).unwrap();
    let killed = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = '{app} user-cache'"
        )),
        &mut admin,
    )
    .unwrap();
    assert_eq!(
        killed, 1,
        "the listener has its own connection, named apart"
    );
    let v = b
        .update_user(bob.id, rename("meanwhile"))
        .await
        .unwrap()
        .value
        .version;
    // The cache dropped everything when it lost the listener, so the change is read from the
    // database; then it listens again and serves from memory again.
    seen_after(&a, bob.id, |u| u.is_some_and(|u| u.version == v)).await;
    watching(&a_store).await;
    let hits = a_store.user_cache_usage().hits;
    a.user(bob.id).await.unwrap();
    a.user(bob.id).await.unwrap();
    assert!(
        a_store.user_cache_usage().hits > hits,
        "cached again after reconnecting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memberships_session_counts_and_projects_follow_every_writer() {
    for db in TestDb::all() {
        let name = db.backend();
        let ((a_store, a), (b_store, b)) = two_stores(&db.url()).await;
        let cal = user(&a, "cache_cal").await;
        let mut took = Vec::new();

        // Memberships: filled, served from memory, dropped by the other store's new membership
        // and by its rename of the team.
        let count = || async { a_store.memberships(cal.id).await.unwrap().len() };
        assert_eq!(count().await, 0);
        let before = hits(&a_store, "memberships");
        read_after(
            || async {
                count().await;
                hits(&a_store, "memberships")
            },
            |h| *h > before,
        )
        .await;
        let team = Team {
            id: uuid::Uuid::new_v4(),
            display_name: "Before".into(),
            profile_image_url: None,
            metadata: Default::default(),
            created_at: Utc::now(),
        };
        b_store.insert_team(&team, None).await.unwrap();
        b_store
            .add_membership(team.id, cal.id, TeamRole::Member, Utc::now())
            .await
            .unwrap();
        took.push(("membership", read_after(count, |n| *n == 1).await));
        b.update_team(
            team.id,
            TeamPatch {
                display_name: Some("After".into()),
                ..TeamPatch::default()
            },
        )
        .await
        .unwrap();
        let team_name = || async {
            let m = a_store.memberships(cal.id).await.unwrap();
            m.first().map(|m| m.team.display_name.clone())
        };
        took.push((
            "team rename",
            read_after(team_name, |n| n.as_deref() == Some("After")).await,
        ));

        // Session counts: this store's own session is counted at once; the other store's
        // session and its revocation within the bound; a session that expires leaves the count
        // by the clock alone.
        let sessions = || async {
            a_store
                .count_active_sessions(cal.id, Utc::now())
                .await
                .unwrap()
        };
        assert_eq!(sessions().await, 0);
        a_store
            .insert_session(&session(cal.id, chrono::Duration::hours(1)))
            .await
            .unwrap();
        assert_eq!(sessions().await, 1, "{name}: its own write");
        // Served from memory once the notice of this store's own insert has come back (on
        // PostgreSQL it drops the count filled before it arrives: a count has no version).
        let before = hits(&a_store, "sessions");
        read_after(
            || async {
                assert_eq!(sessions().await, 1, "{name}");
                hits(&a_store, "sessions")
            },
            |h| *h > before,
        )
        .await;
        let theirs = session(cal.id, chrono::Duration::hours(1));
        b_store.insert_session(&theirs).await.unwrap();
        took.push(("session", read_after(sessions, |n| *n == 2).await));
        b_store.revoke_session(theirs.id, Utc::now()).await.unwrap();
        took.push(("revocation", read_after(sessions, |n| *n == 1).await));
        a_store
            .insert_session(&session(cal.id, chrono::Duration::milliseconds(300)))
            .await
            .unwrap();
        assert_eq!(sessions().await, 2);
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(sessions().await, 1, "{name}: the short session expired");

        // Projects: served from memory, dropped by the other store's change.
        let project = a
            .create_project(NewProject {
                display_name: "first".into(),
                ..NewProject::default()
            })
            .await
            .unwrap()
            .project;
        let project_name = || async {
            a_store
                .project(project.id)
                .await
                .unwrap()
                .map(|p| p.display_name)
        };
        let before = hits(&a_store, "projects");
        read_after(
            || async {
                project_name().await;
                hits(&a_store, "projects")
            },
            |h| *h > before,
        )
        .await;
        b.update_project(
            project.id,
            ProjectPatch {
                display_name: Some("second".into()),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
        took.push((
            "project",
            read_after(project_name, |n| n.as_deref() == Some("second")).await,
        ));

        // A deleted user's memberships and sessions go with it.
        b.delete_user(cal.id).await.unwrap();
        took.push(("delete", read_after(count, |n| *n == 0).await));
        assert_eq!(sessions().await, 0, "{name}");

        println!("{name}: another store's changes read after {took:?}");
        for (what, took) in took {
            assert!(
                took <= USER_CACHE_STALENESS_BOUND,
                "{name}: another store's {what} was read after {took:?}"
            );
        }
    }
}
