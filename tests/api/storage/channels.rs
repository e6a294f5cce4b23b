//! Contact channels on every backend (gateway-core `channels`): the primary swap as one change
//! read back through a second pool, a sign-in channel's claim on its address in both directions
//! and under a race, the search over channel values, and the channels going with their user.

use gateway_core::{
    ChannelPatch, ChannelRefusal, ErrorKind, NewChannel, UserPatch, UserQuery, UserSearch,
};

use super::{backends, user};

fn channel(value: &str, used_for_auth: bool) -> NewChannel {
    NewChannel {
        value: value.to_owned(),
        used_for_auth,
        ..NewChannel::default()
    }
}

#[tokio::test]
async fn channels_swap_claim_search_and_go_with_their_user() {
    for b in backends() {
        let g = &b.gateway;
        let ann = user(g, "chan_ann").await;
        let bob = user(g, "chan_bob").await;
        let work = g
            .create_contact_channel(ann.id, channel("Ann.Work@Example.com", true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(work.value, "ann.work@example.com", "{}", b.name);
        let swapped = g
            .update_contact_channel(
                ann.id,
                work.id,
                ChannelPatch {
                    is_primary: Some(true),
                    is_verified: Some(true),
                    ..ChannelPatch::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(swapped.is_primary && swapped.is_verified, "{}", b.name);
        // Read back through another pool: the user row and the channel table agree.
        let other = b.second_gateway();
        let after = other.user(ann.id).await.unwrap();
        assert_eq!(
            after.identity.email.as_deref(),
            Some("ann.work@example.com"),
            "{}",
            b.name
        );
        let listed: Vec<(String, bool)> = other
            .contact_channels(&after)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.value, c.is_primary))
            .collect();
        assert_eq!(
            listed,
            [
                ("ann.work@example.com".to_owned(), true),
                ("chan_ann@example.com".to_owned(), false)
            ],
            "{}",
            b.name
        );
        // The old primary signs in still; nobody else may claim it.
        let found = other
            .sign_in_user_by_email("CHAN_ANN@example.com")
            .await
            .unwrap();
        assert_eq!(found.map(|u| u.id), Some(ann.id), "{}", b.name);
        let refused = g
            .create_contact_channel(bob.id, channel("chan_ann@example.com", true))
            .await
            .unwrap();
        assert_eq!(
            refused,
            Err(ChannelRefusal::UsedForAuthElsewhere),
            "{}",
            b.name
        );
        for patch in [
            UserPatch {
                email: Some(Some("Chan_Ann@example.com".into())),
                ..UserPatch::default()
            },
            UserPatch {
                username: Some("chan_ann@example.com".into()),
                ..UserPatch::default()
            },
        ] {
            let e = g.update_user(bob.id, patch).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{}: {e}", b.name);
        }
        // A channel that does not sign in claims nothing, and is searched.
        g.create_contact_channel(bob.id, channel("chan_ann@example.com", false))
            .await
            .unwrap()
            .unwrap();
        g.create_contact_channel(bob.id, channel("bob.Needle_x@example.com", false))
            .await
            .unwrap()
            .unwrap();
        let page = g
            .query_users(&UserQuery {
                search: Some(UserSearch {
                    text: "NEEDLE_X".into(),
                    id: None,
                }),
                ..UserQuery::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = page.users.iter().map(|u| u.id).collect();
        assert_eq!(ids, [bob.id], "{}", b.name);
        g.delete_user(bob.id).await.unwrap();
        let left: Vec<_> = g
            .all_contact_channels()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.user_id == bob.id)
            .collect();
        assert!(left.is_empty(), "{}: {left:?}", b.name);
    }
}

/// One address claimed at once as a sign-in channel by some users and as an email by others:
/// exactly one claim wins on every backend (PostgreSQL: the identity locks of the value).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_channel_against_email_race_has_exactly_one_winner() {
    for b in backends() {
        let g = b.gateway.clone();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(user(&g, &format!("chanrace{i}")).await.id);
        }
        for round in 0..5 {
            let value = format!("raced.{round}@example.com");
            let tasks: Vec<_> = ids
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    let g = g.clone();
                    let value = value.clone();
                    tokio::spawn(async move {
                        if i % 2 == 0 {
                            g.create_contact_channel(id, channel(&value, true))
                                .await
                                .map(|r| r.is_ok())
                        } else {
                            let patch = UserPatch {
                                email: Some(Some(value)),
                                ..UserPatch::default()
                            };
                            match g.update_user(id, patch).await {
                                Ok(_) => Ok(true),
                                Err(e) if e.kind() == ErrorKind::Conflict => Ok(false),
                                Err(e) => Err(e),
                            }
                        }
                    })
                })
                .collect();
            let mut wins = 0;
            for t in tasks {
                if t.await.unwrap().unwrap() {
                    wins += 1;
                }
            }
            assert_eq!(wins, 1, "{} round {round}", b.name);
        }
    }
}
