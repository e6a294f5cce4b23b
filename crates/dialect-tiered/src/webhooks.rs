//! The vendor's webhook payloads: what Stack Auth puts in the `data` of each event it sends
//! through Svix (`apps/backend/src/lib/webhooks.tsx` and the `*WebhookEvent` definitions beside
//! its CRUD schemas). Users and teams are the server read objects; a deleted user carries the
//! ids of the teams it left; memberships and permissions carry their ids only.

use gateway_core::{CoreError, Event, Gateway, User};
use gateway_http::WebhookPayload;
use serde_json::{Value, json};

use crate::{convert, validate::Tier};

/// The `data` of the message announcing `event`.
pub fn payload<'a>(gateway: &'a Gateway, event: &'a Event) -> WebhookPayload<'a> {
    Box::pin(async move {
        Ok(Some(match event {
            Event::UserCreated(user) | Event::UserUpdated(user) => user_read(gateway, user).await?,
            Event::UserDeleted { id, teams } => json!({
                "id": id.to_string(),
                "teams": teams.iter().map(|t| json!({"id": t.to_string()})).collect::<Vec<_>>(),
            }),
            Event::TeamCreated(team) | Event::TeamUpdated(team) => {
                to_value(convert::team_read(team, Tier::Server))?
            }
            Event::TeamDeleted(id) => json!({"id": id.to_string()}),
            Event::MembershipCreated { team_id, user_id }
            | Event::MembershipDeleted { team_id, user_id } => json!({
                "team_id": team_id.to_string(),
                "user_id": user_id.to_string(),
            }),
            Event::PermissionCreated {
                team_id,
                user_id,
                permission,
            }
            | Event::PermissionDeleted {
                team_id,
                user_id,
                permission,
            } => json!({
                "id": permission,
                "team_id": team_id.to_string(),
                "user_id": user_id.to_string(),
            }),
        }))
    })
}

/// The server read object of `user` (its selected team read now: the event is rendered after
/// the change was committed).
async fn user_read(gateway: &Gateway, user: &User) -> Result<Value, CoreError> {
    let team = crate::handlers::selected_team(gateway, user).await?;
    to_value(convert::user_read(user, team.as_ref(), Tier::Server))
}

fn to_value(value: impl serde::Serialize) -> Result<Value, CoreError> {
    serde_json::to_value(value).map_err(CoreError::internal)
}
