//! Text search in SQL with the core's rules (`gateway_core::UserSearch`): a column lower-cased as
//! Rust's `to_lowercase` does contains the lower-cased text, `%` and `_` in it taken literally.
//!
//! The folding differs per backend only in its name: SQLite's built-in `lower()` folds ASCII only,
//! so each SQLite connection gets [`fold`] (`gateway_fold`, Rust's `to_lowercase`) registered when
//! it is opened; PostgreSQL's `lower()` folds Unicode under the database's UTF-8 ctype (it maps
//! character by character, so a final `Σ` becomes `σ` where Rust writes `ς`). Neither function is
//! used in an index.

use diesel::{
    define_sql_function,
    sql_types::{Nullable, Text},
};

define_sql_function! {
    /// SQLite: Rust's `to_lowercase`, registered on every connection ([`register`]).
    #[sql_name = "gateway_fold"]
    fn fold(x: Nullable<Text>) -> Nullable<Text>;
}

/// Registers [`fold`] on a SQLite connection (deterministic, as Rust's `to_lowercase` is).
#[cfg(feature = "sqlite")]
pub(crate) fn register(conn: &mut diesel::sqlite::SqliteConnection) -> diesel::QueryResult<()> {
    fold_utils::register_impl(conn, |x: Option<String>| x.map(|s| s.to_lowercase()))
}

/// The escape character of [`contains_pattern`].
pub(crate) const ESCAPE: char = '\\';

/// The `LIKE` pattern (with [`ESCAPE`]) of "contains `text`": `%`, `_` and the escape character
/// itself match only themselves.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_') || c == ESCAPE {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_the_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
