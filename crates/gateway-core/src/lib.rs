//! The user domain shared by every wire dialect.
//!
//! This crate owns the model (users, teams, sessions, API keys, metadata tiers), the commands that
//! change it (with partial-update semantics), the domain invariants (username pattern, email
//! syntax, locale and time-zone checks, uniqueness via the store), the credential rules (password
//! hashing, API keys, refresh tokens) and one error type with a stable [`ErrorKind`].
//!
//! It must not depend on actix, diesel, utoipa or any other workspace crate, and it carries no
//! serde renames for any one dialect: each dialect converts to and from these types itself.

pub mod channels;
pub mod codes;
pub mod command;
pub mod credentials;
pub mod device;
pub mod error;
pub mod idempotency;
pub mod import;
pub mod mail;
pub mod model;
pub mod patch;
pub mod ports;
pub mod project;
pub mod query;
pub mod service;
pub mod session_cache;
pub mod teams;
pub mod tenancy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod validate;
pub mod webhooks;

pub use channels::{
    ChannelPatch, ChannelRefusal, ChannelStore, ChannelWrite, ContactChannel, MAX_OTHER_CHANNELS,
    NewChannel, channel_id,
};
pub use codes::{CodePurpose, CodeRefusal, CodeStore, OneTimeCode};
pub use command::{NewUser, PasswordChange};
pub use device::{
    DeviceAuthorization, DevicePoll, DeviceRefusal, DeviceState, DeviceStore, DeviceTiming,
    DeviceTransition,
};
pub use error::{CoreError, ErrorKind, Field, FieldIssue, IssueCode, Notice, Outcome};
pub use idempotency::{
    IdempotencyKey, IdempotencyRecord, IdempotencyStart, IdempotencyTicket, StoredResponse,
};
pub use mail::{Mail, Mailer};
pub use model::{
    Account, ApiKey, Identity, KeySpec, MetadataTiers, NewApiKey, NewSession, Profile, RiskScores,
    Security, Session, Standing, Surface, Team, TeamMembership, TeamRole, Timestamps, User,
    UserField, UserId, UserKind, UserStatus,
};
pub use patch::UserPatch;
pub use ports::{
    ApiKeyStore, IdempotencyStore, MaintenanceStore, ProjectStore, Revocation, SecretStore,
    SessionStore, Store, StoreError, TeamStore, UserChanges, UserStore,
};
pub use project::{IssuedProject, NewProject, Project, ProjectKey, ProjectPatch};
pub use query::{FlagFilter, USER_PAGE_MAX, UserOrder, UserPage, UserQuery, UserSearch};
pub use service::Gateway;
pub use teams::{FirstMember, Member, NewTeam, TeamPatch};
pub use webhooks::{Event, EventSink, NewWebhookEndpoint, NoEvents, WebhookEndpoint, WebhookStore};
