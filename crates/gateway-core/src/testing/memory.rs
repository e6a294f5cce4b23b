//! [`MemoryStore`]: every port of [`crate::ports`] over maps behind one mutex, with the semantics
//! `gateway-storage` has on SQLite and PostgreSQL: usernames and emails unique regardless of
//! letter case and across the two columns, `Conflict` naming the field (`id` for a taken primary
//! key, `refresh_token` for a taken refresh-token hash), `Stale` on a version mismatch, references
//! to absent rows refused as the foreign keys refuse them, deletes that take dependent rows with
//! them, one transaction per call (a call that fails writes nothing).
//!
//! Users are kept as whole [`User`] values and changed only through
//! [`UserChanges::apply_to`], the code path every store shares; the few user fields the store
//! itself reads (identities, version, listing order) are read in one place, [`user_keys`]; the
//! keyset pages of [`UserStore::query_users`] use the query's own rules
//! ([`crate::UserQuery::position`], [`crate::UserQuery::admits`]).
//!
//! Letter case is folded with Unicode lower-casing, as PostgreSQL's `lower()` does (SQLite's folds
//! ASCII only; the two agree on every username the core accepts and on every email it has
//! normalised).

use crate::Revocation;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Field, IdempotencyKey, IdempotencyRecord, StoredResponse, UserField,
    channels::{CHANNEL_FIELD, ChannelStore, ChannelWrite, ContactChannel},
    codes::{CodeStore, OneTimeCode},
    device::{DeviceAuthorization, DeviceState, DeviceStore, DeviceTransition},
    model::{ApiKey, NewApiKey, NewSession, Session, Team, TeamMembership, TeamRole, User, UserId},
    ports::{
        ApiKeyStore, IdempotencyStore, MaintenanceStore, ProjectStore, SecretStore, SessionStore,
        StoreError, TeamStore, UserChanges, UserStore,
    },
    project::{Project, ProjectPatch},
    query::{UserPage, UserQuery},
    teams::{FirstMember, Member, TeamPatch},
};

/// An in-memory store for tests. Cheap to create; `Default` is empty.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone)]
struct State {
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<Uuid, Team>,
    memberships: BTreeMap<(Uuid, UserId), Membership>,
    sessions: BTreeMap<Uuid, Session>,
    api_keys: BTreeMap<String, ApiKey>,
    idempotency: HashMap<IdempotencyKey, IdempotencyRecord>,
    projects: BTreeMap<Uuid, Project>,
    /// Session id -> project id.
    project_sessions: BTreeMap<Uuid, Uuid>,
    secrets: BTreeMap<String, String>,
    codes: BTreeMap<Uuid, OneTimeCode>,
    devices: BTreeMap<Uuid, DeviceAuthorization>,
    /// In insertion order.
    webhooks: Vec<crate::WebhookEndpoint>,
    /// Users' other contact channels, in insertion order.
    channels: Vec<ContactChannel>,
}

#[derive(Debug, Clone)]
struct Membership {
    role: TeamRole,
    /// Sorted, each once.
    permissions: Vec<String>,
    joined_at: DateTime<Utc>,
}

/// The fields of a user the store itself reads: its identities (unique, letter case aside), its
/// version (optimistic concurrency) and its listing order.
struct UserKeys<'a> {
    id: UserId,
    username: &'a str,
    email: Option<&'a str>,
    version: i64,
    order: (DateTime<Utc>, UserId),
}

fn user_keys(user: &User) -> UserKeys<'_> {
    UserKeys {
        id: user.id,
        username: &user.identity.username,
        email: user.identity.email.as_deref(),
        version: user.version,
        order: (user.timestamps.created_at, user.id),
    }
}

/// The folding of the unique indexes on `lower(username)` and `lower(email)`.
fn fold(value: &str) -> String {
    value.to_lowercase()
}

/// What a foreign key refuses (the diesel store reports it as `Other` too).
fn missing(what: &str) -> StoreError {
    StoreError::Other(format!("foreign key violation: no such {what}").into())
}

impl MemoryStore {
    /// Runs `f` on the state as one transaction: on error nothing it changed is kept.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.lock();
        let mut draft = guard.clone();
        let out = f(&mut draft)?;
        *guard = draft;
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, StoreError> {
        Ok(f(&self.lock()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock left a consistent state (every write is
        // swapped in whole).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// A username (or email) that user `id` is about to write and another user already has as
    /// its email (or username), letter case aside: the rule no index can hold.
    fn check_across(
        &self,
        id: UserId,
        username: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        let others = || {
            self.users
                .values()
                .map(user_keys)
                .filter(move |k| k.id != id)
        };
        if let Some(name) = username.map(fold)
            && others().any(|k| k.email.map(fold).as_deref() == Some(name.as_str()))
        {
            return Err(StoreError::Conflict(UserField::Username.into()));
        }
        if let Some(email) = email.map(fold)
            && others().any(|k| fold(k.username) == email)
        {
            return Err(StoreError::Conflict(UserField::Email.into()));
        }
        for (value, field) in [(username, UserField::Username), (email, UserField::Email)] {
            if let Some(value) = value
                && self.auth_channel_of_other(id, value)
            {
                return Err(StoreError::Conflict(field.into()));
            }
        }
        Ok(())
    }

    /// Whether a user other than `id` signs in with an other channel of value `value`.
    fn auth_channel_of_other(&self, id: UserId, value: &str) -> bool {
        let value = fold(value);
        self.channels
            .iter()
            .any(|c| c.user_id != id && c.used_for_auth && fold(&c.value) == value)
    }

    /// Applies a user's channel writes ([`ChannelWrite`]): a channel used for sign-in may not be
    /// another user's username, email or sign-in channel.
    fn write_channels(&mut self, id: UserId, writes: &[ChannelWrite]) -> Result<(), StoreError> {
        for write in writes {
            match write {
                ChannelWrite::Remove(channel) => self
                    .channels
                    .retain(|c| !(c.user_id == id && c.id == *channel)),
                ChannelWrite::Put(channel) => {
                    let value = fold(&channel.value);
                    let held = self.users.values().map(user_keys).any(|k| {
                        k.id != id
                            && (fold(k.username) == value
                                || k.email.map(fold).as_deref() == Some(value.as_str()))
                    });
                    if channel.used_for_auth
                        && (held || self.auth_channel_of_other(id, &channel.value))
                    {
                        return Err(StoreError::Conflict(CHANNEL_FIELD));
                    }
                    self.channels
                        .retain(|c| !(c.user_id == id && c.id == channel.id));
                    let mut stored = channel.clone();
                    stored.user_id = id;
                    stored.is_primary = false;
                    self.channels.push(stored);
                }
            }
        }
        Ok(())
    }

    /// The unique indexes on `lower(username)` and `lower(email)`, for the row `user` would be.
    fn check_unique(&self, user: &User) -> Result<(), StoreError> {
        let keys = user_keys(user);
        let others = || {
            self.users
                .values()
                .map(user_keys)
                .filter(|k| k.id != keys.id)
        };
        let name = fold(keys.username);
        if others().any(|k| fold(k.username) == name) {
            return Err(StoreError::Conflict(UserField::Username.into()));
        }
        if let Some(email) = keys.email.map(fold)
            && others().any(|k| k.email.map(fold).as_deref() == Some(email.as_str()))
        {
            return Err(StoreError::Conflict(UserField::Email.into()));
        }
        Ok(())
    }

    /// Users in `who` who had selected team `team_id` have none after: a change of each at `at`.
    fn unselect(&mut self, team_id: Uuid, who: impl Fn(UserId) -> bool, at: DateTime<Utc>) {
        for user in self.users.values_mut() {
            if user.account.selected_team_id == Some(team_id) && who(user.id) {
                user.account.selected_team_id = None;
                user.version += 1;
                user.timestamps.updated_at = at;
            }
        }
    }

    fn require_user(&self, id: UserId) -> Result<(), StoreError> {
        if self.users.contains_key(&id) {
            Ok(())
        } else {
            Err(missing("user"))
        }
    }

    fn insert_session(&mut self, new: &NewSession) -> Result<(), StoreError> {
        if self.sessions.contains_key(&new.id) {
            return Err(StoreError::Conflict(Field::Other("id")));
        }
        if self
            .sessions
            .values()
            .any(|s| s.refresh_token_hash == new.refresh_token_hash)
        {
            return Err(StoreError::Conflict(Field::Other("refresh_token")));
        }
        self.require_user(new.user_id)?;
        self.sessions.insert(new.id, new.clone().into_session());
        Ok(())
    }

    /// Deletes sessions matching `which`, with their project bindings.
    fn delete_sessions(&mut self, which: impl Fn(&Session) -> bool) {
        let gone: Vec<Uuid> = self
            .sessions
            .values()
            .filter(|s| which(s))
            .map(|s| s.id)
            .collect();
        for id in gone {
            self.sessions.remove(&id);
            self.project_sessions.remove(&id);
        }
    }

    fn revoke_sessions_of(&mut self, user_id: UserId, at: DateTime<Utc>) -> u64 {
        self.revoke_sessions_but(user_id, None, at)
    }

    /// Revokes the user's sessions except `keep`; returns how many.
    fn revoke_sessions_but(
        &mut self,
        user_id: UserId,
        keep: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> u64 {
        let mut n = 0;
        for s in self.sessions.values_mut() {
            if s.user_id == user_id && s.revoked_at.is_none() && Some(s.id) != keep {
                s.revoked_at = Some(at);
                n += 1;
            }
        }
        n
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        self.write(|s| {
            let keys = user_keys(user);
            s.check_across(keys.id, Some(keys.username), keys.email)?;
            if s.users.contains_key(&keys.id) {
                return Err(StoreError::Conflict(Field::Other("id")));
            }
            s.check_unique(user)?;
            s.users.insert(keys.id, user.clone());
            Ok(())
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|s| s.users.get(&id).cloned())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let wanted = fold(username);
        self.read(|s| {
            s.users
                .values()
                .find(|u| fold(user_keys(u).username) == wanted)
                .cloned()
        })
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let wanted = fold(email);
        self.read(|s| {
            s.users
                .values()
                .find(|u| u.identity.email.as_deref().map(fold) == Some(wanted.clone()))
                .cloned()
        })
    }

    async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>, StoreError> {
        self.read(|s| {
            let mut users: Vec<&User> = s.users.values().collect();
            users.sort_by_key(|u| user_keys(u).order);
            users
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(0))
                .take(usize::try_from(limit).unwrap_or(0))
                .cloned()
                .collect()
        })
    }

    async fn query_users(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        self.read(|s| {
            let ascending = |a: &User, b: &User| query.position(a).cmp(&query.position(b));
            let ordered = |a: &User, b: &User| {
                let o = ascending(a, b);
                if query.desc { o.reverse() } else { o }
            };
            let start = match query.cursor {
                None => None,
                Some(id) => match s.users.get(&id) {
                    None => return UserPage::default(),
                    Some(u) => Some(u),
                },
            };
            let mut users: Vec<&User> = s
                .users
                .values()
                .filter(|u| query.admits(u, s.channel_values(u.id)))
                .filter(|u| {
                    query
                        .team
                        .is_none_or(|t| s.memberships.contains_key(&(t, u.id)))
                })
                .filter(|u| start.is_none_or(|c| ordered(u, c).is_ge()))
                .collect();
            users.sort_by(|a, b| ordered(a, b));
            users.truncate(query.limit.saturating_add(1));
            UserPage::from_rows(users.into_iter().cloned().collect(), query.limit)
        })
    }

    async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<Option<User>, StoreError> {
        self.write(|s| {
            let patch = &changes.patch;
            s.check_across(
                id,
                patch.username.as_deref(),
                patch.email.as_ref().and_then(Option::as_deref),
            )?;
            let Some(current) = s.users.get(&id) else {
                return Ok(None);
            };
            if let Some(expected) = patch.expected_version
                && user_keys(current).version != expected
            {
                return Err(StoreError::Stale);
            }
            let mut next = current.clone();
            changes.apply_to(&mut next);
            s.check_unique(&next)?;
            s.users.insert(id, next.clone());
            s.write_channels(id, &changes.channels)?;
            let keep = match changes.revoke_sessions {
                Revocation::None => None,
                Revocation::All => Some(None),
                Revocation::AllBut(kept) => Some(Some(kept)),
            };
            if let Some(keep) = keep {
                s.revoke_sessions_but(id, keep, changes.at);
            }
            Ok(Some(next))
        })
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError> {
        self.write(|s| {
            s.delete_sessions(|x| x.user_id == id);
            s.api_keys.retain(|_, k| k.user_id != id);
            s.memberships.retain(|(_, user_id), _| *user_id != id);
            s.idempotency.retain(|key, _| key.user_id != id);
            s.codes.retain(|_, c| c.user_id != Some(id));
            s.channels.retain(|c| c.user_id != id);
            s.devices.retain(|_, d| {
                d.user_id != Some(id) && d.ticket.as_ref().is_none_or(|t| t.1 != id)
            });
            Ok(s.users.remove(&id).is_some())
        })
    }
}

#[async_trait]
impl TeamStore for MemoryStore {
    async fn insert_team(&self, team: &Team, first: Option<FirstMember>) -> Result<(), StoreError> {
        self.write(|s| {
            if s.teams.contains_key(&team.id) {
                return Err(StoreError::Conflict(Field::Other("id")));
            }
            s.teams.insert(team.id, team.clone());
            if let Some(FirstMember {
                user_id,
                role,
                select,
            }) = first
            {
                s.require_user(user_id)?;
                s.memberships.insert(
                    (team.id, user_id),
                    Membership {
                        role,
                        permissions: vec![role.default_permission().to_owned()],
                        joined_at: team.created_at,
                    },
                );
                if let Some(user) = s.users.get_mut(&user_id).filter(|_| select) {
                    user.account.selected_team_id = Some(team.id);
                    user.version += 1;
                    user.timestamps.updated_at = team.created_at;
                }
            }
            Ok(())
        })
    }

    async fn team(&self, id: Uuid) -> Result<Option<Team>, StoreError> {
        self.read(|s| s.teams.get(&id).cloned())
    }

    async fn update_team(
        &self,
        id: Uuid,
        patch: &TeamPatch,
        _at: DateTime<Utc>,
    ) -> Result<Option<Team>, StoreError> {
        self.write(|s| {
            Ok(s.teams.get_mut(&id).map(|team| {
                patch.apply_to(team);
                team.clone()
            }))
        })
    }

    async fn delete_team(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|s| {
            if s.teams.remove(&id).is_none() {
                return Ok(false);
            }
            s.memberships.retain(|(team_id, _), _| *team_id != id);
            s.unselect(id, |_| true, at);
            Ok(true)
        })
    }

    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            if let Some(existing) = s.memberships.get_mut(&(team_id, user_id)) {
                existing.role = role;
                return Ok(false);
            }
            if !s.teams.contains_key(&team_id) {
                return Err(missing("team"));
            }
            s.require_user(user_id)?;
            s.memberships.insert(
                (team_id, user_id),
                Membership {
                    role,
                    permissions: vec![role.default_permission().to_owned()],
                    joined_at: at,
                },
            );
            Ok(true)
        })
    }

    async fn remove_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            if s.memberships.remove(&(team_id, user_id)).is_none() {
                return Ok(false);
            }
            s.unselect(team_id, |u| u == user_id, at);
            Ok(true)
        })
    }

    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError> {
        self.read(|s| {
            let mut out: Vec<TeamMembership> = s
                .memberships
                .iter()
                .filter(|((_, user), _)| *user == user_id)
                .filter_map(|((team_id, _), m)| {
                    s.teams.get(team_id).map(|team| TeamMembership {
                        team: team.clone(),
                        role: m.role,
                        permissions: m.permissions.clone(),
                        joined_at: m.joined_at,
                    })
                })
                .collect();
            out.sort_by_key(|m| (m.joined_at, m.team.id));
            out
        })
    }

    async fn members(&self, team_id: Uuid) -> Result<Vec<Member>, StoreError> {
        self.read(|s| {
            let mut out: Vec<Member> = s
                .memberships
                .iter()
                .filter(|((team, _), _)| *team == team_id)
                .map(|((_, user_id), m)| Member {
                    user_id: *user_id,
                    role: m.role,
                    permissions: m.permissions.clone(),
                    joined_at: m.joined_at,
                })
                .collect();
            out.sort_by_key(|m| (m.joined_at, m.user_id));
            out
        })
    }

    async fn change_permission(
        &self,
        team_id: Uuid,
        user_id: UserId,
        permission: &str,
        grant: bool,
    ) -> Result<Option<(Vec<String>, bool)>, StoreError> {
        self.write(|s| {
            let Some(m) = s.memberships.get_mut(&(team_id, user_id)) else {
                return Ok(None);
            };
            let after = crate::teams::changed(&m.permissions, permission, grant);
            let changed = after != m.permissions;
            m.permissions = after;
            Ok(Some((m.permissions.clone(), changed)))
        })
    }

    async fn list_teams(&self) -> Result<Vec<Team>, StoreError> {
        self.read(|s| {
            let mut out: Vec<Team> = s.teams.values().cloned().collect();
            out.sort_by_key(|t| (t.created_at, t.id));
            out
        })
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        self.write(|s| s.insert_session(session))
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        self.read(|s| {
            s.sessions
                .values()
                .find(|x| x.refresh_token_hash == hash)
                .cloned()
        })
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.read(|s| s.sessions.get(&id).cloned())
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|s| {
            if let Some(session) = s.sessions.get_mut(&id) {
                session.last_used_at = at;
            }
            Ok(())
        })
    }

    async fn revoke_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|s| match s.sessions.get_mut(&id) {
            Some(session) if session.revoked_at.is_none() => {
                session.revoked_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    async fn revoke_sessions(&self, user_id: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(|s| Ok(s.revoke_sessions_of(user_id, at)))
    }

    async fn active_sessions_of(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, StoreError> {
        self.read(|s| {
            let mut out: Vec<Session> = s
                .sessions
                .values()
                .filter(|x| x.user_id == user_id && x.revoked_at.is_none() && x.expires_at > now)
                .cloned()
                .collect();
            out.sort_by_key(|x| (x.created_at, x.id));
            out
        })
    }

    async fn count_active_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.read(|s| {
            let n = s
                .sessions
                .values()
                .filter(|x| x.user_id == user_id && x.revoked_at.is_none() && x.expires_at > now)
                .count();
            i64::try_from(n).unwrap_or(i64::MAX)
        })
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn insert_api_key(&self, key: &NewApiKey) -> Result<(), StoreError> {
        let NewApiKey {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at,
            expires_at,
            is_public,
            hint,
        } = key;
        self.write(|s| {
            if s.api_keys.contains_key(id) {
                return Err(StoreError::Conflict(Field::Other("id")));
            }
            s.require_user(*user_id)?;
            s.api_keys.insert(
                id.clone(),
                ApiKey {
                    id: id.clone(),
                    user_id: *user_id,
                    surface: *surface,
                    secret_hash: secret_hash.clone(),
                    label: label.clone(),
                    created_at: *created_at,
                    revoked_at: None,
                    expires_at: *expires_at,
                    is_public: *is_public,
                    hint: hint.clone(),
                },
            );
            Ok(())
        })
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        self.read(|s| s.api_keys.get(id).cloned())
    }

    async fn api_keys_of(&self, user_id: UserId) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|s| {
            let mut keys: Vec<ApiKey> = s
                .api_keys
                .values()
                .filter(|k| k.user_id == user_id)
                .cloned()
                .collect();
            keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            keys
        })
    }

    async fn update_api_key(
        &self,
        id: &str,
        label: Option<String>,
        revoke_at: Option<DateTime<Utc>>,
    ) -> Result<Option<ApiKey>, StoreError> {
        self.write(|s| {
            Ok(s.api_keys.get_mut(id).map(|key| {
                if label.is_some() {
                    key.label = label;
                }
                if key.revoked_at.is_none() {
                    key.revoked_at = revoke_at;
                }
                key.clone()
            }))
        })
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|s| match s.api_keys.get_mut(id) {
            Some(key) if key.revoked_at.is_none() => {
                key.revoked_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        })
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn insert_idempotency_record(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            if s.idempotency.contains_key(&record.id) {
                return Ok(false);
            }
            s.require_user(record.id.user_id)?;
            s.idempotency.insert(record.id.clone(), record.clone());
            Ok(true)
        })
    }

    async fn idempotency_record(
        &self,
        id: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.read(|s| s.idempotency.get(id).cloned())
    }

    async fn complete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
        response: &StoredResponse,
    ) -> Result<bool, StoreError> {
        self.write(|s| match s.idempotency.get_mut(id) {
            Some(r) if r.created_at == created_at && r.response.is_none() => {
                r.response = Some(response.clone());
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    async fn delete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|s| match s.idempotency.get(id) {
            Some(r) if r.created_at == created_at => Ok(s.idempotency.remove(id).is_some()),
            _ => Ok(false),
        })
    }

    async fn purge_idempotency_records(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(|s| {
            let was = s.idempotency.len();
            s.idempotency.retain(|_, r| r.created_at >= before);
            Ok(u64::try_from(was - s.idempotency.len()).unwrap_or(u64::MAX))
        })
    }
}

#[async_trait]
impl ProjectStore for MemoryStore {
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        self.write(|s| {
            if s.projects.contains_key(&project.id) {
                return Err(StoreError::Conflict(Field::Other("id")));
            }
            s.projects.insert(project.id, project.clone());
            Ok(())
        })
    }

    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        self.read(|s| s.projects.get(&id).cloned())
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        self.read(|s| {
            let mut projects: Vec<Project> = s.projects.values().cloned().collect();
            projects.sort_by_key(|p| (p.created_at, p.id));
            projects
        })
    }

    async fn update_project(
        &self,
        id: Uuid,
        patch: &ProjectPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Project>, StoreError> {
        let ProjectPatch {
            display_name,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
        } = patch;
        self.write(|s| {
            let Some(project) = s.projects.get_mut(&id) else {
                return Ok(None);
            };
            if let Some(name) = display_name {
                project.display_name.clone_from(name);
            }
            if let Some(v) = require_publishable_client_key {
                project.require_publishable_client_key = *v;
            }
            for (setting, value) in [
                (
                    &mut project.allow_client_user_deletion,
                    allow_client_user_deletion,
                ),
                (
                    &mut project.client_team_creation_enabled,
                    client_team_creation_enabled,
                ),
                (&mut project.create_team_on_sign_up, create_team_on_sign_up),
                (&mut project.allow_user_api_keys, allow_user_api_keys),
                (&mut project.sign_up_enabled, sign_up_enabled),
                (&mut project.credential_enabled, credential_enabled),
                (&mut project.magic_link_enabled, magic_link_enabled),
            ] {
                if let Some(v) = value {
                    *setting = *v;
                }
            }
            project.updated_at = at;
            Ok(Some(project.clone()))
        })
    }

    async fn insert_project_session(
        &self,
        session: &NewSession,
        project_id: Uuid,
    ) -> Result<(), StoreError> {
        self.write(|s| {
            s.insert_session(session)?;
            if !s.projects.contains_key(&project_id) {
                return Err(missing("project"));
            }
            s.project_sessions.insert(session.id, project_id);
            Ok(())
        })
    }

    async fn session_project(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        self.read(|s| s.project_sessions.get(&session_id).copied())
    }

    async fn project_sessions_of(
        &self,
        project_id: Uuid,
        user_id: UserId,
    ) -> Result<Vec<Session>, StoreError> {
        self.read(|s| {
            let mut out: Vec<Session> = s
                .sessions
                .values()
                .filter(|x| {
                    x.user_id == user_id
                        && x.revoked_at.is_none()
                        && s.project_sessions.get(&x.id) == Some(&project_id)
                })
                .cloned()
                .collect();
            out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            out
        })
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        self.write(|s| {
            Ok(s.secrets
                .entry(name.to_owned())
                .or_insert_with(|| candidate.to_owned())
                .clone())
        })
    }
}

#[async_trait]
impl crate::WebhookStore for MemoryStore {
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &crate::WebhookEndpoint,
        max: usize,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            if s.webhooks.len() >= max {
                return Ok(false);
            }
            s.webhooks.push(endpoint.clone());
            Ok(true)
        })
    }

    async fn webhook_endpoints(
        &self,
        project_id: Option<Uuid>,
    ) -> Result<Vec<crate::WebhookEndpoint>, StoreError> {
        self.write(|s| {
            Ok(s.webhooks
                .iter()
                .filter(|e| project_id.is_none_or(|p| e.project_id == p))
                .cloned()
                .collect())
        })
    }

    async fn delete_webhook_endpoint(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            let before = s.webhooks.len();
            s.webhooks
                .retain(|e| !(e.id == id && e.project_id == project_id));
            Ok(s.webhooks.len() < before)
        })
    }
}

#[async_trait]
impl MaintenanceStore for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn reset(&self) -> Result<(), StoreError> {
        self.write(|s| {
            s.delete_sessions(|_| true);
            s.api_keys.clear();
            s.memberships.clear();
            s.idempotency.clear();
            s.codes.clear();
            s.devices.clear();
            s.channels.clear();
            s.users.clear();
            s.teams.clear();
            Ok(())
        })
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn insert_code(&self, code: &OneTimeCode, keep: usize) -> Result<(), StoreError> {
        self.write(|s| {
            if code.user_id.is_some_and(|u| !s.users.contains_key(&u)) {
                return Err(StoreError::Other("the code's user does not exist".into()));
            }
            if s.codes.values().any(|c| c.code_hash == code.code_hash) {
                return Err(StoreError::Conflict(Field::Other("code")));
            }
            s.codes.insert(code.id, code.clone());
            let mut mine: Vec<(DateTime<Utc>, Uuid)> = s
                .codes
                .values()
                .filter(|c| c.email == code.email && c.purpose == code.purpose)
                .map(|c| (c.created_at, c.id))
                .collect();
            mine.sort_unstable_by(|a, b| b.cmp(a));
            for (_, id) in mine.into_iter().skip(keep) {
                s.codes.remove(&id);
            }
            Ok(())
        })
    }

    async fn code_by_hash(&self, hash: &str) -> Result<Option<OneTimeCode>, StoreError> {
        self.read(|s| s.codes.values().find(|c| c.code_hash == hash).cloned())
    }

    async fn use_code(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|s| {
            Ok(match s.codes.get_mut(&id) {
                Some(c) if c.used_at.is_none() => {
                    c.used_at = Some(at);
                    true
                }
                _ => false,
            })
        })
    }

    async fn purge_codes(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(|s| {
            let n = s.codes.len();
            s.codes.retain(|_, c| c.expires_at >= before);
            Ok((n - s.codes.len()) as u64)
        })
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device(
        &self,
        device: &DeviceAuthorization,
        max_pending: u64,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            let at = device.created_at;
            let pending = s
                .devices
                .values()
                .filter(|d| d.state == DeviceState::Pending && !d.expired_at(at))
                .count();
            if pending as u64 >= max_pending {
                return Ok(false);
            }
            if s.devices.values().any(|d| {
                d.user_code == device.user_code || d.device_code_hash == device.device_code_hash
            }) {
                return Err(StoreError::Conflict(Field::Other("user_code")));
            }
            s.devices.insert(device.id, device.clone());
            Ok(true)
        })
    }

    async fn device(&self, id: Uuid) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.read(|s| s.devices.get(&id).cloned())
    }

    async fn device_by_code_hash(
        &self,
        hash: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.read(|s| {
            s.devices
                .values()
                .find(|d| d.device_code_hash == hash)
                .cloned()
        })
    }

    async fn device_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.read(|s| {
            s.devices
                .values()
                .find(|d| d.user_code == user_code)
                .cloned()
        })
    }

    async fn list_devices(
        &self,
        pending_at: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<DeviceAuthorization>, StoreError> {
        self.read(|s| {
            let mut all: Vec<DeviceAuthorization> = s
                .devices
                .values()
                .filter(|d| {
                    pending_at.is_none_or(|at| d.state == DeviceState::Pending && !d.expired_at(at))
                })
                .cloned()
                .collect();
            all.sort_by_key(|d| std::cmp::Reverse((d.created_at, d.id)));
            all.truncate(usize::try_from(limit).unwrap_or(0));
            all
        })
    }

    async fn transition_device(
        &self,
        id: Uuid,
        change: DeviceTransition,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.write(|s| {
            if let Some(user_id) = change.user_id
                && !s.users.contains_key(&user_id)
            {
                return Ok(None);
            }
            Ok(match s.devices.get_mut(&id) {
                Some(d) if d.state == change.from && !d.expired_at(change.at) => {
                    d.state = change.to;
                    if change.user_id.is_some() {
                        d.user_id = change.user_id;
                    }
                    d.decided_at = Some(change.at);
                    d.ticket = None;
                    Some(d.clone())
                }
                _ => None,
            })
        })
    }

    async fn poll_device(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.write(|s| {
            Ok(s.devices
                .get_mut(&id)
                .and_then(|d| d.last_polled_at.replace(at)))
        })
    }

    async fn set_device_ticket(
        &self,
        id: Uuid,
        hash: &str,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        self.write(|s| {
            let now = crate::service::now();
            Ok(match s.devices.get_mut(&id) {
                Some(d) if d.state == DeviceState::Pending && !d.expired_at(now) => {
                    d.ticket = Some((hash.to_owned(), user_id));
                    true
                }
                _ => false,
            })
        })
    }

    async fn purge_devices(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(|s| {
            let n = s.devices.len();
            s.devices.retain(|_, d| d.expires_at >= before);
            Ok((n - s.devices.len()) as u64)
        })
    }
}

impl State {
    /// The values of a user's other channels.
    fn channel_values(&self, id: UserId) -> impl Iterator<Item = &str> {
        self.channels
            .iter()
            .filter(move |c| c.user_id == id)
            .map(|c| c.value.as_str())
    }

    /// Channels in the stores' order: oldest first, then by id.
    fn ordered_channels(&self, keep: impl Fn(&ContactChannel) -> bool) -> Vec<ContactChannel> {
        let mut out: Vec<ContactChannel> =
            self.channels.iter().filter(|c| keep(c)).cloned().collect();
        out.sort_by_key(|c| (c.created_at, c.id));
        out
    }
}

#[async_trait]
impl ChannelStore for MemoryStore {
    async fn other_channels(&self, user_id: UserId) -> Result<Vec<ContactChannel>, StoreError> {
        self.read(|s| s.ordered_channels(|c| c.user_id == user_id))
    }

    async fn all_other_channels(&self, limit: i64) -> Result<Vec<ContactChannel>, StoreError> {
        self.read(|s| {
            let mut all = s.ordered_channels(|_| true);
            all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            all
        })
    }

    async fn insert_channels(&self, channels: &[ContactChannel]) -> Result<(), StoreError> {
        self.write(|s| {
            for c in channels {
                s.require_user(c.user_id)?;
                s.write_channels(c.user_id, &[ChannelWrite::Put(c.clone())])?;
            }
            Ok(())
        })
    }

    async fn user_by_auth_channel(&self, value: &str) -> Result<Option<User>, StoreError> {
        let value = fold(value);
        self.read(|s| {
            s.channels
                .iter()
                .find(|c| c.used_for_auth && fold(&c.value) == value)
                .and_then(|c| s.users.get(&c.user_id).cloned())
        })
    }
}
