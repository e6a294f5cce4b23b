//! Storage contract tests: the same behaviour on a fresh SQLite file, when
//! `GATEWAY_TEST_POSTGRES_URL` is set on a fresh PostgreSQL schema, and on the core's in-memory
//! store (`gateway_core::testing::MemoryStore`, which unit tests use instead of a database and
//! must behave as the databases do). Each test runs on every backend and prints which ones it
//! covered.

use std::sync::Arc;

use diesel::RunQueryDsl as _;

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use gateway_core::{
    Account, ErrorKind, Gateway, IdempotencyKey, IdempotencyRecord, Identity, MetadataTiers,
    NewUser, PasswordChange, Profile, RiskScores, Security, Store, StoreError, StoredResponse,
    Surface, TeamPatch, TeamRole, Timestamps, User, UserField, UserId, UserKind, UserPatch,
    UserStatus, model::NewSession, testing::memory_gateway,
};
use gateway_storage::{CacheLimits, DieselStore, PoolOptions};
use gateway_tests::TestDb;
use serde_json::json;
use uuid::Uuid;

mod cache;
mod channels;

struct Backend {
    store: Arc<dyn Store>,
    gateway: Gateway,
    name: &'static str,
    /// The database of a diesel backend; `None` for the in-memory store.
    db: Option<TestDb>,
}

impl Backend {
    /// Another gateway on the same data: through a second connection pool for a database, with
    /// no user cache, so that what it reads comes from the database and not from a connection
    /// (or a cache) that just wrote it.
    fn second_gateway(&self) -> Gateway {
        let uncached = PoolOptions {
            user_cache: CacheLimits {
                entries: 0,
                bytes: 0,
            },
            ..PoolOptions::default()
        };
        match &self.db {
            #[expect(clippy::expect_used, reason = "test setup")]
            Some(db) => Gateway::new(Arc::new(
                DieselStore::open(&db.url(), &uncached).expect("open a second store"),
            )),
            None => Gateway::new(self.store.clone()),
        }
    }
}

fn backends() -> Vec<Backend> {
    let mut backends: Vec<Backend> = TestDb::all()
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
                db: Some(db),
            }
        })
        .collect();
    let (store, gateway) = memory_gateway();
    backends.push(Backend {
        store,
        gateway,
        name: "memory",
        db: None,
    });
    backends
}

async fn user(g: &Gateway, name: &str) -> gateway_core::User {
    let mut new = NewUser::regular(name);
    new.fields.email = Some(Some(format!("{name}@example.com")));
    #[expect(clippy::expect_used, reason = "test setup")]
    g.create_user(new).await.expect("create user").value
}

/// Lists every field of [`User`] once, by group: the destructure in `user_diff` and
/// [`USER_FIELDS`] are generated from the list, so a field added to `User` does not compile until
/// it is named here, and once named it is compared.
macro_rules! user_fields {
    (
        top { $($top:ident),+ $(,)? }
        $( $group:ident: $ty:ident { $($leaf:ident),+ $(,)? } )+
    ) => {
        /// Every field of `User`, by path (`profile.bio`).
        const USER_FIELDS: &[&str] = &[
            $(stringify!($top),)+
            $($(concat!(stringify!($group), ".", stringify!($leaf)),)+)+
        ];

        /// The fields in which `got` differs from `want`, each with both values.
        fn user_diff(got: &User, want: &User) -> Vec<(&'static str, String)> {
            let User { $($top,)+ $($group: $ty { $($leaf),+ }),+ } = got;
            let mut out = Vec::new();
            $(
                if *$top != want.$top {
                    out.push((
                        stringify!($top),
                        format!("{:?} != {:?}", $top, want.$top),
                    ));
                }
            )+
            $($(
                if *$leaf != want.$group.$leaf {
                    out.push((
                        concat!(stringify!($group), ".", stringify!($leaf)),
                        format!("{:?} != {:?}", $leaf, want.$group.$leaf),
                    ));
                }
            )+)+
            out
        }
    };
}

user_fields!(
    top { id, version }
    identity: Identity {
        username,
        email,
        email_verified,
        email_auth_enabled,
    }
    profile: Profile {
        first_name,
        last_name,
        display_name,
        bio,
        avatar_url,
        locale,
        timezone,
        phone_number,
        phone_number_verified,
        company,
        job_title,
        country_code,
    }
    account: Account {
        kind,
        organization_id,
        status,
        is_active,
        is_superuser,
        is_platform_admin,
        is_onboarded,
        email_opt_in,
        is_anonymous,
        restricted_by_admin,
        restricted_by_admin_reason,
        restricted_by_admin_private_details,
        selected_team_id,
    }
    security: Security {
        password_hash,
        password_expired,
        totp_secret,
        oauth_provider,
        oauth_id,
        otp_auth_enabled,
        passkey_auth_enabled,
    }
    metadata: MetadataTiers {
        client,
        client_read_only,
        server,
    }
    risk: RiskScores {
        sign_up_bot,
        sign_up_free_trial_abuse,
    }
    timestamps: Timestamps {
        created_at,
        updated_at,
        signed_up_at,
        last_active_at,
    }
);

/// Asserts that `got` equals `want` in every field (naming each one that does not).
fn assert_user(got: &User, want: &User, context: &str) {
    let diff = user_diff(got, want);
    assert!(
        diff.is_empty(),
        "{context}: fields read back differ from what was written:\n{}",
        diff.iter()
            .map(|(f, d)| format!("  {f}: read {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The names of the fields in which `a` and `b` differ.
fn differing(a: &User, b: &User) -> Vec<&'static str> {
    user_diff(a, b).into_iter().map(|(f, _)| f).collect()
}

/// A time with millisecond precision (what every backend stores).
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid time")
        + TimeDelta::milliseconds(ms)
}

/// A password hash in bcrypt's Modular Crypt Format (`$2b$04$` + 53 characters of its alphabet).
fn bcrypt_like(fill: char) -> String {
    format!("$2b$04${}", fill.to_string().repeat(53))
}

/// Every field of the core `User` written with a value that is not what a new account gets, and
/// read back field by field; then every field of `UserPatch` applied with yet other values and
/// read back field by field, through another connection pool. The group literals of `User` and
/// the `UserPatch` literal below have no `..`, the comparison destructures `User` exhaustively
/// ([`user_fields!`]) and every field must differ from a new account's: a new field fails to
/// compile (or this test) here until the round trip covers it.
#[tokio::test]
async fn users_round_trip_with_every_field() {
    for b in backends() {
        let g = &b.gateway;
        let ctx = |step: &str| format!("{}: {step}", b.name);
        let reader = b.second_gateway();
        let team_a = g
            .create_team(named_team("Round trip A"), None)
            .await
            .unwrap();
        let team_b = g
            .create_team(named_team("Round trip B"), None)
            .await
            .unwrap();
        let fresh = user(g, "fresh_default").await;

        // 1. Insert: every field set, none to what a new account gets. Each group is a literal
        // without `..`, so a new field of a group does not compile here until it is written.
        let mut written = User::new(UserId::new(), "alice_rt", at(2021, 3, 4, 5, 6, 7, 123));
        written.identity = Identity {
            username: "alice_rt".into(),
            email: Some("alice.rt@example.com".into()),
            email_verified: true,
            email_auth_enabled: false,
        };
        written.profile = Profile {
            first_name: Some("Zoë".into()),
            last_name: Some("Ångström".into()),
            display_name: Some("Zoë Ångström 東京".into()),
            bio: Some("line one\nline two, with 'quotes' and \"doubles\"".into()),
            avatar_url: Some("https://example.com/a/zoe.png?size=64".into()),
            locale: Some("fr-FR".into()),
            timezone: Some("Europe/Amsterdam".into()),
            phone_number: Some("+31201234567".into()),
            phone_number_verified: true,
            company: Some("Wonderland B.V.".into()),
            job_title: Some("Explorer".into()),
            country_code: Some("BE".into()),
        };
        written.account = Account {
            kind: UserKind::ServiceAccount,
            organization_id: Some(Uuid::new_v4()),
            status: UserStatus::Banned,
            is_active: false,
            is_superuser: true,
            is_platform_admin: true,
            is_onboarded: true,
            email_opt_in: true,
            is_anonymous: true,
            restricted_by_admin: true,
            restricted_by_admin_reason: Some("Chargeback".into()),
            restricted_by_admin_private_details: Some("Case #42: card reported stolen".into()),
            selected_team_id: Some(team_a.id),
        };
        written.security = Security {
            password_hash: Some(bcrypt_like('a')),
            password_expired: Some(true),
            totp_secret: Some("T1RQLVNFQ1JFVC0x".into()),
            oauth_provider: Some("github".into()),
            oauth_id: Some("gh-1234567".into()),
            otp_auth_enabled: false,
            passkey_auth_enabled: true,
        };
        written.metadata = MetadataTiers {
            client: Some(json!({"theme": "dark", "n": [1, 2.5, null], "ü": {"deep": true}})),
            client_read_only: Some(json!(["x", 1, false])),
            server: Some(json!({"secret": true, "score": -3})),
        };
        written.risk = RiskScores {
            sign_up_bot: 17,
            sign_up_free_trial_abuse: 42,
        };
        written.timestamps = Timestamps {
            created_at: at(2021, 3, 4, 5, 6, 7, 123),
            updated_at: at(2022, 4, 5, 6, 7, 8, 456),
            signed_up_at: at(2021, 3, 4, 5, 6, 9, 789),
            last_active_at: at(2023, 5, 6, 7, 8, 9, 12),
        };
        written.version = 7;
        let same_as_new: Vec<_> = USER_FIELDS
            .iter()
            .filter(|f| !differing(&written, &fresh).contains(f))
            .collect();
        assert!(
            same_as_new.is_empty(),
            "the test writes what a new account already has in {same_as_new:?}"
        );
        b.store.insert_user(&written).await.unwrap();
        assert_user(
            &reader.user(written.id).await.unwrap(),
            &written,
            &ctx("insert"),
        );
        assert_user(
            &g.user_by_username("alice_rt").await.unwrap(),
            &written,
            &ctx("insert, by username"),
        );

        // 2. Patch: every field of `UserPatch`, each to a new value.
        g.add_member(team_b.id, written.id, TeamRole::Member)
            .await
            .unwrap();
        let before = gateway_core::service::now();
        let patch = UserPatch {
            username: Some("alice_rt2".into()),
            email: Some(Some("Alice.RT2@Example.COM".into())),
            email_verified: Some(false),
            email_auth_enabled: Some(true),
            password: Some(Some(PasswordChange::Hash(bcrypt_like('b')))),
            password_expired: Some(Some(false)),
            totp_secret: Some(Some("T1RQLVNFQ1JFVC0y".into())),
            is_active: Some(true),
            is_superuser: Some(false),
            is_platform_admin: Some(false),
            is_onboarded: Some(false),
            email_opt_in: Some(false),
            is_anonymous: Some(false),
            // `false` would clear the reason and the details (step 3).
            restricted_by_admin: Some(true),
            restricted_by_admin_reason: Some(Some("Fraud review".into())),
            restricted_by_admin_private_details: Some(Some("Case #43".into())),
            otp_auth_enabled: Some(true),
            passkey_auth_enabled: Some(false),
            first_name: Some(Some("Alice".into())),
            last_name: Some(Some("Liddell".into())),
            display_name: Some(Some("Alice L".into())),
            bio: Some(Some("curious".into())),
            avatar_url: Some(Some("https://example.com/a.png".into())),
            locale: Some(Some("en-us".into())),
            timezone: Some(Some("Asia/Tokyo".into())),
            phone_number: Some(Some("+81312345678".into())),
            phone_number_verified: Some(false),
            company: Some(Some("Looking Glass Ltd".into())),
            job_title: Some(Some("Queen".into())),
            status: Some(UserStatus::Active),
            country_code: Some(Some(" nl ".into())),
            risk_scores: Some((3, 4)),
            client_metadata: Some(Some(json!({"a": 1}))),
            client_read_only_metadata: Some(Some(json!(["y"]))),
            server_metadata: Some(Some(json!({"secret": false}))),
            selected_team_id: Some(Some(team_b.id)),
            expected_version: Some(written.version),
        };
        let out = g.update_user(written.id, patch).await.unwrap();
        let after = gateway_core::service::now();
        let got = reader.user(written.id).await.unwrap();
        assert!(
            (before..=after).contains(&got.timestamps.updated_at),
            "{}: updated_at {} is the time of the patch",
            b.name,
            got.timestamps.updated_at
        );
        let mut patched = written.clone();
        patched.identity = Identity {
            username: "alice_rt2".into(),
            email: Some("alice.rt2@example.com".into()),
            email_verified: false,
            email_auth_enabled: true,
        };
        patched.profile = Profile {
            first_name: Some("Alice".into()),
            last_name: Some("Liddell".into()),
            display_name: Some("Alice L".into()),
            bio: Some("curious".into()),
            avatar_url: Some("https://example.com/a.png".into()),
            locale: Some("en-US".into()),
            timezone: Some("Asia/Tokyo".into()),
            phone_number: Some("+81312345678".into()),
            phone_number_verified: false,
            company: Some("Looking Glass Ltd".into()),
            job_title: Some("Queen".into()),
            country_code: Some("NL".into()),
        };
        patched.account.status = UserStatus::Active;
        patched.account.is_active = true;
        patched.account.is_superuser = false;
        patched.account.is_platform_admin = false;
        patched.account.is_onboarded = false;
        patched.account.email_opt_in = false;
        patched.account.is_anonymous = false;
        patched.account.restricted_by_admin_reason = Some("Fraud review".into());
        patched.account.restricted_by_admin_private_details = Some("Case #43".into());
        patched.account.selected_team_id = Some(team_b.id);
        patched.security.password_hash = Some(bcrypt_like('b'));
        patched.security.password_expired = Some(false);
        patched.security.totp_secret = Some("T1RQLVNFQ1JFVC0y".into());
        patched.security.otp_auth_enabled = true;
        patched.security.passkey_auth_enabled = false;
        patched.metadata = MetadataTiers {
            client: Some(json!({"a": 1})),
            client_read_only: Some(json!(["y"])),
            server: Some(json!({"secret": false})),
        };
        patched.risk = RiskScores {
            sign_up_bot: 3,
            sign_up_free_trial_abuse: 4,
        };
        patched.timestamps.updated_at = got.timestamps.updated_at;
        patched.version = written.version + 1;
        // What a patch cannot change: identity, account kind and ownership, and the times
        // other than `updated_at`. The restriction flag stays set (see above).
        let unchanged: Vec<_> = USER_FIELDS
            .iter()
            .copied()
            .filter(|f| !differing(&patched, &written).contains(f))
            .collect();
        assert_eq!(
            unchanged,
            [
                "id",
                "account.kind",
                "account.organization_id",
                "account.restricted_by_admin",
                "security.oauth_provider",
                "security.oauth_id",
                "timestamps.created_at",
                "timestamps.signed_up_at",
                "timestamps.last_active_at",
            ],
            "the patch changes every other field"
        );
        assert_user(&got, &patched, &ctx("patch"));
        assert_user(&out.value, &patched, &ctx("patch, returned"));
        assert_user(
            &reader.user_by_username("alice_rt2").await.unwrap(),
            &patched,
            &ctx("patch, by username"),
        );
        let notices: Vec<_> = out.notices.iter().map(|n| n.field.as_str()).collect();
        assert!(
            ["email", "locale"].iter().all(|f| notices.contains(f)),
            "{}: normalisations are reported: {notices:?}",
            b.name
        );

        // 3. Lifting the restriction clears its reason and details.
        let lifted = g
            .update_user(
                written.id,
                UserPatch {
                    restricted_by_admin: Some(false),
                    ..UserPatch::default()
                },
            )
            .await
            .unwrap()
            .value;
        let got = reader.user(written.id).await.unwrap();
        let mut want = patched.clone();
        want.account.restricted_by_admin = false;
        want.account.restricted_by_admin_reason = None;
        want.account.restricted_by_admin_private_details = None;
        want.timestamps.updated_at = lifted.timestamps.updated_at;
        want.version = patched.version + 1;
        assert_user(&got, &want, &ctx("lift the restriction"));
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
        assert_eq!(v.profile.bio, None, "{}", b.name);
        assert_eq!(
            v.profile.company.as_deref(),
            Some("Acme"),
            "{}: untouched field kept",
            b.name
        );
        assert_eq!(v.identity.email.as_deref(), Some("bob@example.com"));
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
            g.user(u.id).await.unwrap().profile.display_name,
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
            (ErrorKind::Conflict, Some(UserField::Username.into())),
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
            (ErrorKind::Conflict, Some(UserField::Email.into())),
            "{}: emails compare lower-cased",
            b.name
        );
        let e = g.create_user(NewUser::regular("dave")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(g.user(a.id).await.unwrap().identity.username, "dave");
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
            ("first_name", &v.profile.first_name),
            ("last_name", &v.profile.last_name),
            ("display_name", &v.profile.display_name),
            ("bio", &v.profile.bio),
            ("avatar_url", &v.profile.avatar_url),
            ("company", &v.profile.company),
            ("job_title", &v.profile.job_title),
            (
                "restricted_by_admin_reason",
                &v.account.restricted_by_admin_reason,
            ),
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

/// One value claimed at once as a username by some users and as an email by others (the rule
/// across columns, which no unique index holds): exactly one claim wins, every other is a
/// conflict, and no user holds the value afterwards but the winner.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_username_against_email_race_has_exactly_one_winner() {
    for b in backends() {
        let g = b.gateway.clone();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(user(&g, &format!("crossed{i}")).await.id);
        }
        for round in 0..6 {
            let value = format!("Crossed.{round}@Example.com");
            let tasks: Vec<_> = ids
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    let g = g.clone();
                    // Alternate columns and letter case.
                    let value = if i % 4 < 2 {
                        value.clone()
                    } else {
                        value.to_lowercase()
                    };
                    let patch = if i % 2 == 0 {
                        UserPatch {
                            username: Some(value),
                            ..Default::default()
                        }
                    } else {
                        UserPatch {
                            email: Some(Some(value)),
                            ..Default::default()
                        }
                    };
                    tokio::spawn(async move { g.update_user(id, patch).await })
                })
                .collect();
            let mut wins = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(_) => wins += 1,
                    Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{}: {e}", b.name),
                }
            }
            assert_eq!(wins, 1, "{} round {round}", b.name);
            let mut holders = 0;
            for &id in &ids {
                let u = g.user(id).await.unwrap();
                let holds = |v: Option<&str>| v.is_some_and(|v| v.eq_ignore_ascii_case(&value));
                if holds(Some(&u.identity.username)) || holds(u.identity.email.as_deref()) {
                    holders += 1;
                }
            }
            assert_eq!(holders, 1, "{} round {round}", b.name);
        }
    }
}

/// One-time codes on every backend: single use (two concurrent uses, one winner), expiry,
/// purpose and project scoping, a bounded number per user, and gone with their user.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_codes_act_once_and_stay_bounded() {
    use gateway_core::{CodePurpose, CodeRefusal, codes::LIVE_CODES_PER_ADDRESS};
    let reset = CodePurpose::PasswordReset;
    for b in backends() {
        let g = b.gateway.clone();
        let u = user(&g, "codes").await;
        let hour = chrono::Duration::hours(1);
        let text = g
            .issue_code(reset, Some(u.id), None, "codes@example.com", hour)
            .await
            .unwrap();
        assert!(
            g.check_code(reset, None, &text).await.unwrap().is_ok(),
            "{}",
            b.name
        );
        let uses: Vec<_> = (0..4)
            .map(|_| {
                let (g, text) = (g.clone(), text.clone());
                tokio::spawn(async move { g.use_code(reset, None, &text).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for t in uses {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(r) => assert_eq!(r, CodeRefusal::AlreadyUsed, "{}", b.name),
            }
        }
        assert_eq!(won, 1, "{}", b.name);
        let old = g
            .issue_code(
                reset,
                Some(u.id),
                None,
                "codes@example.com",
                chrono::Duration::seconds(-1),
            )
            .await
            .unwrap();
        assert_eq!(
            g.check_code(reset, None, &old).await.unwrap(),
            Err(CodeRefusal::Expired)
        );
        let mut texts = Vec::new();
        for _ in 0..LIVE_CODES_PER_ADDRESS + 1 {
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            texts.push(
                g.issue_code(reset, Some(u.id), None, "codes@example.com", hour)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(
            g.check_code(reset, None, &texts[0]).await.unwrap(),
            Err(CodeRefusal::NotFound),
            "{}: the oldest of more than {LIVE_CODES_PER_ADDRESS} is dropped",
            b.name
        );
        let newest = texts.last().unwrap();
        assert!(g.check_code(reset, None, newest).await.unwrap().is_ok());
        g.delete_user(u.id).await.unwrap();
        assert_eq!(
            g.check_code(reset, None, newest).await.unwrap(),
            Err(CodeRefusal::NotFound),
            "{}: codes go with their user",
            b.name
        );
    }
}

#[tokio::test]
async fn device_logins_decide_once_exchange_once_and_stay_bounded() {
    use gateway_core::{DevicePoll, DeviceRefusal, DeviceState, DeviceTiming};
    let timing = DeviceTiming {
        lifetime: chrono::Duration::minutes(5),
        interval_secs: 1,
    };
    for b in backends() {
        let g = b.gateway.clone();
        let n = b.name;
        let u = user(&g, "device").await;
        let (d, code) = g
            .start_device_authorization(Surface::Platform, Some("cli"), Some("agent/1"), timing, 3)
            .await
            .unwrap();
        assert_eq!(d.state, DeviceState::Pending, "{n}");
        assert_ne!(d.device_code_hash, code, "{n}: only the digest is kept");
        // A code of one surface is unknown on another.
        assert_eq!(
            g.poll_device(Surface::UsersMe, &code).await.unwrap(),
            DevicePoll::Refused(DeviceRefusal::Unknown),
            "{n}"
        );
        match g.poll_device(Surface::Platform, &code).await.unwrap() {
            DevicePoll::Pending { too_fast, .. } => assert!(!too_fast, "{n}: the first poll"),
            other => panic!("{n}: {other:?}"),
        }
        match g.poll_device(Surface::Platform, &code).await.unwrap() {
            DevicePoll::Pending { too_fast, .. } => assert!(too_fast, "{n}: a poll at once"),
            other => panic!("{n}: {other:?}"),
        }
        assert_eq!(
            g.exchange_device_code(Surface::Platform, &code, Some("cli"))
                .await
                .unwrap()
                .err(),
            Some(DeviceRefusal::Pending),
            "{n}"
        );
        let found = g
            .device_by_user_code(&d.user_code.to_lowercase())
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id), Some(d.id), "{n}");
        // The page's ticket decides for the user who signed in; another text does not.
        let ticket = g.issue_device_ticket(d.id, u.id).await.unwrap();
        assert_eq!(
            g.decide_with_ticket(d.id, "forged", true)
                .await
                .unwrap_err()
                .kind(),
            gateway_core::ErrorKind::Unauthenticated,
            "{n}"
        );
        let decided = g.decide_with_ticket(d.id, &ticket, true).await.unwrap();
        assert_eq!(
            (decided.state, decided.user_id),
            (DeviceState::Approved, Some(u.id)),
            "{n}"
        );
        assert_eq!(decided.ticket, None, "{n}: a decision ends the ticket");
        assert_eq!(
            g.decide_device(d.id, None).await.unwrap_err().kind(),
            gateway_core::ErrorKind::PreconditionFailed,
            "{n}: decided once"
        );
        // Exchanged exactly once by racing CLIs.
        let races: Vec<_> = (0..4)
            .map(|_| {
                let (g, code) = (g.clone(), code.clone());
                tokio::spawn(async move {
                    g.exchange_device_code(Surface::Platform, &code, Some("cli"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for r in races {
            match r.await.unwrap() {
                Ok((_, who)) => {
                    assert_eq!(who.id, u.id, "{n}");
                    won += 1;
                }
                Err(refusal) => assert_eq!(refusal, DeviceRefusal::AlreadyUsed, "{n}"),
            }
        }
        assert_eq!(won, 1, "{n}");
        assert_eq!(
            g.poll_device(Surface::Platform, &code).await.unwrap(),
            DevicePoll::Refused(DeviceRefusal::AlreadyUsed),
            "{n}"
        );
        // Denied and expired ones.
        let (denied, denied_code) = g
            .start_device_authorization(Surface::UsersMe, None, None, timing, 3)
            .await
            .unwrap();
        g.decide_device(denied.id, None).await.unwrap();
        assert_eq!(
            g.exchange_device_code(Surface::UsersMe, &denied_code, None)
                .await
                .unwrap()
                .err(),
            Some(DeviceRefusal::Denied),
            "{n}"
        );
        let past = DeviceTiming {
            lifetime: chrono::Duration::seconds(-1),
            interval_secs: 1,
        };
        let (old, old_code) = g
            .start_device_authorization(Surface::UsersMe, None, None, past, 3)
            .await
            .unwrap();
        assert_eq!(
            g.poll_device(Surface::UsersMe, &old_code).await.unwrap(),
            DevicePoll::Refused(DeviceRefusal::Expired),
            "{n}"
        );
        assert!(g.decide_device(old.id, Some(u.id)).await.is_err(), "{n}");
        // At most `max_pending` wait at once; expired ones do not count and are purged.
        for _ in 0..2 {
            g.start_device_authorization(Surface::UsersMe, None, None, timing, 3)
                .await
                .unwrap();
        }
        assert_eq!(
            g.device_authorizations(true, 100).await.unwrap().len(),
            2,
            "{n}: pending, unexpired"
        );
        g.start_device_authorization(Surface::UsersMe, None, None, timing, 2)
            .await
            .map(|_| ())
            .expect_err("over the bound");
        let purged = b.store.purge_devices(chrono::Utc::now()).await.unwrap();
        assert_eq!(purged, 1, "{n}: the expired one");
        g.delete_user(u.id).await.unwrap();
        assert!(
            g.device_authorization(d.id).await.is_err(),
            "{n}: approvals go with their user"
        );
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
        assert_eq!(
            g.user(u.id).await.unwrap().profile.bio.as_deref(),
            Some("one")
        );
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
        let listed = g.sessions_to_export(u.id).await.unwrap();
        assert_eq!(
            listed.len(),
            2,
            "{}: the active ones, for an export",
            b.name
        );
        assert!(
            listed
                .iter()
                .any(|(s, project)| s.id == s1.session.id && project.is_none()),
            "{}: with its id, bound to no project",
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
            v.security.password_hash.as_deref().unwrap()
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
        let mine = g.create_team(named_team("Mine"), None).await.unwrap();
        let other = g.create_team(named_team("Other"), None).await.unwrap();
        let all: Vec<_> = g
            .list_teams()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert!(
            all.contains(&mine.id) && all.contains(&other.id),
            "{}: every team is listed, members or not",
            b.name
        );
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
            (ErrorKind::NotFound, Some(UserField::SelectedTeamId.into()))
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
        assert_eq!(v.account.selected_team_id, Some(mine.id));

        // Permissions, a patch, leaving and deleting, on the real backend.
        let ctx = |step: &str| format!("{}: {step}", b.name);
        let perms = g
            .change_team_permission(mine.id, u.id, "$read_members", true)
            .await
            .unwrap();
        assert_eq!(perms, ["$read_members", "team_admin"], "{}", ctx("grant"));
        let members = g.members(mine.id).await.unwrap();
        assert_eq!(members.len(), 1, "{}", ctx("members"));
        assert_eq!(
            (members[0].user_id, &members[0].permissions),
            (u.id, &perms)
        );
        let patched = g
            .update_team(
                mine.id,
                TeamPatch {
                    display_name: Some("Renamed".into()),
                    profile_image_url: Some(Some("https://example.com/t.png".into())),
                    server_metadata: Some(Some(json!({"plan": "pro"}))),
                    ..TeamPatch::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(g.team(mine.id).await.unwrap(), patched, "{}", ctx("patch"));
        assert_eq!(patched.metadata.server, Some(json!({"plan": "pro"})));
        let before = g.user(u.id).await.unwrap().version;
        g.remove_member(mine.id, u.id).await.unwrap();
        let left = g.user(u.id).await.unwrap();
        assert_eq!(
            (left.account.selected_team_id, left.version),
            (None, before + 1),
            "{}",
            ctx("leaving the selected team unselects it")
        );
        assert_eq!(
            g.remove_member(mine.id, u.id).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let owned = g
            .create_team(named_team("Owned"), Some(u.id))
            .await
            .unwrap();
        // Listing users by team (tiered `GET /users?team_id=`): members only.
        let members = g
            .query_users(&gateway_core::UserQuery {
                team: Some(owned.id),
                ..gateway_core::UserQuery::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = members.users.iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![u.id], "{}", ctx("users by team"));
        let owner = g.membership(owned.id, u.id).await.unwrap();
        assert_eq!(
            (owner.role, owner.permissions),
            (TeamRole::Owner, vec!["team_admin".to_owned()])
        );
        g.update_user(
            u.id,
            UserPatch {
                selected_team_id: Some(Some(owned.id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        g.delete_team(owned.id).await.unwrap();
        let after = g.user(u.id).await.unwrap();
        assert_eq!(after.account.selected_team_id, None, "{}", ctx("delete"));
        assert!(g.memberships(u.id).await.unwrap().is_empty());
        assert_eq!(
            g.team(owned.id).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        // A personal team: created, joined and selected in one write.
        let before = g.user(u.id).await.unwrap().version;
        let personal = g
            .create_selected_team(named_team("Personal Team"), u.id)
            .await
            .unwrap();
        let after = g.user(u.id).await.unwrap();
        assert_eq!(
            (after.account.selected_team_id, after.version),
            (Some(personal.id), before + 1),
            "{}",
            ctx("selected team")
        );
        assert_eq!(
            g.membership(personal.id, u.id).await.unwrap().role,
            TeamRole::Owner
        );
        let ghost = UserId::new();
        assert_eq!(
            g.create_team(named_team("Ghost's"), Some(ghost))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }
}

/// The rules of the store itself, below the gateway: unique keys name their field, references
/// to absent rows are refused, idempotency claims are taken once and completed or given up only
/// by their holder, a user's deletion and a reset take the dependent rows with them (a reset keeps
/// projects, without the bindings of the sessions it deleted).
#[tokio::test]
async fn store_rules_below_the_gateway() {
    for b in backends() {
        let (g, store) = (&b.gateway, &b.store);
        let ctx = |step: &str| format!("{}: {step}", b.name);
        let u = user(g, "lena").await;
        let at = gateway_core::service::now();
        let session = |hash: &str| NewSession {
            id: Uuid::new_v4(),
            user_id: u.id,
            surface: Surface::Me,
            refresh_token_hash: hash.to_owned(),
            created_at: at,
            expires_at: at + TimeDelta::hours(1),
            is_impersonation: false,
        };

        // Sessions: the refresh-token hash and the id are unique; the owner must exist.
        let first = session("hash-1");
        store.insert_session(&first).await.unwrap();
        let conflict = |r: Result<(), StoreError>| match r {
            Err(StoreError::Conflict(field)) => Some(field.as_str()),
            _ => None,
        };
        assert_eq!(
            conflict(store.insert_session(&session("hash-1")).await),
            Some("refresh_token"),
            "{}",
            ctx("same refresh token")
        );
        let same_id = NewSession {
            refresh_token_hash: "hash-2".into(),
            ..first.clone()
        };
        assert_eq!(
            conflict(store.insert_session(&same_id).await),
            Some("id"),
            "{}",
            ctx("same session id")
        );
        let orphan = NewSession {
            user_id: UserId::new(),
            ..session("hash-3")
        };
        assert!(
            matches!(
                store.insert_session(&orphan).await,
                Err(StoreError::Other(_))
            ),
            "{}",
            ctx("a session of no user")
        );

        // Idempotency claims.
        let key = IdempotencyKey {
            user_id: u.id,
            scope: "me PATCH /me".into(),
            key: "k1".into(),
        };
        let claim = IdempotencyRecord {
            id: key.clone(),
            fingerprint: "f".into(),
            created_at: at,
            response: None,
        };
        assert!(store.insert_idempotency_record(&claim).await.unwrap());
        assert!(
            !store.insert_idempotency_record(&claim).await.unwrap(),
            "{}",
            ctx("claimed once")
        );
        let later = at + TimeDelta::seconds(1);
        let response = StoredResponse {
            status: 200,
            body: "{}".into(),
        };
        assert!(
            !store
                .complete_idempotency_record(&key, later, &response)
                .await
                .unwrap(),
            "{}",
            ctx("another claim's time")
        );
        assert!(
            store
                .complete_idempotency_record(&key, at, &response)
                .await
                .unwrap()
        );
        assert!(
            !store
                .complete_idempotency_record(&key, at, &response)
                .await
                .unwrap(),
            "{}",
            ctx("completed once")
        );
        assert_eq!(
            store.idempotency_record(&key).await.unwrap(),
            Some(IdempotencyRecord {
                response: Some(response),
                ..claim.clone()
            }),
            "{}",
            ctx("stored response")
        );
        assert!(
            !store.delete_idempotency_record(&key, later).await.unwrap(),
            "{}",
            ctx("another claim's time")
        );
        assert_eq!(store.purge_idempotency_records(at).await.unwrap(), 0);
        assert_eq!(store.purge_idempotency_records(later).await.unwrap(), 1);
        assert!(store.insert_idempotency_record(&claim).await.unwrap());

        // Deleting the user takes its sessions, keys and claims with it.
        g.issue_api_key(u.id, Surface::Me, None).await.unwrap();
        assert!(store.delete_user(u.id).await.unwrap());
        assert_eq!(store.session(first.id).await.unwrap(), None, "{}", b.name);
        assert_eq!(store.idempotency_record(&key).await.unwrap(), None);
        assert!(store.api_keys_of(u.id).await.unwrap().is_empty());
        assert!(
            !store.delete_user(u.id).await.unwrap(),
            "{}",
            ctx("deleted")
        );

        // A reset keeps projects; the bindings of the sessions it deletes go with them.
        let project = g
            .create_project(gateway_core::NewProject {
                display_name: "P".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .project;
        let v = user(g, "mona").await;
        let bound = g
            .open_project_session(project.id, v.id, Surface::Users, TimeDelta::hours(1), false)
            .await
            .unwrap()
            .session;
        assert_eq!(
            store.session_project(bound.id).await.unwrap(),
            Some(project.id)
        );
        // A project's sessions of a user: active ones only, newest first; impersonation kept;
        // using a refresh token moves `last_used_at`.
        // Creation times a few milliseconds apart, so that "newest first" has one answer.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let impersonating = g
            .open_project_session(project.id, v.id, Surface::Users, TimeDelta::hours(1), true)
            .await
            .unwrap();
        let revoked = g
            .open_project_session(project.id, v.id, Surface::Users, TimeDelta::hours(1), false)
            .await
            .unwrap()
            .session;
        g.revoke_session(revoked.id).await.unwrap();
        let listed = g.project_sessions_of(project.id, v.id).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.id, s.is_impersonation))
                .collect::<Vec<_>>(),
            [(impersonating.session.id, true), (bound.id, false)],
            "{}",
            ctx("active project sessions, newest first")
        );
        assert!(
            g.project_sessions_of(Uuid::new_v4(), v.id)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            ctx("another project's sessions")
        );
        let later = bound.created_at + TimeDelta::seconds(90);
        store.touch_session(bound.id, later).await.unwrap();
        let touched = store.session(bound.id).await.unwrap().unwrap();
        assert_eq!(
            (touched.last_used_at, touched.created_at),
            (later, bound.created_at),
            "{}",
            ctx("touch moves last_used_at only")
        );
        let (resumed, _) = g
            .resume_project_session(project.id, Surface::Users, &impersonating.refresh_token)
            .await
            .unwrap();
        assert!(
            resumed.last_used_at >= impersonating.session.created_at,
            "{}",
            ctx("a refresh records its use")
        );
        assert_eq!(
            store
                .session(impersonating.session.id)
                .await
                .unwrap()
                .unwrap()
                .last_used_at,
            resumed.last_used_at,
            "{}",
            ctx("the use is stored")
        );
        // A password change that keeps one session ends the others, in the same write.
        let _other = g
            .open_project_session(project.id, v.id, Surface::Users, TimeDelta::hours(1), false)
            .await
            .unwrap()
            .session;
        g.update_user_ending(
            v.id,
            UserPatch {
                password: Some(Some(PasswordChange::Hash(bcrypt_like('k')))),
                ..UserPatch::default()
            },
            gateway_core::Revocation::AllBut(bound.id),
        )
        .await
        .unwrap();
        assert_eq!(
            g.project_sessions_of(project.id, v.id)
                .await
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            [bound.id],
            "{}",
            ctx("the kept session survives a password change, the others end")
        );
        let unbound = NewSession {
            user_id: v.id,
            ..session("hash-4")
        };
        assert!(
            matches!(
                store.insert_project_session(&unbound, Uuid::new_v4()).await,
                Err(StoreError::Other(_))
            ),
            "{}",
            ctx("a session of no project")
        );
        assert_eq!(
            store.session(unbound.id).await.unwrap(),
            None,
            "{}",
            ctx("nothing of a refused binding is kept")
        );
        store.reset().await.unwrap();
        assert_eq!(store.session_project(bound.id).await.unwrap(), None);
        assert_eq!(
            store.list_projects().await.unwrap(),
            vec![project],
            "{}",
            ctx("projects survive a reset")
        );
        println!("store_rules_below_the_gateway ran on {}", b.name);
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
        // Every read goes to the database, so that it meets the killed connection.
        user_cache: CacheLimits {
            entries: 0,
            bytes: 0,
        },
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

/// The users collection's keyset pages (`UserStore::query_users`): both keys both ways with ties
/// broken by id, the inclusive cursor and the next one (read as the `limit + 1`-th row), a
/// cursor naming no user, a cursor user the filters leave out, the flag filters, and the search
/// (Unicode case folding, `%`, `_` and `\` taken literally, the id alternative).
#[tokio::test]
async fn user_pages_follow_the_keyset() {
    use gateway_core::{FlagFilter, UserOrder, UserPage, UserQuery, UserSearch};
    /// A page as the numbers of its users and of the next cursor.
    type Page = (Vec<usize>, Option<usize>);

    // Ids chosen so that id order differs from insertion order: a digit sorts before a letter.
    let ids: Vec<UserId> = [0x9_u128, 0xa, 0x1, 0xf, 0x2]
        .iter()
        .map(|hi| UserId(Uuid::from_u128((hi << 124) | 0x4000_8000_0000_0000_0000)))
        .collect();
    let number = |id: UserId| ids.iter().position(|i| *i == id).map_or(0, |p| p + 1);
    let t = |s: i64| at(2024, 1, 1, 0, 0, 0, 0) + TimeDelta::seconds(s);
    // (signed up, last active, display name, email, anonymous, restricted by admin)
    let rows = [
        (
            10,
            40,
            Some("Ann 100%"),
            Some("ann@example.com"),
            false,
            false,
        ),
        (10, 30, Some("Bob_x"), Some("BOB@Example.COM"), false, false),
        (20, 10, Some("ÉLODIE"), None, true, false),
        (30, 20, Some("100 x\\y"), None, false, true),
        (20, 40, None, None, false, false),
    ];
    for b in backends() {
        let store = &b.store;
        for (i, (signed, active, name, email, anonymous, restricted)) in rows.iter().enumerate() {
            let mut u = User::new(ids[i], format!("page_{i}"), t(*signed));
            u.timestamps.signed_up_at = t(*signed);
            u.timestamps.last_active_at = t(*active);
            u.profile.display_name = name.map(str::to_owned);
            u.identity.email = email.map(str::to_owned);
            u.account.is_anonymous = *anonymous;
            u.account.restricted_by_admin = *restricted;
            store.insert_user(&u).await.unwrap();
        }
        let page = |q: UserQuery| {
            let store = store.clone();
            async move {
                let UserPage { users, next_cursor } = store.query_users(&q).await.unwrap();
                (
                    users.iter().map(|u| number(u.id)).collect::<Vec<_>>(),
                    next_cursor.map(number),
                )
            }
        };
        let q = |limit: usize, cursor: Option<usize>, order: UserOrder, desc: bool| UserQuery {
            limit,
            cursor: cursor.map(|n| ids[n - 1]),
            order,
            desc,
            ..UserQuery::default()
        };
        let (signed, active) = (UserOrder::SignedUpAt, UserOrder::LastActiveAt);
        let cases: Vec<(&str, UserQuery, Page)> = vec![
            (
                "signed up, ascending",
                q(10, None, signed, false),
                (vec![1, 2, 3, 5, 4], None),
            ),
            (
                "signed up, descending",
                q(10, None, signed, true),
                (vec![4, 5, 3, 2, 1], None),
            ),
            (
                "last active, ascending",
                q(10, None, active, false),
                (vec![3, 4, 2, 5, 1], None),
            ),
            (
                "last active, descending",
                q(10, None, active, true),
                (vec![1, 5, 2, 4, 3], None),
            ),
            (
                "first page",
                q(2, None, signed, false),
                (vec![1, 2], Some(3)),
            ),
            (
                "from the next cursor",
                q(2, Some(3), signed, false),
                (vec![3, 5], Some(4)),
            ),
            ("last page", q(2, Some(4), signed, false), (vec![4], None)),
            (
                "limit = rows",
                q(5, None, signed, false),
                (vec![1, 2, 3, 5, 4], None),
            ),
            (
                "limit = rows - 1",
                q(4, None, signed, false),
                (vec![1, 2, 3, 5], Some(4)),
            ),
            (
                "cursor inside a tie",
                q(2, Some(5), active, false),
                (vec![5, 1], None),
            ),
            (
                "descending from a tie",
                q(2, Some(5), active, true),
                (vec![5, 2], Some(4)),
            ),
            (
                "descending cursor",
                q(3, Some(2), signed, true),
                (vec![2, 1], None),
            ),
        ];
        for (what, query, want) in cases {
            assert_eq!(page(query).await, want, "{}: {what}", b.name);
        }
        let unknown = UserQuery {
            cursor: Some(UserId(Uuid::from_u128(0x5))),
            ..UserQuery::default()
        };
        assert_eq!(
            page(unknown).await,
            (vec![], None),
            "{}: unknown cursor",
            b.name
        );

        let filtered = |anonymous, restricted_by_admin, cursor: Option<usize>| UserQuery {
            anonymous,
            restricted_by_admin,
            cursor: cursor.map(|n| ids[n - 1]),
            ..UserQuery::default()
        };
        let (ex, inc, only) = (FlagFilter::Exclude, FlagFilter::Include, FlagFilter::Only);
        let cases = vec![
            ("no anonymous", filtered(ex, inc, None), vec![1, 2, 5, 4]),
            ("anonymous only", filtered(only, inc, None), vec![3]),
            (
                "neither anonymous nor restricted",
                filtered(ex, ex, None),
                vec![1, 2, 5],
            ),
            ("restricted only", filtered(inc, only, None), vec![4]),
            // The cursor user need not pass the filters: it marks where the page starts.
            (
                "cursor filtered out",
                filtered(ex, inc, Some(3)),
                vec![5, 4],
            ),
        ];
        for (what, query, want) in cases {
            assert_eq!(page(query).await, (want, None), "{}: {what}", b.name);
        }

        let search = |text: &str, id: Option<usize>| UserQuery {
            search: Some(UserSearch {
                text: text.to_owned(),
                id: id.map(|n| ids[n - 1]),
            }),
            ..UserQuery::default()
        };
        let cases = vec![
            ("% is literal", search("0%", None), vec![1]),
            ("_ is literal", search("n_1", None), vec![]),
            ("_ matches itself", search("B_X", None), vec![2]),
            ("\\ is literal", search("x\\y", None), vec![4]),
            ("\\ escapes nothing", search("x\\", None), vec![4]),
            ("Unicode case", search("éLo", None), vec![3]),
            ("email, case aside", search("EXAMPLE.com", None), vec![1, 2]),
            ("no match", search("zz", None), vec![]),
            ("the id alternative", search("zz", Some(4)), vec![4]),
            (
                "empty text: a name or an email",
                search("", None),
                vec![1, 2, 3, 4],
            ),
        ];
        for (what, query, want) in cases {
            assert_eq!(page(query).await, (want, None), "{}: search {what}", b.name);
        }
        let paged_search = UserQuery {
            limit: 1,
            cursor: Some(ids[1]),
            ..search("0", None)
        };
        assert_eq!(
            page(paged_search).await,
            (vec![4], None),
            "{}: search from a cursor that does not match",
            b.name
        );

        // The gateway clamps the limit to 1..=USER_PAGE_MAX.
        let clamped = b
            .gateway
            .query_users(&UserQuery {
                limit: 0,
                ..UserQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (clamped.users.len(), clamped.next_cursor),
            (1, Some(ids[1])),
            "{}: limit 0",
            b.name
        );
    }
}

/// A new team with only a name.
fn named_team(name: &str) -> gateway_core::NewTeam {
    gateway_core::NewTeam {
        display_name: name.into(),
        ..gateway_core::NewTeam::default()
    }
}
