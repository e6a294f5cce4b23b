//! Contact channels: the email addresses of a user. The **primary** one is the user's own email
//! (`identity.email`, with `email_verified` and `email_auth_enabled` as its flags), so every
//! surface that shows one email shows it unchanged; the others are stored beside the user
//! ([`ChannelStore`]), at most [`MAX_OTHER_CHANNELS`] of them.
//!
//! A channel's id is derived from its user and its value ([`channel_id`]): it survives a change of
//! which channel is primary (the value moves between the user row and the channel table) and is a
//! new one when the value changes.
//!
//! Every change of a user's channels is a change of the user ([`UserChanges::channels`]): one
//! store transaction under the user's row lock writes the primary email and the other channels
//! together, with the user's version as the precondition, so a primary swap is never half done
//! and two concurrent changes of one user's channels cannot both apply to the same state.
//!
//! Identities: an other channel used for sign-in claims its value as the primary email does: no
//! other user may hold it as a username, an email or a sign-in channel (the stores check it with
//! the identity rule of usernames and emails). Channels not used for sign-in claim nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, Gateway, StoreError, User, UserChanges, UserField, UserId, UserPatch,
    service::now, validate,
};

/// How many channels besides the primary email a user may have (the vendor sets none; every table
/// here is bounded).
pub const MAX_OTHER_CHANNELS: usize = 20;

/// The field a store's conflict names when an other channel's value is another user's identity.
pub const CHANNEL_FIELD: Field = Field::Other("contact_channel");

/// How often a channel change is recomputed when the user changed under it.
const ATTEMPTS: usize = 4;

/// The namespace of channel ids (a fixed random UUID: ids are `v5(namespace, user id + value)`).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1d_26b0_83c4_4f4e_9d1e_5b1c_0c3e_7a21);

/// The id of `user_id`'s channel with `value` (an email, compared lower-cased).
pub fn channel_id(user_id: UserId, value: &str) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("{user_id}:{}", value.to_lowercase()).as_bytes(),
    )
}

/// One email address of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactChannel {
    /// [`channel_id`] of the user and value.
    pub id: Uuid,
    /// Whose.
    pub user_id: UserId,
    /// The address, normalised as every stored email is (trimmed, lower-cased).
    pub value: String,
    /// Whether it is the user's primary email (never stored: the user row is the primary).
    pub is_primary: bool,
    /// Whether the user proved to own it.
    pub is_verified: bool,
    /// Whether it signs the user in (password, one-time code).
    pub used_for_auth: bool,
    /// When it was added (the primary: when the user was created).
    pub created_at: DateTime<Utc>,
}

impl ContactChannel {
    /// The primary channel of `user`: its email, if it has one.
    pub fn primary_of(user: &User) -> Option<Self> {
        let value = user.identity.email.clone()?;
        Some(Self {
            id: channel_id(user.id, &value),
            user_id: user.id,
            value,
            is_primary: true,
            is_verified: user.identity.email_verified,
            used_for_auth: user.identity.email_auth_enabled,
            created_at: user.timestamps.created_at,
        })
    }
}

/// A change of a user's other channels, written with the user ([`UserChanges::channels`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelWrite {
    /// Removes the other channel with this id, if the user has it.
    Remove(Uuid),
    /// Adds an other channel (its id is not the user's yet: removed first when it was). One used
    /// for sign-in MUST fail with [`StoreError::Conflict`] naming [`CHANNEL_FIELD`] when another
    /// user holds its value as a username, an email or a sign-in channel, letter case aside.
    Put(ContactChannel),
}

/// The other channels of users.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// The user's channels besides its primary email, oldest first (then by id).
    async fn other_channels(&self, user_id: UserId) -> Result<Vec<ContactChannel>, StoreError>;
    /// Every user's channels besides the primary emails, oldest first (then by id), at most
    /// `limit`.
    async fn all_other_channels(&self, limit: i64) -> Result<Vec<ContactChannel>, StoreError>;
    /// The user with an other channel used for sign-in whose value is `value`, letter case aside.
    async fn user_by_auth_channel(&self, value: &str) -> Result<Option<User>, StoreError>;
    /// Inserts channels of existing users in one transaction, without changing the users (a
    /// fixture load; a missing user fails as a foreign key does). Each is a
    /// [`ChannelWrite::Put`], with its rule.
    async fn insert_channels(&self, channels: &[ContactChannel]) -> Result<(), StoreError>;
}

/// A channel to add.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    /// The address (normalised here).
    pub value: String,
    /// Already verified (servers only, by the dialect's rules).
    pub is_verified: bool,
    /// Used for sign-in.
    pub used_for_auth: bool,
    /// Becomes the primary email (the primary before stays, as an other channel).
    pub is_primary: bool,
}

/// A change of one channel; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    /// A new address: a new channel id, unverified unless `is_verified` says otherwise.
    pub value: Option<String>,
    /// Verified or not.
    pub is_verified: Option<bool>,
    /// Used for sign-in or not.
    pub used_for_auth: Option<bool>,
    /// `true`: becomes the primary email (the primary before becomes an other channel); `false`:
    /// a primary channel becomes an other one (the user has no primary email after).
    pub is_primary: Option<bool>,
}

/// Why a channel change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRefusal {
    /// The user has no channel with that id.
    NotFound,
    /// The user has a channel with that value already.
    Exists,
    /// Another user signs in with the value (or holds it as a username or email).
    UsedForAuthElsewhere,
    /// The user has [`MAX_OTHER_CHANNELS`] other channels already.
    TooMany,
}

/// A user's channels as one value the rules change: the primary, then the others.
#[derive(Debug, Clone, PartialEq)]
struct Channels {
    primary: Option<ContactChannel>,
    others: Vec<ContactChannel>,
}

impl Channels {
    fn all(&self) -> impl Iterator<Item = &ContactChannel> {
        self.primary.iter().chain(&self.others)
    }

    fn find(&self, id: Uuid) -> Option<ContactChannel> {
        self.all().find(|c| c.id == id).cloned()
    }

    /// Takes channel `id` out, wherever it is.
    fn take(&mut self, id: Uuid) -> Option<ContactChannel> {
        if self.primary.as_ref().is_some_and(|p| p.id == id) {
            return self.primary.take();
        }
        let at = self.others.iter().position(|c| c.id == id)?;
        Some(self.others.remove(at))
    }

    /// Puts `channel` back: as the primary (the primary before joins the others) or as an other.
    /// A primary that becomes an other one is dated `at` (the others are listed in the order
    /// they were added or stopped being the primary: the user row keeps no date of its own).
    /// Returns it as placed.
    fn place(
        &mut self,
        mut channel: ContactChannel,
        primary: bool,
        at: DateTime<Utc>,
    ) -> ContactChannel {
        let demote = |mut c: ContactChannel| {
            if c.is_primary {
                c.is_primary = false;
                c.created_at = at;
            }
            c
        };
        if primary {
            channel.is_primary = true;
            if let Some(old) = self.primary.replace(channel.clone()) {
                self.others.push(demote(old));
            }
        } else {
            channel = demote(channel);
            self.others.push(channel.clone());
        }
        channel
    }

    /// The user patch and the channel writes that turn `before` into `self`.
    fn diff(&self, before: &Self) -> (UserPatch, Vec<ChannelWrite>) {
        let mut patch = UserPatch::default();
        if self.primary != before.primary {
            let p = self.primary.as_ref();
            patch.email = Some(p.map(|c| c.value.clone()));
            patch.email_verified = Some(p.is_some_and(|c| c.is_verified));
            patch.email_auth_enabled = Some(p.is_some_and(|c| c.used_for_auth));
        }
        let mut writes: Vec<ChannelWrite> = before
            .others
            .iter()
            .filter(|old| !self.others.contains(old))
            .map(|old| ChannelWrite::Remove(old.id))
            .collect();
        writes.extend(
            self.others
                .iter()
                .filter(|new| !before.others.contains(new))
                .map(|new| ChannelWrite::Put(new.clone())),
        );
        (patch, writes)
    }
}

/// A normalised, checked address.
fn address(value: &str) -> Result<String, CoreError> {
    let value = validate::normalize_email(value);
    validate::email(&value).map_err(|issue| CoreError::validation(vec![issue]))?;
    Ok(value)
}

impl Gateway {
    /// The channels of `user`: its primary email first, then the others, oldest first.
    pub async fn contact_channels(&self, user: &User) -> Result<Vec<ContactChannel>, CoreError> {
        let others = self.store().other_channels(user.id).await?;
        Ok(ContactChannel::primary_of(user)
            .into_iter()
            .chain(others)
            .collect())
    }

    /// Every user's channels: the primary emails (users oldest first), then the others.
    pub async fn all_contact_channels(&self) -> Result<Vec<ContactChannel>, CoreError> {
        let users = self.list_users(i64::MAX, 0).await?;
        let others = self
            .store()
            .all_other_channels(crate::service::LIST_USERS_MAX)
            .await?;
        Ok(users
            .iter()
            .filter_map(ContactChannel::primary_of)
            .chain(others)
            .collect())
    }

    /// The user who signs in with `email` ([`Self::sign_in_channel`]).
    pub async fn sign_in_user_by_email(&self, email: &str) -> Result<Option<User>, CoreError> {
        Ok(self.sign_in_channel(email).await?.map(|(user, _)| user))
    }

    /// The user who signs in with `email` and that channel: its primary email when that is used
    /// for sign-in, else another channel used for sign-in (`email` normalised first).
    pub async fn sign_in_channel(
        &self,
        email: &str,
    ) -> Result<Option<(User, ContactChannel)>, CoreError> {
        let email = validate::normalize_email(email);
        if let Some(user) = self.store().user_by_email(&email).await? {
            return Ok(ContactChannel::primary_of(&user)
                .filter(|c| c.used_for_auth)
                .map(|c| (user, c)));
        }
        let Some(user) = self.store().user_by_auth_channel(&email).await? else {
            return Ok(None);
        };
        let channel = self
            .store()
            .other_channels(user.id)
            .await?
            .into_iter()
            .find(|c| c.used_for_auth && c.value.eq_ignore_ascii_case(&email));
        Ok(channel.map(|c| (user, c)))
    }

    /// Adds a channel to user `user_id`. `Err` is a refusal ([`ChannelRefusal`]); a missing user
    /// is a `NotFound` error.
    pub async fn create_contact_channel(
        &self,
        user_id: UserId,
        new: NewChannel,
    ) -> Result<Result<ContactChannel, ChannelRefusal>, CoreError> {
        let value = address(&new.value)?;
        let id = channel_id(user_id, &value);
        self.change_channels(user_id, |channels, at| {
            if channels.find(id).is_some() {
                return Err(ChannelRefusal::Exists);
            }
            let channel = ContactChannel {
                id,
                user_id,
                value: value.clone(),
                is_primary: false,
                is_verified: new.is_verified,
                used_for_auth: new.used_for_auth,
                created_at: at,
            };
            Ok(channels.place(channel, new.is_primary, at))
        })
        .await
    }

    /// Changes channel `id` of user `user_id`; the channel after (a new value: a new id).
    pub async fn update_contact_channel(
        &self,
        user_id: UserId,
        id: Uuid,
        patch: ChannelPatch,
    ) -> Result<Result<ContactChannel, ChannelRefusal>, CoreError> {
        let value = patch.value.as_deref().map(address).transpose()?;
        self.change_channels(user_id, |channels, at| {
            let mut channel = channels.take(id).ok_or(ChannelRefusal::NotFound)?;
            let primary = patch.is_primary.unwrap_or(channel.is_primary);
            if let Some(value) = &value
                && *value != channel.value
            {
                let new_id = channel_id(user_id, value);
                if channels.find(new_id).is_some() {
                    return Err(ChannelRefusal::Exists);
                }
                channel.id = new_id;
                channel.value = value.clone();
                channel.is_verified = false;
            }
            if let Some(verified) = patch.is_verified {
                channel.is_verified = verified;
            }
            if let Some(auth) = patch.used_for_auth {
                channel.used_for_auth = auth;
            }
            Ok(channels.place(channel, primary, at))
        })
        .await
    }

    /// Removes channel `id` of user `user_id` (the primary: the user has no email after).
    pub async fn delete_contact_channel(
        &self,
        user_id: UserId,
        id: Uuid,
    ) -> Result<Result<(), ChannelRefusal>, CoreError> {
        self.change_channels(user_id, |channels, _| {
            channels.take(id).map(drop).ok_or(ChannelRefusal::NotFound)
        })
        .await
    }

    /// Marks user `user_id`'s channel with `value` verified; `false` when it has none (or the
    /// user is gone).
    pub async fn verify_contact_channel(
        &self,
        user_id: UserId,
        value: &str,
    ) -> Result<bool, CoreError> {
        let id = channel_id(user_id, value);
        let patch = ChannelPatch {
            is_verified: Some(true),
            ..ChannelPatch::default()
        };
        match self.update_contact_channel(user_id, id, patch).await {
            Ok(done) => Ok(done.is_ok()),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads the user's channels, lets `rule` change them (its `Ok` is the answer), and writes
    /// the difference as one change of the user conditional on its version; recomputed when the
    /// user changed in between. Announces the user's change when its primary email changed.
    async fn change_channels<F, T>(
        &self,
        user_id: UserId,
        rule: F,
    ) -> Result<Result<T, ChannelRefusal>, CoreError>
    where
        F: Fn(&mut Channels, DateTime<Utc>) -> Result<T, ChannelRefusal>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let user = self.user(user_id).await?;
            let before = Channels {
                primary: ContactChannel::primary_of(&user),
                others: self.store().other_channels(user_id).await?,
            };
            let mut after = before.clone();
            let at = now();
            let answer = match rule(&mut after, at) {
                Ok(answer) => answer,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if after.others.len() > MAX_OTHER_CHANNELS && after.others.len() > before.others.len() {
                return Ok(Err(ChannelRefusal::TooMany));
            }
            let (mut patch, writes) = after.diff(&before);
            patch.expected_version = Some(user.version);
            let primary_changed = patch.email.is_some();
            let changes = UserChanges {
                patch,
                channels: writes,
                at,
                ..UserChanges::default()
            };
            match self.store().update_user(user_id, &changes).await {
                Ok(Some(updated)) => {
                    if primary_changed {
                        self.announce(|| crate::Event::UserUpdated(updated.clone()));
                    }
                    return Ok(Ok(answer));
                }
                Ok(None) => return Err(CoreError::not_found("user not found")),
                Err(StoreError::Stale) if attempt < ATTEMPTS => {}
                Err(StoreError::Conflict(field))
                    if field == CHANNEL_FIELD || field == Field::User(UserField::Email) =>
                {
                    return Ok(Err(ChannelRefusal::UsedForAuthElsewhere));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The channel rules on the in-memory store (the storage contract tests run the same writes on
    //! SQLite and PostgreSQL).

    use super::*;
    use crate::{NewUser, testing::memory_gateway};

    /// A user with primary email `email`, verified and used for sign-in.
    async fn user(gateway: &Gateway, name: &str, email: &str) -> User {
        let mut new = NewUser::regular(name);
        new.fields.email = Some(Some(email.to_owned()));
        new.fields.email_verified = Some(true);
        new.fields.email_auth_enabled = Some(true);
        gateway.create_user(new).await.expect("create").value
    }

    fn new(value: &str, used_for_auth: bool, is_primary: bool) -> NewChannel {
        NewChannel {
            value: value.to_owned(),
            used_for_auth,
            is_primary,
            ..NewChannel::default()
        }
    }

    async fn listed(gateway: &Gateway, id: UserId) -> Vec<(String, bool, bool, bool)> {
        let user = gateway.user(id).await.unwrap();
        gateway
            .contact_channels(&user)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.value, c.is_primary, c.is_verified, c.used_for_auth))
            .collect()
    }

    #[tokio::test]
    async fn channels_are_added_after_the_primary_and_swapped_in_one_change() {
        let (_, gateway) = memory_gateway();
        let ann = user(&gateway, "ann", "ann@example.com").await;
        let added = gateway
            .create_contact_channel(ann.id, new(" Ann@Work.Example.com ", true, false))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(added.value, "ann@work.example.com");
        assert_eq!(added.id, channel_id(ann.id, "ann@work.example.com"));
        assert_eq!(
            listed(&gateway, ann.id).await,
            [
                ("ann@example.com".into(), true, true, true),
                ("ann@work.example.com".into(), false, false, true),
            ]
        );
        let again = gateway
            .create_contact_channel(ann.id, new("ANN@work.example.com", false, false))
            .await
            .unwrap();
        assert_eq!(again, Err(ChannelRefusal::Exists));
        let primary = ContactChannel::primary_of(&ann).unwrap();
        let swapped = gateway
            .update_contact_channel(
                ann.id,
                added.id,
                ChannelPatch {
                    is_primary: Some(true),
                    ..ChannelPatch::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((swapped.id, swapped.is_primary), (added.id, true));
        let after = gateway.user(ann.id).await.unwrap();
        assert_eq!(
            (
                after.identity.email.as_deref(),
                after.identity.email_verified,
                after.identity.email_auth_enabled
            ),
            (Some("ann@work.example.com"), false, true)
        );
        let channels = gateway.contact_channels(&after).await.unwrap();
        assert_eq!(channels[1].id, primary.id, "the old primary keeps its id");
        assert_eq!(
            listed(&gateway, ann.id).await,
            [
                ("ann@work.example.com".into(), true, false, true),
                ("ann@example.com".into(), false, true, true),
            ]
        );
        // Both addresses sign Ann in.
        for email in ["ann@example.com", "ANN@work.example.com"] {
            let found = gateway.sign_in_user_by_email(email).await.unwrap();
            assert_eq!(found.map(|u| u.id), Some(ann.id), "{email}");
        }
    }

    #[tokio::test]
    async fn a_primary_can_be_demoted_renamed_and_deleted() {
        let (_, gateway) = memory_gateway();
        let bea = user(&gateway, "bea", "bea@example.com").await;
        let primary = ContactChannel::primary_of(&bea).unwrap();
        let demoted = gateway
            .update_contact_channel(
                bea.id,
                primary.id,
                ChannelPatch {
                    is_primary: Some(false),
                    ..ChannelPatch::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(!demoted.is_primary && demoted.is_verified && demoted.used_for_auth);
        let after = gateway.user(bea.id).await.unwrap();
        assert_eq!(after.identity.email, None);
        assert!(!after.identity.email_auth_enabled);
        assert_eq!(
            gateway
                .sign_in_user_by_email("bea@example.com")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(bea.id),
            "an other sign-in channel still signs in"
        );
        let renamed = gateway
            .update_contact_channel(
                bea.id,
                primary.id,
                ChannelPatch {
                    value: Some("bea@new.example.com".into()),
                    ..ChannelPatch::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renamed.id, channel_id(bea.id, "bea@new.example.com"));
        assert!(!renamed.is_verified, "a new value is unverified");
        assert_eq!(
            gateway
                .delete_contact_channel(bea.id, primary.id)
                .await
                .unwrap(),
            Err(ChannelRefusal::NotFound),
            "the old id is gone with the old value"
        );
        gateway
            .delete_contact_channel(bea.id, renamed.id)
            .await
            .unwrap()
            .unwrap();
        assert!(listed(&gateway, bea.id).await.is_empty());
        assert!(
            gateway
                .sign_in_user_by_email("bea@new.example.com")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_sign_in_channel_claims_its_address_against_every_other_user() {
        let (_, gateway) = memory_gateway();
        let ann = user(&gateway, "ann", "ann@example.com").await;
        let bob = user(&gateway, "bob", "bob@example.com").await;
        // Another user's email: only as a channel that does not sign in.
        let refused = gateway
            .create_contact_channel(bob.id, new("ann@example.com", true, false))
            .await
            .unwrap();
        assert_eq!(refused, Err(ChannelRefusal::UsedForAuthElsewhere));
        let kept = gateway
            .create_contact_channel(bob.id, new("ann@example.com", false, false))
            .await
            .unwrap()
            .unwrap();
        let turn_on = ChannelPatch {
            used_for_auth: Some(true),
            ..ChannelPatch::default()
        };
        assert_eq!(
            gateway
                .update_contact_channel(bob.id, kept.id, turn_on.clone())
                .await
                .unwrap(),
            Err(ChannelRefusal::UsedForAuthElsewhere)
        );
        // A sign-in channel's address is nobody else's username or email afterwards.
        gateway
            .create_contact_channel(bob.id, new("bob@work.example.com", true, false))
            .await
            .unwrap()
            .unwrap();
        let taken = gateway
            .update_user(
                ann.id,
                UserPatch {
                    email: Some(Some("BOB@work.example.com".into())),
                    ..UserPatch::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(taken.kind(), crate::ErrorKind::Conflict);
        assert_eq!(
            gateway
                .create_contact_channel(ann.id, new("bob@work.example.com", true, false))
                .await
                .unwrap(),
            Err(ChannelRefusal::UsedForAuthElsewhere)
        );
        // The owner may make it its primary email: its other channel is absorbed.
        gateway
            .update_user(
                bob.id,
                UserPatch {
                    email: Some(Some("bob@work.example.com".into())),
                    ..UserPatch::default()
                },
            )
            .await
            .unwrap();
        let values: Vec<String> = listed(&gateway, bob.id)
            .await
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(values, ["bob@work.example.com", "ann@example.com"]);
    }

    #[tokio::test]
    async fn a_user_has_a_bounded_number_of_channels_and_deleting_it_deletes_them() {
        let (store, gateway) = memory_gateway();
        let cid = user(&gateway, "cid", "cid@example.com").await;
        for i in 0..MAX_OTHER_CHANNELS {
            gateway
                .create_contact_channel(cid.id, new(&format!("cid{i}@example.com"), true, false))
                .await
                .unwrap()
                .unwrap();
        }
        let over = gateway
            .create_contact_channel(cid.id, new("one-more@example.com", false, false))
            .await
            .unwrap();
        assert_eq!(over, Err(ChannelRefusal::TooMany));
        let as_primary = gateway
            .create_contact_channel(cid.id, new("one-more@example.com", false, true))
            .await
            .unwrap();
        assert_eq!(
            as_primary,
            Err(ChannelRefusal::TooMany),
            "the old primary would be one more"
        );
        gateway.delete_user(cid.id).await.unwrap();
        assert!(store.all_other_channels(100).await.unwrap().is_empty());
        assert!(
            gateway
                .sign_in_user_by_email("cid0@example.com")
                .await
                .unwrap()
                .is_none()
        );
    }
}
