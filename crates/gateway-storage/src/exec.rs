//! Where diesel calls run, chosen for a server whose request handlers live on a few actix worker
//! threads (measured in docs/benchmarks.md; the hand-off to another thread cost more than the query):
//!
//! - **SQLite reads** ([`DieselStore::read`]) run inline on the calling thread with an idle pooled
//!   connection: a primary-key read is a few microseconds, and in WAL mode a reader never waits for
//!   a writer. Without an idle connection at hand the read goes to the blocking pool instead, so a
//!   worker never waits for a checkout.
//! - **SQLite writes** ([`DieselStore::run`]) go to one dedicated writer thread that owns one
//!   connection and runs them one after the other. SQLite serialises writers anyway; one writer
//!   removes `SQLITE_BUSY` between the gateway's own connections by design. Writes queued while
//!   one runs are committed together (see `run_batch`).
//! - **PostgreSQL** (both) runs on tokio's blocking pool with a pooled connection, since a query
//!   waits for the network.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
};

use diesel::{Connection, connection::TransactionManager, r2d2::R2D2Connection};
use gateway_core::StoreError;

use crate::{AnyConnection, DbTarget, DieselStore, conn, error::Failure};

/// Sends a write's outcome to its caller, given the outcome of the transaction around it: `None`
/// when it committed (the write's own result goes out), or the error that undid it.
type Reply = Box<dyn FnOnce(Option<StoreError>) + Send>;

/// A write as the writer thread sees it: run with the connection (or why there is none), it
/// tells whether it succeeded and how to answer its caller once the batch is settled.
type Job = Box<dyn FnOnce(Result<&mut AnyConnection, StoreError>) -> (bool, Reply) + Send>;

/// Most writes committed together.
const MAX_BATCH: usize = 64;

type Tm = <AnyConnection as Connection>::TransactionManager;

/// The handle of the SQLite writer thread. The thread ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Connections the thread has opened so far (the number of the current one).
    opened: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer thread for `target`; its connection is opened with `options` on the
    /// first write (and again after a failure that broke it).
    pub(crate) fn spawn(target: DbTarget, options: conn::ConnOptions) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let opened = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&opened);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut connection: Option<AnyConnection> = None;
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    drain(&queue, &mut batch);
                    if batch.len() < MAX_BATCH {
                        // Let the threads that share this core queue what they have before
                        // the batch starts: woken by the first job, the writer would otherwise
                        // run it alone and be woken again for the next (measured in
                        // docs/benchmarks.md). Returns at once when nothing else is runnable.
                        std::thread::yield_now();
                        drain(&queue, &mut batch);
                    }
                    if connection.is_none() {
                        match conn::establish_with(&target, &options, true) {
                            Ok(c) => {
                                count.fetch_add(1, Ordering::AcqRel);
                                connection = Some(c);
                            }
                            Err(e) => {
                                let e = e.to_string();
                                for job in batch {
                                    let (_, reply) = job(Err(unavailable(&e)));
                                    reply(None);
                                }
                                continue;
                            }
                        }
                    }
                    if let Some(c) = connection.as_mut()
                        && !run_batch(c, batch)
                    {
                        connection = None;
                    }
                }
            })?;
        Ok(Self { jobs, opened })
    }

    /// Queues a read of `PRAGMA data_version` on the writer's connection (it changes only when
    /// another connection commits) and hands `f` the number of that connection and the value,
    /// without waiting; `false` when the writer has stopped (the user cache's watch, `listen.rs`).
    pub(crate) fn data_version(
        &self,
        f: impl FnOnce(u64, Result<i64, String>) + Send + 'static,
    ) -> bool {
        let opened = Arc::clone(&self.opened);
        let job: Job = Box::new(move |conn| {
            let read = match conn {
                Ok(c) => data_version(c),
                Err(e) => Err(e.to_string()),
            };
            f(opened.load(Ordering::Acquire), read);
            (true, Box::new(|_| {}))
        });
        self.jobs.send(job).is_ok()
    }

    /// Runs `f` on the writer thread and waits for its result without blocking the caller.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Failure> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let result = {
                let _entered = span.enter();
                conn.and_then(|c| f(c).map_err(|Failure(e)| e))
            };
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |undone| {
                let result = match undone {
                    Some(e) => Err(e),
                    None => result,
                };
                // The caller may have gone away (request cancelled): nothing to tell then.
                drop(tx.send(result));
            });
            (ok, reply)
        });
        self.jobs
            .send(job)
            .map_err(|_| unavailable("the database writer has stopped"))?;
        rx.await
            .map_err(|_| unavailable("the database writer has stopped"))?
    }
}

/// `PRAGMA data_version` of a SQLite connection.
fn data_version(c: &mut AnyConnection) -> Result<i64, String> {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        data_version: i64,
    }
    match c {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            diesel::RunQueryDsl::get_result::<Version>(diesel::sql_query("PRAGMA data_version"), c)
                .map(|v| v.data_version)
                .map_err(|e| e.to_string())
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => Err("not a SQLite connection".into()),
    }
}

/// Moves queued jobs into `batch` without waiting, up to [`MAX_BATCH`].
fn drain(queue: &mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

fn unavailable(why: &str) -> StoreError {
    StoreError::Unavailable(why.into())
}

/// Runs a batch of writes; returns `false` when the connection must be replaced.
///
/// One write runs as it is (its own statements, its own transaction if it opens one). Several
/// queued writes share one transaction (group commit: one WAL append instead of one per write),
/// each inside its own savepoint so that a failing write is undone alone; their callers hear back
/// only after the commit, and all of them get the error if the commit fails. A panicking write
/// undoes the whole batch and replaces the connection.
fn run_batch(c: &mut AnyConnection, batch: Vec<Job>) -> bool {
    if batch.len() == 1 {
        let mut replies = Vec::with_capacity(1);
        let finished = catch_unwind(AssertUnwindSafe(|| {
            for job in batch {
                replies.push(job(Ok(&mut *c)).1);
            }
        }));
        for reply in replies {
            reply(None);
        }
        return finished.is_ok() && !c.is_broken();
    }
    if let Err(e) = Tm::begin_transaction(c) {
        let e = e.to_string();
        for job in batch {
            // Not run: the batch could not start. The caller gets the reason.
            let (_, reply) = job(Err(unavailable(&e)));
            reply(None);
        }
        return !c.is_broken();
    }
    let mut replies = Vec::with_capacity(batch.len());
    let finished = catch_unwind(AssertUnwindSafe(|| -> Result<(), diesel::result::Error> {
        for job in batch {
            Tm::begin_transaction(c)?;
            let (ok, reply) = job(Ok(&mut *c));
            replies.push(reply);
            if ok {
                Tm::commit_transaction(c)?;
            } else {
                Tm::rollback_transaction(c)?;
            }
        }
        Ok(())
    }));
    let outcome = match finished {
        Ok(Ok(())) => Tm::commit_transaction(c).map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("a write failed unexpectedly".to_owned()),
    };
    match outcome {
        Ok(()) => {
            for reply in replies {
                reply(None);
            }
            !c.is_broken()
        }
        Err(why) => {
            // Dropping the connection rolls back whatever is still open.
            for reply in replies {
                reply(Some(unavailable(&why)));
            }
            false
        }
    }
}

impl DieselStore {
    /// Runs a write (or anything that must not run inline): on the SQLite writer thread, or with a
    /// pooled connection on the blocking pool (PostgreSQL).
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Failure> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.run(f).await,
            None => self.blocking(f).await,
        }
    }

    /// Runs a short read: inline with an idle pooled connection on SQLite, else on the blocking
    /// pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Failure> + Send + 'static,
    {
        if self.target.is_sqlite()
            && let Some(mut conn) = self.pool.try_get()
        {
            return f(&mut conn).map_err(|Failure(e)| e);
        }
        self.blocking(f).await
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool, keeping the tracing span. At
    /// most one task per pooled connection is on the blocking pool at a time (the others wait for
    /// a permit, as long as the pool's checkout timeout); the connection is checked out inside the
    /// blocking task.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Failure> + Send + 'static,
    {
        let deadline = std::time::Instant::now() + self.acquire_timeout;
        let permit = match tokio::time::timeout(
            self.acquire_timeout,
            std::sync::Arc::clone(&self.permits).acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(StoreError::Unavailable(Box::new(closed))),
            Err(elapsed) => return Err(StoreError::Unavailable(Box::new(elapsed))),
        };
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = span.enter();
            // The permit's wait counts against the checkout timeout.
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let mut conn = pool
                .get_timeout(left.max(std::time::Duration::from_millis(1)))
                .map_err(crate::error::from_pool)?;
            f(&mut conn).map_err(|Failure(e)| e)
        })
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gateway_core::{ErrorKind, Gateway, NewUser, UserPatch};

    use crate::{DieselStore, PoolOptions};

    fn store() -> (tempfile::TempDir, DieselStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("exec.db").display());
        let store = DieselStore::open(&url, &PoolOptions::default()).unwrap();
        (dir, store)
    }

    /// Blocking-pool calls hold one permit per pooled connection: with every permit taken, a call
    /// waits at most the checkout timeout in all (permit and checkout together) and then reports
    /// the store unavailable; once a permit is free again, calls go through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn calls_beyond_the_pool_size_wait_for_a_permit_then_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("permits.db").display());
        let options = PoolOptions {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_millis(200),
            ..PoolOptions::default()
        };
        let store = DieselStore::open(&url, &options).unwrap();
        let (held, release) = std::sync::mpsc::channel::<()>();
        let holder = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .blocking(move |_conn| {
                        // Keep the only permit (and connection) until told to let go.
                        let _ = release.recv();
                        Ok(())
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let waited = store.blocking(|_conn| Ok(())).await;
        let elapsed = started.elapsed();
        assert!(
            matches!(waited, Err(gateway_core::StoreError::Unavailable(_))),
            "{waited:?}"
        );
        assert!(
            elapsed >= std::time::Duration::from_millis(150)
                && elapsed < std::time::Duration::from_secs(2),
            "{elapsed:?}"
        );
        held.send(()).unwrap();
        holder.await.unwrap().unwrap();
        store.blocking(|_conn| Ok(())).await.unwrap();
    }

    /// Many concurrent writes queue up behind each other and are committed in batches: every
    /// write lands exactly once, and a write that fails (a username conflict) fails alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn queued_writes_commit_together_and_fail_alone() {
        let (_dir, store) = store();
        let gateway = Gateway::new(Arc::new(store));
        let a = gateway
            .create_user(NewUser::regular("alice"))
            .await
            .unwrap()
            .value;
        let b = gateway
            .create_user(NewUser::regular("bob"))
            .await
            .unwrap()
            .value;
        let mut tasks = Vec::new();
        for i in 0..60 {
            let gateway = gateway.clone();
            tasks.push(tokio::spawn(async move {
                let (id, patch) = if i % 3 == 0 {
                    // Taken by alice: a conflict for bob.
                    (
                        b.id,
                        UserPatch {
                            username: Some("alice".into()),
                            ..UserPatch::default()
                        },
                    )
                } else {
                    let name = format!("name {i}");
                    (
                        a.id,
                        UserPatch {
                            display_name: Some(Some(name)),
                            ..UserPatch::default()
                        },
                    )
                };
                (i, gateway.update_user(id, patch).await.map(|o| o.value))
            }));
        }
        let mut applied = 0;
        for task in tasks {
            let (i, result) = task.await.unwrap();
            if i % 3 == 0 {
                assert_eq!(result.unwrap_err().kind(), ErrorKind::Conflict, "write {i}");
            } else {
                assert_eq!(
                    result.unwrap().profile.display_name,
                    Some(format!("name {i}"))
                );
                applied += 1;
            }
        }
        let a = gateway.user(a.id).await.unwrap();
        assert_eq!(
            a.version,
            1 + applied,
            "every successful write bumped the version once"
        );
        let b = gateway.user(b.id).await.unwrap();
        assert_eq!(
            (b.identity.username.as_str(), b.version),
            ("bob", 1),
            "failed writes left no trace"
        );
    }

    /// A write that panics is reported as unavailable to its caller; the writer goes on with a
    /// new connection.
    #[tokio::test]
    async fn a_panicking_write_does_not_stop_the_writer() {
        let (_dir, store) = store();
        let result: Result<(), _> = store.run(|_| panic!("boom")).await;
        assert!(matches!(
            result,
            Err(gateway_core::StoreError::Unavailable(_))
        ));
        let gateway = Gateway::new(Arc::new(store));
        let user = gateway
            .create_user(NewUser::regular("carol"))
            .await
            .unwrap()
            .value;
        assert_eq!(
            gateway.user(user.id).await.unwrap().identity.username,
            "carol"
        );
    }
}
