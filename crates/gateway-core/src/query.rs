//! Queries over the users collection: [`UserQuery`] (filters, a keyset order, an inclusive
//! cursor) and the [`UserPage`] a store answers it with ([`crate::UserStore::query_users`]).
//!
//! A page is read with a keyset, not an offset: the rows are ordered by `(key, id)`, the cursor
//! names the first row of the page (its key is looked up, so the cursor row need not pass the
//! filters), and the store reads one row more than the page holds to learn the next cursor. A
//! cursor naming no user gives an empty page without a next cursor.

use chrono::{DateTime, Utc};

use crate::{CoreError, Gateway, User, UserId};

/// The most users one page holds ([`UserQuery::limit`] is clamped to `1..=USER_PAGE_MAX`).
pub const USER_PAGE_MAX: usize = 1000;

/// The key a page is ordered by; ties are ordered by id, in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    /// `timestamps.signed_up_at`.
    #[default]
    SignedUpAt,
    /// `timestamps.last_active_at`.
    LastActiveAt,
}

impl UserOrder {
    /// The key of `user`.
    pub fn key(self, user: &User) -> DateTime<Utc> {
        match self {
            UserOrder::SignedUpAt => user.timestamps.signed_up_at,
            UserOrder::LastActiveAt => user.timestamps.last_active_at,
        }
    }
}

/// Which users a boolean flag of theirs lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlagFilter {
    /// Only users without the flag.
    Exclude,
    /// Every user, flag or not.
    #[default]
    Include,
    /// Only users with the flag.
    Only,
}

impl FlagFilter {
    /// Whether a user whose flag is `flag` passes.
    pub fn admits(self, flag: bool) -> bool {
        match self {
            FlagFilter::Exclude => !flag,
            FlagFilter::Include => true,
            FlagFilter::Only => flag,
        }
    }
}

/// A search: a user matches when its display name, its primary email or the value of one of its
/// other contact channels contains `text`, all lower-cased (Unicode `to_lowercase`; `%` and `_`
/// are plain characters), or when its id is `id`. A user without display name and channels
/// matches only by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSearch {
    /// The text looked for.
    pub text: String,
    /// A user that matches whatever its name and email.
    pub id: Option<UserId>,
}

impl UserSearch {
    /// The lower-cased text the folded columns must contain.
    pub fn needle(&self) -> String {
        self.text.to_lowercase()
    }

    /// Whether `user`, whose other channels have the values `channels`, matches (the reference
    /// the stores follow).
    pub fn matches<'a>(&self, user: &User, channels: impl IntoIterator<Item = &'a str>) -> bool {
        if self.id == Some(user.id) {
            return true;
        }
        let needle = self.needle();
        let contains = |v: &Option<String>| {
            v.as_deref()
                .is_some_and(|v| v.to_lowercase().contains(&needle))
        };
        contains(&user.profile.display_name)
            || contains(&user.identity.email)
            || channels
                .into_iter()
                .any(|v| v.to_lowercase().contains(&needle))
    }
}

/// One page of the users collection: filters, order and where the page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Page size, clamped by [`Gateway::query_users`] to `1..=`[`USER_PAGE_MAX`].
    pub limit: usize,
    /// The id of the first user of the page (inclusive): the `next_cursor` of the page before.
    pub cursor: Option<UserId>,
    /// Sort key.
    pub order: UserOrder,
    /// Descending order (key and id).
    pub desc: bool,
    /// Search (see [`UserSearch`]).
    pub search: Option<UserSearch>,
    /// Anonymous users (`account.is_anonymous`).
    pub anonymous: FlagFilter,
    /// Users restricted by an admin (`account.restricted_by_admin`).
    pub restricted_by_admin: FlagFilter,
    /// Members of this team only (a store filter: [`Self::admits`] does not see memberships).
    pub team: Option<uuid::Uuid>,
}

impl Default for UserQuery {
    fn default() -> Self {
        Self {
            limit: USER_PAGE_MAX,
            cursor: None,
            order: UserOrder::default(),
            desc: false,
            search: None,
            anonymous: FlagFilter::Include,
            restricted_by_admin: FlagFilter::Include,
            team: None,
        }
    }
}

impl UserQuery {
    /// The position of `user` in the order, ascending (reverse it for `desc`).
    pub fn position(&self, user: &User) -> (DateTime<Utc>, UserId) {
        (self.order.key(user), user.id)
    }

    /// Whether `user` (whose other channels have the values `channels`) passes the filters and
    /// the search (the cursor aside).
    pub fn admits<'a>(&self, user: &User, channels: impl IntoIterator<Item = &'a str>) -> bool {
        self.anonymous.admits(user.account.is_anonymous)
            && self
                .restricted_by_admin
                .admits(user.account.restricted_by_admin)
            && self
                .search
                .as_ref()
                .is_none_or(|s| s.matches(user, channels))
    }
}

/// A page of users and where the next one starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserPage {
    /// The users, in the query's order.
    pub users: Vec<User>,
    /// The id of the first user of the next page; `None` on the last page.
    pub next_cursor: Option<UserId>,
}

impl UserPage {
    /// The page of a query whose store read up to `limit + 1` rows in order: the row past the
    /// page, if any, is the next cursor.
    pub fn from_rows(mut rows: Vec<User>, limit: usize) -> Self {
        let next_cursor = rows.get(limit).map(|u| u.id);
        rows.truncate(limit);
        Self {
            users: rows,
            next_cursor,
        }
    }
}

impl Gateway {
    /// Reads one page of users ([`UserQuery`]); the limit is clamped to `1..=`[`USER_PAGE_MAX`].
    pub async fn query_users(&self, query: &UserQuery) -> Result<UserPage, CoreError> {
        let mut query = query.clone();
        query.limit = query.limit.clamp(1, USER_PAGE_MAX);
        Ok(self.store.query_users(&query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, email: Option<&str>) -> User {
        let mut u = User::new(UserId::new(), "u", Utc::now());
        u.profile.display_name = Some(name.to_owned());
        u.identity.email = email.map(str::to_owned);
        u
    }

    #[test]
    fn search_folds_case_and_takes_the_text_literally() {
        let u = user("Élodie 100%_x", Some("Mail@Example.COM"));
        let search = |text: &str, id| UserSearch {
            text: text.to_owned(),
            id,
        };
        assert!(search("éLO", None).matches(&u, []));
        assert!(search("0%_X", None).matches(&u, []));
        assert!(search("example.com", None).matches(&u, []));
        assert!(!search("0%x", None).matches(&u, []));
        assert!(!search("zz", None).matches(&u, []));
        assert!(search("zz", Some(u.id)).matches(&u, []));
        assert!(search("ZZ", None).matches(&u, ["other@zz.example"]));
        let mut bare = user("x", None);
        bare.profile.display_name = None;
        assert!(!search("", None).matches(&bare, []));
        assert!(search("", None).matches(&u, []));
    }

    #[test]
    fn flags_and_pages() {
        assert!(FlagFilter::Exclude.admits(false) && !FlagFilter::Exclude.admits(true));
        assert!(FlagFilter::Only.admits(true) && !FlagFilter::Only.admits(false));
        assert!(FlagFilter::Include.admits(true) && FlagFilter::Include.admits(false));
        let rows = vec![user("a", None), user("b", None), user("c", None)];
        let third = rows[2].id;
        let page = UserPage::from_rows(rows.clone(), 2);
        assert_eq!((page.users.len(), page.next_cursor), (2, Some(third)));
        let page = UserPage::from_rows(rows, 3);
        assert_eq!((page.users.len(), page.next_cursor), (3, None));
    }
}
