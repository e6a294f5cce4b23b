//! Webhooks: the changes the account domain announces ([`Event`]), the port that carries them out
//! of the request ([`EventSink`]) and the endpoints of a project that receive them
//! ([`WebhookEndpoint`], stored through [`WebhookStore`]).
//!
//! Every dialect's write reaches the same events (one user is one user on every surface); how an
//! event is rendered on the wire and delivered is the business of the sink the server installs.
//! With no endpoint configured the sink is not listening and no event is even built.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, FieldIssue, Gateway, IssueCode, StoreError, Team, User, UserId,
    credentials::random_token, service::now,
};

/// The most webhook endpoints the gateway keeps (all projects together).
pub const WEBHOOK_ENDPOINTS_MAX: usize = 100;
/// The longest endpoint URL, in bytes.
pub const WEBHOOK_URL_MAX: usize = 2048;
/// The longest endpoint description, in characters.
pub const WEBHOOK_DESCRIPTION_MAX: usize = 256;

/// A change of the account domain, as it was committed.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A user was created.
    UserCreated(User),
    /// A user was changed (the user after the change).
    UserUpdated(User),
    /// A user was deleted; `teams` are the teams it was a member of.
    UserDeleted {
        /// The user's id.
        id: UserId,
        /// The teams it left.
        teams: Vec<Uuid>,
    },
    /// A team was created.
    TeamCreated(Team),
    /// A team was changed (the team after the change).
    TeamUpdated(Team),
    /// A team was deleted.
    TeamDeleted(Uuid),
    /// A user joined a team (not the creator of a team, who joins with it).
    MembershipCreated {
        /// The team.
        team_id: Uuid,
        /// The user.
        user_id: UserId,
    },
    /// A user left a team (or was removed, or deleted).
    MembershipDeleted {
        /// The team.
        team_id: Uuid,
        /// The user.
        user_id: UserId,
    },
    /// A member was granted a permission.
    PermissionCreated {
        /// The team.
        team_id: Uuid,
        /// The member.
        user_id: UserId,
        /// The permission's id.
        permission: String,
    },
    /// A member's permission was revoked.
    PermissionDeleted {
        /// The team.
        team_id: Uuid,
        /// The member.
        user_id: UserId,
        /// The permission's id.
        permission: String,
    },
}

/// Every event type, as endpoints filter on them.
pub const EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "team.created",
    "team.updated",
    "team.deleted",
    "team_membership.created",
    "team_membership.deleted",
    "team_permission.created",
    "team_permission.deleted",
];

impl Event {
    /// The event's type name (one of [`EVENT_TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::UserCreated(_) => "user.created",
            Self::UserUpdated(_) => "user.updated",
            Self::UserDeleted { .. } => "user.deleted",
            Self::TeamCreated(_) => "team.created",
            Self::TeamUpdated(_) => "team.updated",
            Self::TeamDeleted(_) => "team.deleted",
            Self::MembershipCreated { .. } => "team_membership.created",
            Self::MembershipDeleted { .. } => "team_membership.deleted",
            Self::PermissionCreated { .. } => "team_permission.created",
            Self::PermissionDeleted { .. } => "team_permission.deleted",
        }
    }
}

/// Where committed changes go. `emit` must not block: a sink queues the event and delivers it
/// off the request.
pub trait EventSink: Send + Sync {
    /// Whether anything would receive an event now; when not, the gateway builds none.
    fn listening(&self) -> bool;
    /// Takes one event (after its change was committed).
    fn emit(&self, event: Event);
}

/// The sink of a gateway without webhooks.
#[derive(Debug, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn listening(&self) -> bool {
        false
    }

    fn emit(&self, _: Event) {}
}

/// An endpoint that receives a project's events.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    /// Endpoint id.
    pub id: Uuid,
    /// The project it belongs to.
    pub project_id: Uuid,
    /// Where events are posted (`http` or `https`).
    pub url: String,
    /// Free text.
    pub description: String,
    /// The event types it receives; empty: every type.
    pub filter_types: Vec<String>,
    /// Random text from which, with the server's secret, the endpoint's signing secret is
    /// derived: the secret itself is stored nowhere.
    pub secret_salt: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    /// Whether the endpoint receives events of type `name`.
    pub fn wants(&self, name: &str) -> bool {
        self.filter_types.is_empty() || self.filter_types.iter().any(|t| t == name)
    }
}

/// An endpoint to create.
#[derive(Debug, Clone, Default)]
pub struct NewWebhookEndpoint {
    /// Where events are posted.
    pub url: String,
    /// Free text.
    pub description: String,
    /// The event types it receives; empty: every type.
    pub filter_types: Vec<String>,
}

/// Persistence of webhook endpoints.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Inserts an endpoint unless `max` exist already; `false` when refused for that.
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        max: usize,
    ) -> Result<bool, StoreError>;
    /// The endpoints of one project, or of every project, oldest first.
    async fn webhook_endpoints(
        &self,
        project_id: Option<Uuid>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// Deletes an endpoint of a project; `false` when there is none.
    async fn delete_webhook_endpoint(&self, project_id: Uuid, id: Uuid)
    -> Result<bool, StoreError>;
}

fn issue(field: &'static str, code: IssueCode, message: &str) -> CoreError {
    CoreError::validation(vec![FieldIssue::new(Field::Other(field), code, message)])
}

/// The checks on a new endpoint: an absolute `http(s)` URL with a host (parsed by the `url`
/// crate), no credentials in it, known event types.
fn check(new: &NewWebhookEndpoint) -> Result<(), CoreError> {
    let url = new.url.trim();
    if url.len() > WEBHOOK_URL_MAX {
        return Err(issue(
            "url",
            IssueCode::TooLong {
                max: WEBHOOK_URL_MAX,
            },
            "is too long",
        ));
    }
    // `url` reads `http:///x` as the host `x` (WHATWG's leniency): an empty authority as
    // written is refused before.
    let parsed = url::Url::parse(url).ok().filter(|_| {
        !url.split_once("://")
            .is_some_and(|(_, rest)| rest.starts_with('/'))
    });
    let acceptable = parsed.is_some_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.username().is_empty()
            && u.password().is_none()
    });
    if !acceptable {
        return Err(issue(
            "url",
            IssueCode::InvalidFormat,
            "must be an absolute http or https URL with a host and no credentials",
        ));
    }
    if new.description.chars().count() > WEBHOOK_DESCRIPTION_MAX {
        return Err(issue(
            "description",
            IssueCode::TooLong {
                max: WEBHOOK_DESCRIPTION_MAX,
            },
            "is too long",
        ));
    }
    if let Some(unknown) = new
        .filter_types
        .iter()
        .find(|t| !EVENT_TYPES.contains(&t.as_str()))
    {
        return Err(issue(
            "filter_types",
            IssueCode::InvalidFormat,
            &format!("{unknown:?} is not an event type"),
        ));
    }
    Ok(())
}

impl Gateway {
    /// The same service announcing its changes to `sink`.
    pub fn with_events(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = sink;
        self
    }

    /// Hands the event `build` makes to the sink, if it listens (nothing is built otherwise).
    pub(crate) fn announce(&self, build: impl FnOnce() -> Event) {
        if self.events.listening() {
            self.events.emit(build());
        }
    }

    /// Whether an event would reach anyone: callers that need a read to build one skip it.
    pub(crate) fn announcing(&self) -> bool {
        self.events.listening()
    }

    /// Creates an endpoint of a project (`NotFound` without the project; `Conflict` past
    /// [`WEBHOOK_ENDPOINTS_MAX`]).
    pub async fn create_webhook_endpoint(
        &self,
        project_id: Uuid,
        new: NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint, CoreError> {
        check(&new)?;
        self.project(project_id).await?;
        let NewWebhookEndpoint {
            url,
            description,
            filter_types,
        } = new;
        let endpoint = WebhookEndpoint {
            id: Uuid::new_v4(),
            project_id,
            url: url.trim().to_owned(),
            description,
            filter_types,
            secret_salt: random_token(24),
            created_at: now(),
        };
        if self
            .store
            .insert_webhook_endpoint(&endpoint, WEBHOOK_ENDPOINTS_MAX)
            .await?
        {
            Ok(endpoint)
        } else {
            Err(CoreError::conflict(
                Field::Other("url"),
                format!("at most {WEBHOOK_ENDPOINTS_MAX} webhook endpoints are kept"),
            ))
        }
    }

    /// The endpoints of a project (`None`: of every project), oldest first.
    pub async fn webhook_endpoints(
        &self,
        project_id: Option<Uuid>,
    ) -> Result<Vec<WebhookEndpoint>, CoreError> {
        Ok(self.store.webhook_endpoints(project_id).await?)
    }

    /// Deletes an endpoint of a project (`NotFound` when there is none).
    pub async fn delete_webhook_endpoint(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<(), CoreError> {
        if self.store.delete_webhook_endpoint(project_id, id).await? {
            Ok(())
        } else {
            Err(CoreError::not_found("webhook endpoint not found"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(url: &str) -> NewWebhookEndpoint {
        NewWebhookEndpoint {
            url: url.into(),
            ..NewWebhookEndpoint::default()
        }
    }

    #[test]
    fn endpoint_urls_are_absolute_http_without_credentials() {
        assert!(check(&new("http://127.0.0.1:9/hook")).is_ok());
        assert!(check(&new("https://example.com")).is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "http://",
            "http:///path",
            "https://user:pw@example.com/",
            "http://exa mple.com/",
            "example.com/hook",
        ] {
            assert!(check(&new(bad)).is_err(), "{bad:?} was accepted");
        }
        let long = format!("https://example.com/{}", "a".repeat(WEBHOOK_URL_MAX));
        assert!(check(&new(&long)).is_err());
    }

    #[test]
    fn filters_name_known_types() {
        let mut endpoint = new("https://example.com/");
        endpoint.filter_types = vec!["user.created".into()];
        assert!(check(&endpoint).is_ok());
        endpoint.filter_types.push("user.exploded".into());
        assert!(check(&endpoint).is_err());
    }

    #[test]
    fn an_empty_filter_wants_every_type() {
        let mut endpoint = WebhookEndpoint {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            url: String::new(),
            description: String::new(),
            filter_types: Vec::new(),
            secret_salt: String::new(),
            created_at: now(),
        };
        assert!(EVENT_TYPES.iter().all(|t| endpoint.wants(t)));
        endpoint.filter_types = vec!["team.created".into()];
        assert!(endpoint.wants("team.created") && !endpoint.wants("user.created"));
    }
}
