//! `bench-raw-update`: the write ceiling of `make bench`. Opens the database exactly as the gateway
//! does (`DieselStore::open`: migrations, SQLite pragmas, WAL), creates `--rows` users (one by
//! default), then runs a loop of single-row `UPDATE users SET display_name = ?, updated_at = ?, version = version + 1 WHERE id = ?`
//! statements through the gateway's own pool (`gateway_storage::pool`, same manager and settings),
//! each thread checking a connection out per statement, for a fixed time, on `--threads` threads.
//! Thread `t` takes the rows in turn from row `t`, so with as many rows as threads no two threads
//! wait for one row lock. No HTTP, no auth, no transaction around the statement, no read back.
//!
//! Prints one JSON line: `{"backend", "threads", "rows", "seconds", "updates", "per_sec", "p50_us",
//! "p99_us", "errors", "all_updates"}` (`all_updates` counts the warm-up too, so that a caller can
//! divide the process's CPU time by it).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use diesel::prelude::*;
use gateway_core::{Gateway, NewUser};
use gateway_storage::{DbTarget, DieselStore, Manager, PoolOptions};

diesel::table! {
    /// The columns of the gateway's `users` table that the loop touches.
    users (id) {
        /// Primary key.
        id -> Text,
        /// The field a one-field write changes.
        display_name -> Nullable<Text>,
        /// Last change.
        updated_at -> Timestamp,
        /// Row version, bumped by every write.
        version -> BigInt,
    }
}

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "bench-raw-update",
    about = "Single-row UPDATE loop through the gateway's pool"
)]
struct Args {
    /// `sqlite://PATH` or `postgres://...` (migrated if new).
    #[arg(long)]
    database_url: String,
    /// How long to run after the warm-up.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Warm-up before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup_seconds: f64,
    /// Threads issuing updates, each checking a connection out of the pool per statement.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Pool size (the gateway's default is 8).
    #[arg(long, default_value_t = 8)]
    max_connections: u32,
    /// Users whose rows the threads update in turn.
    #[arg(long, default_value_t = 1)]
    rows: usize,
}

/// What one thread measured.
#[derive(Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: u64,
    /// Every statement, the warm-up's included.
    all: u64,
}

fn update_once(pool: &r2d2::Pool<Manager>, id: &str, n: u64) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let now = chrono::Utc::now().naive_utc();
    let changed = diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(format!("raw update {n}")),
            users::updated_at.eq(now),
            users::version.eq(users::version + 1),
        ))
        .execute(&mut **conn)?;
    anyhow::ensure!(changed == 1, "the user row is gone");
    Ok(())
}

fn run_thread(
    pool: &r2d2::Pool<Manager>,
    ids: &[String],
    first: usize,
    warmup_until: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0u64;
    let mut rows = ids.iter().cycle().skip(first);
    loop {
        let Some(id) = rows.next() else {
            return tally;
        };
        let start = Instant::now();
        if start >= until {
            return tally;
        }
        n += 1;
        tally.all += 1;
        let result = update_once(pool, id, n);
        if start < warmup_until {
            continue;
        }
        match result {
            Ok(()) => tally
                .latencies_ns
                .push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)),
            Err(_) => tally.errors += 1,
        }
    }
}

fn percentile_us(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted_ns.len() - 1) as f64).round() as usize;
    sorted_ns[rank.min(sorted_ns.len() - 1)] as f64 / 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = PoolOptions {
        max_connections: args.max_connections,
        ..PoolOptions::default()
    };
    let store = DieselStore::open(&args.database_url, &options)
        .with_context(|| format!("opening {}", args.database_url))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rows = args.rows.max(1);
    let ids = runtime.block_on(async {
        let gateway = Gateway::new(Arc::new(store));
        let mut ids = Vec::with_capacity(rows);
        for row in 0..rows {
            let name = format!("raw_update_{}_{row}", std::process::id());
            ids.push(
                gateway
                    .create_user(NewUser::regular(name))
                    .await?
                    .value
                    .id
                    .to_string(),
            );
        }
        anyhow::Ok(ids)
    })?;

    let target = DbTarget::from_url(&args.database_url)?;
    let backend = if target.is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    let pool = gateway_storage::pool(&target, &options);

    let started = Instant::now();
    let warmup_until = started + Duration::from_secs_f64(args.warmup_seconds);
    let until = warmup_until + Duration::from_secs_f64(args.seconds);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.threads.max(1))
            .map(|t| {
                let (pool, ids) = (&pool, &ids);
                scope.spawn(move || run_thread(pool, ids, t % rows, warmup_until, until))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });

    let mut latencies: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.latencies_ns.iter().copied())
        .collect();
    latencies.sort_unstable();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let all: u64 = tallies.iter().map(|t| t.all).sum();
    let updates = latencies.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "backend": backend,
            "threads": args.threads.max(1),
            "rows": rows,
            "seconds": args.seconds,
            "updates": latencies.len(),
            "per_sec": updates / args.seconds,
            "p50_us": percentile_us(&latencies, 50.0),
            "p99_us": percentile_us(&latencies, 99.0),
            "errors": errors,
            "all_updates": all,
        })
    );
    Ok(())
}
