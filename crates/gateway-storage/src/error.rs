//! Driver errors mapped to store errors: unique violation -> conflict (naming the core field),
//! lost connection -> unavailable, everything else -> other.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use gateway_core::{Field, StoreError, UserField};

use crate::rows::CorruptRow;

/// Maps a diesel error to a store error.
pub fn from_diesel(e: DieselError) -> StoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let text = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or_default()
            );
            StoreError::Conflict(if text.contains("username") {
                UserField::Username.into()
            } else if text.contains("email") {
                UserField::Email.into()
            } else if text.contains("refresh_token") {
                Field::Other("refresh_token")
            } else {
                Field::Other("id")
            })
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => StoreError::Unavailable(Box::new(e)),
        DieselError::DatabaseError(_, ref info)
            if info.message().contains("database is locked")
                || info.message().contains("terminating connection")
                || info.message().contains("server closed the connection") =>
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
