//! Column values shared by every aggregate: ids and JSON as text, naive UTC timestamps, and the
//! error of a stored value the core cannot accept.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub(crate) use crate::stamp::Stamp;

/// A value read back from the database that the core cannot accept.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {column} in stored row: {reason}")]
pub struct CorruptRow {
    column: &'static str,
    reason: String,
}

impl CorruptRow {
    /// A corrupt value in `column` (`table.column`).
    pub(crate) fn new(column: &'static str, reason: impl ToString) -> Self {
        Self {
            column,
            reason: reason.to_string(),
        }
    }
}

/// A UUID stored as text in `column`.
pub(crate) fn uuid(column: &'static str, s: &str) -> Result<Uuid, CorruptRow> {
    Uuid::parse_str(s).map_err(|e| CorruptRow::new(column, e))
}

/// A nullable UUID stored as text in `column`.
pub(crate) fn uuid_opt(
    column: &'static str,
    s: Option<String>,
) -> Result<Option<Uuid>, CorruptRow> {
    s.map(|s| uuid(column, &s)).transpose()
}

/// A stable name (`kind`, `status`, `surface`, `role`) parsed into its core enum.
pub(crate) fn parsed<T>(column: &'static str, s: &str) -> Result<T, CorruptRow>
where
    T: std::str::FromStr,
    T::Err: ToString,
{
    s.parse().map_err(|e: T::Err| CorruptRow::new(column, e))
}

/// A nullable JSON value stored as text in `column`.
pub(crate) fn json(column: &'static str, s: Option<String>) -> Result<Option<Value>, CorruptRow> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| CorruptRow::new(column, e)))
        .transpose()
}

/// The text a nullable JSON value is stored as.
pub(crate) fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

/// A time as stored: naive UTC.
pub(crate) fn naive(t: DateTime<Utc>) -> Stamp {
    Stamp(t.naive_utc())
}

/// A stored naive UTC time.
pub(crate) fn utc(t: Stamp) -> DateTime<Utc> {
    t.0.and_utc()
}
