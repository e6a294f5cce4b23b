//! Where diesel calls run, chosen for a server whose request handlers live on a few actix worker
//! threads (measured in docs/benchmarks.md; the hand-off to another thread cost more than the query):
//!
//! - **SQLite reads** ([`DieselStore::read`]) run inline on the calling thread with an idle pooled
//!   connection: a primary-key read is a few microseconds, and in WAL mode a reader never waits for
//!   a writer. Without an idle connection at hand the read goes to the blocking pool instead, so a
//!   worker never waits for a checkout.
//! - **SQLite writes** ([`DieselStore::run`]) go to one dedicated writer thread that owns one
//!   connection and runs them one after the other. SQLite serialises writers anyway; one writer
//!   removes `SQLITE_BUSY` between the gateway's own connections by design.
//! - **PostgreSQL** (both) runs on tokio's blocking pool with a pooled connection, since a query
//!   waits for the network.

use std::sync::mpsc;

use diesel::r2d2::R2D2Connection;
use gateway_core::StoreError;

use crate::{AnyConnection, DbTarget, DieselStore, conn, error::Failure};

/// A write as the writer thread sees it: given the connection (or why there is none).
type Job = Box<dyn FnOnce(Result<&mut AnyConnection, StoreError>) + Send>;

/// The handle of the SQLite writer thread. The thread ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread for `target`; its connection is opened on the first write (and
    /// again after a failure that broke it).
    pub(crate) fn spawn(target: DbTarget) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut connection: Option<AnyConnection> = None;
                while let Ok(job) = queue.recv() {
                    if connection.is_none() {
                        match conn::establish(&target) {
                            Ok(c) => connection = Some(c),
                            Err(e) => {
                                job(Err(StoreError::Unavailable(Box::new(e))));
                                continue;
                            }
                        }
                    }
                    if let Some(c) = connection.as_mut() {
                        job(Ok(c));
                        if c.is_broken() {
                            connection = None;
                        }
                    }
                }
            })?;
        Ok(Self { jobs })
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
            let _entered = span.enter();
            let result = conn.and_then(|c| f(c).map_err(|Failure(e)| e));
            // The caller may have gone away (request cancelled): nothing to tell then.
            drop(tx.send(result));
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?
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

    /// Runs `f` with a pooled connection on tokio's blocking pool, keeping the tracing span. The
    /// connection is checked out inside the blocking task.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Failure> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(crate::error::from_pool)?;
            f(&mut conn).map_err(|Failure(e)| e)
        })
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?
    }
}
