//! Updates kept prepared on their connection although diesel would not keep them.
//!
//! diesel never keeps an `UPDATE` in a connection's statement cache: `UpdateStatement::walk_ast`
//! marks every one unsafe to cache, since a changeset of optional columns can make a new SQL text
//! per call. So every user write was parsed and planned anew (on SQLite, 22% of the writer
//! thread's time went to `sqlite3Prepare`; docs/benchmarks.md). [`KeptUpdate`] writes the same
//! `UPDATE <table> SET <changeset> WHERE <key> = ?` itself, without that mark, so the connection
//! keeps it by its SQL text: the text is still built per call (cheap), the database's parse and
//! plan happen once per text. (A wrapper that only overrides `is_safe_to_cache_prepared` does not
//! work: diesel asks the question of a reference to the query, whose impl walks the AST again.)
//!
//! Only use it for changesets whose distinct texts the caller bounds: the cache keeps each text
//! for the life of the connection. The user writes use it for a change of at most one column
//! besides the version and the timestamp (`users/write.rs`): a few hundred texts at most.

use diesel::{
    QueryResult, RunQueryDsl,
    backend::Backend,
    query_builder::{AstPass, QueryFragment, QueryId},
    serialize::ToSql,
    sql_types::Text,
};

/// `UPDATE <table> SET <values> WHERE <key> = <id>`, kept prepared by its SQL text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeptUpdate<'a, V> {
    /// The table's name.
    pub table: &'static str,
    /// Its primary key column (text).
    pub key: &'static str,
    /// The key of the row to update.
    pub id: &'a str,
    /// What to set: a changeset (`AsChangeset::as_changeset`).
    pub values: V,
}

impl<DB, V> QueryFragment<DB> for KeptUpdate<'_, V>
where
    DB: Backend,
    V: QueryFragment<DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(self.table)?;
        out.push_sql(" SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        out.push_identifier(self.key)?;
        out.push_sql(" = ");
        out.push_bind_param::<Text, str>(self.id)?;
        Ok(())
    }
}

impl<V> QueryId for KeptUpdate<'_, V> {
    // Not a static id: the cache key is the SQL text (and the bind types).
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<V, Conn> RunQueryDsl<Conn> for KeptUpdate<'_, V> {}

/// [`KeptUpdate`] with more conditions and a `RETURNING` list: `UPDATE <table> SET <values>
/// WHERE <key> = <id> [AND <each filter>] RETURNING <returning>`, kept prepared by its SQL text.
/// The filters' texts must be few too (the caller's shapes of conditions, binds aside).
pub(crate) struct KeptUpdateReturning<'a, V, W, R> {
    /// The update.
    pub update: KeptUpdate<'a, V>,
    /// More conditions, each `AND`ed.
    pub filters: Vec<W>,
    /// What it returns (`Selectable::as_returning`).
    pub returning: R,
}

impl<DB, V, W, R> QueryFragment<DB> for KeptUpdateReturning<'_, V, W, R>
where
    DB: Backend,
    V: QueryFragment<DB>,
    W: QueryFragment<DB>,
    R: QueryFragment<DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.update.walk_ast(out.reborrow())?;
        for filter in &self.filters {
            out.push_sql(" AND (");
            filter.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        out.push_sql(" RETURNING ");
        self.returning.walk_ast(out.reborrow())
    }
}

impl<V, W, R> QueryId for KeptUpdateReturning<'_, V, W, R> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<V, W, R: diesel::Expression> diesel::query_builder::Query
    for KeptUpdateReturning<'_, V, W, R>
{
    type SqlType = R::SqlType;
}

impl<V, W, R, Conn> RunQueryDsl<Conn> for KeptUpdateReturning<'_, V, W, R> {}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::{
        connection::{Instrumentation, InstrumentationEvent},
        prelude::*,
        sqlite::SqliteConnection,
    };

    use super::KeptUpdate;

    diesel::table! {
        things (id) {
            id -> Text,
            name -> Text,
        }
    }

    /// Counts the statements the connection adds to its cache.
    #[derive(Clone, Default)]
    struct Cached(Arc<Mutex<Vec<String>>>);

    impl Instrumentation for Cached {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(sql.to_owned());
            }
        }
    }

    fn cached_updates(cached: &Cached) -> usize {
        cached
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|sql| sql.starts_with("UPDATE"))
            .count()
    }

    /// A database with one thing, `'1'` named `'a'`, and what its connection adds to its cache.
    #[expect(
        clippy::unwrap_used,
        reason = "test set-up: a failure here fails the test"
    )]
    fn things() -> (SqliteConnection, Cached) {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("INSERT INTO things VALUES ('1', 'a')")
            .execute(&mut conn)
            .unwrap();
        let cached = Cached::default();
        conn.set_instrumentation(cached.clone());
        (conn, cached)
    }

    #[test]
    fn kept_statements_are_prepared_once_and_others_never_kept() {
        let (mut conn, cached) = things();
        for name in ["b", "c", "d"] {
            diesel::update(things::table.find("1"))
                .set(things::name.eq(name))
                .execute(&mut conn)
                .unwrap();
        }
        assert_eq!(cached_updates(&cached), 0, "diesel keeps no UPDATE itself");
        for name in ["e", "f", "g"] {
            let n = KeptUpdate {
                table: "things",
                key: "id",
                id: "1",
                values: things::name.eq(name).as_changeset(),
            }
            .execute(&mut conn)
            .unwrap();
            assert_eq!(n, 1);
        }
        assert_eq!(cached_updates(&cached), 1, "kept once, reused twice");
        let name: String = things::table
            .find("1")
            .select(things::name)
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(name, "g", "each call wrote its own value");
    }

    #[test]
    fn kept_updates_with_conditions_return_the_row_and_are_prepared_once() {
        use super::KeptUpdateReturning;

        let (mut conn, cached) = things();
        let write = |conn: &mut SqliteConnection, from: &str, to: &str| {
            KeptUpdateReturning {
                update: KeptUpdate {
                    table: "things",
                    key: "id",
                    id: "1",
                    values: things::name.eq(to.to_owned()).as_changeset(),
                },
                filters: vec![things::name.eq(from.to_owned())],
                returning: (things::id, things::name),
            }
            .get_result::<(String, String)>(conn)
            .optional()
            .unwrap()
        };
        assert_eq!(write(&mut conn, "a", "b"), Some(("1".into(), "b".into())));
        assert_eq!(
            write(&mut conn, "a", "c"),
            None,
            "the condition holds it back"
        );
        assert_eq!(write(&mut conn, "b", "c"), Some(("1".into(), "c".into())));
        assert_eq!(cached_updates(&cached), 1, "kept once, reused twice");
    }
}
