//! Which columns a [`UserChanges`] writes, and their values, found without reading the user:
//! the change is applied (`UserChanges::apply_to`, the one patch-to-user mapping) to two probe
//! users that differ in every column. A column the change left alone is unchanged on both; a
//! column it sets is changed on one of them at least, and equal on both afterwards. That is the
//! changeset of a single `UPDATE ... SET` on any row, so PostgreSQL can write a change without
//! reading the row first (`write.rs`). A change whose result depends on the row it is applied to
//! (none today but the version, which SQL bumps itself) shows as a column that differs between the
//! two probes afterwards, and is written the reading way.
//!
//! The second probe is the first with every column flipped ([`Flip`], by column type, declared by
//! `user_columns!` from the one column list); the columns whose text is parsed on reading get a
//! valid value of their kind here. A new column of an existing type needs nothing in this file.

use chrono::TimeDelta;
use gateway_core::{User, UserChanges, UserId};

use super::{UserChangeset, UserRow, flipped};
use crate::values::Stamp;

/// A value that is different from the one it was made from.
pub(super) trait Flip {
    fn flip(&self) -> Self;
}

impl Flip for bool {
    fn flip(&self) -> Self {
        !*self
    }
}

impl Flip for i64 {
    fn flip(&self) -> Self {
        self.wrapping_add(1)
    }
}

impl Flip for String {
    fn flip(&self) -> Self {
        format!("{self}~")
    }
}

impl Flip for Stamp {
    fn flip(&self) -> Self {
        Stamp(self.0 + TimeDelta::days(1))
    }
}

impl<T: Default> Flip for Option<T> {
    fn flip(&self) -> Self {
        match self {
            Some(_) => None,
            None => Some(T::default()),
        }
    }
}

/// The two probe rows: a new user, and the same with every column but the id flipped (the
/// parsed columns to another valid value).
fn probes() -> [UserRow; 2] {
    let first = UserRow::from(&User::new(
        UserId(uuid::Uuid::nil()),
        "probe",
        chrono::DateTime::UNIX_EPOCH,
    ));
    let mut second = flipped(&first);
    second.kind = if first.kind == "regular" {
        "service_account"
    } else {
        "regular"
    }
    .to_owned();
    second.status = if first.status == "active" {
        "banned"
    } else {
        "active"
    }
    .to_owned();
    let uuid = |old: &Option<String>| old.is_none().then(|| uuid::Uuid::nil().to_string());
    second.organization_id = uuid(&first.organization_id);
    second.selected_team_id = uuid(&first.selected_team_id);
    let json = |old: &Option<String>| old.is_none().then(|| "{}".to_owned());
    second.client_metadata = json(&first.client_metadata);
    second.client_read_only_metadata = json(&first.client_read_only_metadata);
    second.server_metadata = json(&first.server_metadata);
    [first, second]
}

/// The columns `changes` writes with their values, the same whatever row it is applied to, and
/// without `version` (a change bumps it by one: SQL does that); `None` when some column's new
/// value depends on the row.
pub(super) fn touched(changes: &UserChanges) -> Option<UserChangeset> {
    let [first, second] = probes();
    let after = |row: &UserRow| -> Option<UserRow> {
        let mut user = User::try_from(row.clone()).ok()?;
        changes.apply_to(&mut user);
        let mut after = UserRow::from(&user);
        if after.version != row.version.wrapping_add(1) {
            return None;
        }
        after.version = row.version;
        Some(after)
    };
    let (first_after, second_after) = (after(&first)?, after(&second)?);
    UserChangeset::common(&first, first_after, &second, second_after)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use gateway_core::{Revocation, UserPatch, UserStatus};

    use super::*;
    use crate::users::equal_columns;

    /// Every column differs between the probes, and both read back as users: a new column of a
    /// type with no [`Flip`], or one whose text is parsed, fails here until `probes` flips it.
    #[test]
    fn the_probes_differ_in_every_column() {
        let [first, second] = probes();
        assert_eq!(equal_columns(&first, &second), ["id"]);
        for row in [first, second] {
            User::try_from(row).expect("a probe reads back as a user");
        }
    }

    fn at() -> DateTime<Utc> {
        "2026-12-05T10:00:00Z".parse().unwrap()
    }

    fn change(patch: UserPatch) -> UserChanges {
        UserChanges {
            patch,
            password_hash: None,
            revoke_sessions: Revocation::None,
            at: at(),
            channels: Vec::new(),
        }
    }

    /// The changeset of a patch, written onto any row, gives the row the core's `apply_to` gives:
    /// tried on a new user, on a user with every optional field set, and on both probes.
    #[test]
    fn touched_columns_are_the_change_on_any_row() {
        let patches = [
            UserPatch::default(),
            UserPatch {
                display_name: Some(Some("Ann".into())),
                ..UserPatch::default()
            },
            UserPatch {
                username: Some("ann".into()),
                email: Some(None),
                is_active: Some(false),
                status: Some(UserStatus::Banned),
                server_metadata: Some(Some(serde_json::json!({"a": 1}))),
                risk_scores: Some((5, 7)),
                selected_team_id: Some(Some(uuid::Uuid::from_u128(9))),
                ..UserPatch::default()
            },
        ];
        let [first, second] = probes();
        let mut full = User::new(UserId(uuid::Uuid::from_u128(1)), "full", at());
        full.identity.email = Some("full@example.com".into());
        full.profile.display_name = Some("Full".into());
        full.metadata.client = Some(serde_json::json!({"c": true}));
        full.account.is_active = false;
        let rows = [
            UserRow::from(&User::new(UserId(uuid::Uuid::from_u128(2)), "new", at())),
            UserRow::from(&full),
            first,
            second,
        ];
        for patch in patches {
            for password_hash in [None, Some(None), Some(Some("$argon2id$x".to_owned()))] {
                let mut changes = change(patch.clone());
                changes.password_hash = password_hash;
                let set = touched(&changes).expect("a patch sets constants");
                for row in &rows {
                    let mut expected = User::try_from(row.clone()).unwrap();
                    changes.apply_to(&mut expected);
                    let mut written = row.clone();
                    set.write_into(&mut written);
                    written.version += 1;
                    assert_eq!(User::try_from(written).unwrap(), expected, "{patch:?}");
                }
            }
        }
    }
}
