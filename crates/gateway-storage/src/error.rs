//! Driver errors mapped to store errors: unique violation -> conflict (naming the core field, from
//! [`UNIQUE_FIELDS`]), lost connection -> unavailable, everything else -> other.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use gateway_core::{Field, StoreError, UserField};

use crate::values::CorruptRow;

/// Every unique constraint whose violation names a field other than a primary key, and that field.
/// PostgreSQL reports the constraint (index) name; SQLite reports an index on an expression by its
/// name and an index on columns as `table.column`, so such an index is listed under both. A
/// violation of any other constraint (a primary key) names `id`.
pub const UNIQUE_FIELDS: &[(&str, Field)] = &[
    (
        "users_username_lower_unique",
        Field::User(UserField::Username),
    ),
    ("users_email_lower_unique", Field::User(UserField::Email)),
    ("sessions_refresh_token_hash_unique", REFRESH_TOKEN_FIELD),
    ("sessions.refresh_token_hash", REFRESH_TOKEN_FIELD),
    (
        "contact_channels_auth_value_unique",
        gateway_core::channels::CHANNEL_FIELD,
    ),
];

/// The field of a refresh token's hash (unique per session).
const REFRESH_TOKEN_FIELD: Field = Field::Other("refresh_token");

/// The field a violation of primary key or an unlisted constraint names.
const PRIMARY_KEY_FIELD: Field = Field::Other("id");

/// How SQLite's message starts for a unique violation; what follows is the constraint.
const SQLITE_UNIQUE_PREFIX: &str = "UNIQUE constraint failed: ";

/// Driver messages of a connection that is gone or busy beyond its timeout (no error kind says
/// so): the store is unavailable rather than broken. Besides SQLite's busy timeout and
/// PostgreSQL's own shutdown notice, libpq's texts for a connection lost under it (a cut
/// network, a reset, a server gone between two statements of one transaction).
const UNAVAILABLE_MESSAGES: [&str; 8] = [
    "database is locked",
    "terminating connection",
    "server closed the connection",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
    "connection to server was lost",
    "SSL connection has been closed unexpectedly",
];

/// The constraint a unique violation names: PostgreSQL reports it; SQLite only in its message,
/// as `UNIQUE constraint failed: index 'name'` or `UNIQUE constraint failed: table.column, ...`.
fn violated_constraint(info: &dyn DatabaseErrorInformation) -> Option<&str> {
    info.constraint_name().or_else(|| {
        let target = info.message().strip_prefix(SQLITE_UNIQUE_PREFIX)?;
        Some(
            target
                .strip_prefix("index '")
                .and_then(|name| name.strip_suffix('\''))
                .unwrap_or(target),
        )
    })
}

/// The core field of a violated unique constraint.
pub fn conflict_field(constraint: Option<&str>) -> Field {
    constraint
        .and_then(|c| UNIQUE_FIELDS.iter().find(|(name, _)| *name == c))
        .map_or(PRIMARY_KEY_FIELD, |(_, field)| *field)
}

/// Maps a diesel error to a store error.
pub fn from_diesel(e: DieselError) -> StoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(conflict_field(violated_constraint(info.as_ref())))
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => StoreError::Unavailable(Box::new(e)),
        DieselError::DatabaseError(_, ref info)
            if UNAVAILABLE_MESSAGES
                .iter()
                .any(|m| info.message().contains(m)) =>
        {
            StoreError::Unavailable(Box::new(e))
        }
        other => StoreError::Other(Box::new(other)),
    }
}

/// Maps a pool checkout failure (timeout, refused connection) to `Unavailable`.
pub fn from_pool(e: r2d2::Error) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// A corrupt stored value is an internal failure.
impl From<CorruptRow> for Failure {
    fn from(e: CorruptRow) -> Self {
        Failure(StoreError::Other(Box::new(e)))
    }
}

/// A store error built inside a blocking closure; converts from diesel errors and corrupt rows.
#[derive(Debug)]
pub struct Failure(pub StoreError);

impl From<DieselError> for Failure {
    fn from(e: DieselError) -> Self {
        Failure(from_diesel(e))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection lost under a statement is `Unavailable` (a 503 in every dialect), whatever
    /// libpq's words for it; an unknown failure stays `Other`.
    #[test]
    fn lost_connections_are_unavailable() {
        let error = |message: &str| {
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
        };
        for message in UNAVAILABLE_MESSAGES {
            let text = format!("{message}: Connection reset by peer");
            assert!(
                matches!(from_diesel(error(&text)), StoreError::Unavailable(_)),
                "{text}"
            );
        }
        assert!(matches!(
            from_diesel(error("syntax error at or near \"x\"")),
            StoreError::Other(_)
        ));
    }

    /// Every unique index the migrations leave in place is in [`UNIQUE_FIELDS`], under both
    /// spellings for an index on plain columns; no entry names an index that does not exist.
    #[test]
    fn every_unique_index_of_the_schema_names_its_field() {
        for backend in ["sqlite", "postgres"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend);
            let mut migrations: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path().join("up.sql"))
                .collect();
            migrations.sort();
            // name -> indexed columns, as the migrations leave them.
            let mut indexes = std::collections::BTreeMap::new();
            for file in migrations {
                let sql = std::fs::read_to_string(&file).unwrap();
                for line in sql.lines().map(str::trim) {
                    if let Some(rest) = line.strip_prefix("CREATE UNIQUE INDEX ") {
                        let (name, rest) = rest.split_once(" ON ").unwrap();
                        let (table, columns) = rest.split_once(" (").unwrap();
                        let columns = columns.trim_end_matches(';').trim_end_matches(')');
                        indexes.insert(name.to_owned(), (table.to_owned(), columns.to_owned()));
                    } else if let Some(name) = line.strip_prefix("DROP INDEX ") {
                        indexes.remove(name.trim_end_matches(';'));
                    }
                }
            }
            assert!(indexes.len() >= 3, "{backend}: {indexes:?}");
            for (name, (table, columns)) in &indexes {
                let field = conflict_field(Some(name));
                assert_ne!(field, PRIMARY_KEY_FIELD, "{backend}: {name} is not listed");
                if !columns.contains('(') {
                    assert_eq!(
                        conflict_field(Some(&format!("{table}.{columns}"))),
                        field,
                        "{backend}: {name} as SQLite reports it"
                    );
                }
            }
            for (name, _) in UNIQUE_FIELDS {
                let known = indexes.contains_key(*name)
                    || indexes
                        .iter()
                        .any(|(_, (table, columns))| format!("{table}.{columns}") == *name);
                assert!(known, "{backend}: {name} is not an index of the schema");
            }
        }
    }

    /// SQLite's messages name the constraint in two shapes; both are read.
    #[test]
    fn sqlite_messages_name_the_constraint() {
        for (message, field) in [
            (
                "UNIQUE constraint failed: index 'users_email_lower_unique'",
                Field::User(UserField::Email),
            ),
            (
                "UNIQUE constraint failed: sessions.refresh_token_hash",
                REFRESH_TOKEN_FIELD,
            ),
            ("UNIQUE constraint failed: users.id", PRIMARY_KEY_FIELD),
        ] {
            let info: Box<dyn DatabaseErrorInformation + Send + Sync> =
                Box::new(message.to_owned());
            assert_eq!(
                conflict_field(violated_constraint(info.as_ref())),
                field,
                "{message}"
            );
        }
    }
}
