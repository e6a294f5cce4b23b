//! The admin API under `/admin`, for operators and test suites: users, keys, tokens, teams, fault
//! rules, and the emulator's fixtures, reset and request journal (`emulator::handlers`). Bearer
//! admin token from configuration; disabled when that token is empty.
//! Its JSON is the gateway's own (core field names), not any vendor's.

use actix_web::{
    HttpRequest, HttpResponse,
    http::StatusCode,
    web::{self, Data, Json, Path},
};
use gateway_core::{
    CoreError, Field, Gateway, NewTeam, NewUser, PasswordChange, Surface, TeamRole, User,
    UserField, UserId, UserKind, UserPatch, UserStatus,
};
use gateway_http::{
    Tokens,
    faults::{FaultRuleSpec, Faults},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::credentials;

mod account;
mod devices;
mod webhooks;

pub use gateway_http::admin::AdminError;

type Result<T> = std::result::Result<T, AdminError>;

/// A user as the admin API shows it (never the password hash or TOTP secret).
#[derive(Debug, Serialize)]
pub struct AdminUser {
    id: String,
    username: String,
    email: Option<String>,
    email_verified: bool,
    kind: &'static str,
    status: &'static str,
    display_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    has_password: bool,
    is_active: bool,
    is_superuser: bool,
    is_platform_admin: bool,
    created_at: String,
    updated_at: String,
    version: i64,
}

impl From<&User> for AdminUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.identity.username.clone(),
            email: u.identity.email.clone(),
            email_verified: u.identity.email_verified,
            kind: u.account.kind.as_str(),
            status: u.account.status.as_str(),
            display_name: u.profile.display_name.clone(),
            first_name: u.profile.first_name.clone(),
            last_name: u.profile.last_name.clone(),
            has_password: u.has_password(),
            is_active: u.account.is_active,
            is_superuser: u.account.is_superuser,
            is_platform_admin: u.account.is_platform_admin,
            created_at: u.timestamps.created_at.to_rfc3339(),
            updated_at: u.timestamps.updated_at.to_rfc3339(),
            version: u.version,
        }
    }
}

/// `POST /admin/users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    password: Option<String>,
    password_hash: Option<String>,
    display_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    /// `regular` (default), `service_account` or `admin`.
    kind: Option<String>,
    /// `pending` (default), `active`, `invited`, `banned`.
    status: Option<String>,
    organization_id: Option<Uuid>,
    oauth_provider: Option<String>,
    oauth_id: Option<String>,
    #[serde(default)]
    is_superuser: bool,
    #[serde(default)]
    is_platform_admin: bool,
}

fn bad(field: impl Into<Field>, message: String) -> AdminError {
    CoreError::validation(vec![gateway_core::FieldIssue::new(
        field,
        gateway_core::IssueCode::InvalidFormat,
        message,
    )])
    .into()
}

impl TryFrom<CreateUser> for NewUser {
    type Error = AdminError;
    fn try_from(c: CreateUser) -> Result<Self> {
        let CreateUser {
            username,
            email,
            email_verified,
            password,
            password_hash,
            display_name,
            first_name,
            last_name,
            kind,
            status,
            organization_id,
            oauth_provider,
            oauth_id,
            is_superuser,
            is_platform_admin,
        } = c;
        let password = match (password, password_hash) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    UserField::Password,
                    "give password or password_hash, not both".into(),
                ));
            }
            (Some(p), None) => Some(PasswordChange::Plain(p)),
            (None, Some(h)) => Some(PasswordChange::Hash(h)),
            (None, None) => None,
        };
        let kind: UserKind = kind
            .as_deref()
            .unwrap_or("regular")
            .parse()
            .map_err(|e| bad(UserField::Kind, e))?;
        let status: UserStatus = status
            .as_deref()
            .unwrap_or("pending")
            .parse()
            .map_err(|e| bad(UserField::Status, e))?;
        let oauth = match (oauth_provider, oauth_id) {
            (Some(p), Some(i)) => Some((p, i)),
            (None, None) => None,
            _ => {
                return Err(bad(
                    UserField::OauthProvider,
                    "oauth_provider and oauth_id go together".into(),
                ));
            }
        };
        Ok(NewUser {
            kind,
            organization_id,
            oauth,
            fields: UserPatch {
                username: Some(username),
                email: Some(email),
                email_verified: Some(email_verified),
                password: Some(password),
                status: Some(status),
                display_name: Some(display_name),
                first_name: Some(first_name),
                last_name: Some(last_name),
                is_superuser: Some(is_superuser),
                is_platform_admin: Some(is_platform_admin),
                ..UserPatch::default()
            },
        })
    }
}

async fn create_user(gateway: Data<Gateway>, body: Json<CreateUser>) -> Result<HttpResponse> {
    let new = NewUser::try_from(body.into_inner())?;
    let user = gateway.create_user(new).await?.value;
    Ok(HttpResponse::Created().json(AdminUser::from(&user)))
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list_users(gateway: Data<Gateway>, page: web::Query<Page>) -> Result<HttpResponse> {
    let users = gateway
        .list_users(page.limit.unwrap_or(100), page.offset.unwrap_or(0))
        .await?;
    Ok(HttpResponse::Ok().json(users.iter().map(AdminUser::from).collect::<Vec<_>>()))
}

fn user_id(raw: &str) -> Result<UserId> {
    raw.parse()
        .map_err(|_| CoreError::not_found("user not found").into())
}

async fn show_user(gateway: Data<Gateway>, id: Path<String>) -> Result<HttpResponse> {
    let user = gateway.user(user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(AdminUser::from(&user)))
}

async fn delete_user(gateway: Data<Gateway>, id: Path<String>) -> Result<HttpResponse> {
    gateway.delete_user(user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/users/{id}/keys` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    surface: String,
    label: Option<String>,
}

async fn create_key(
    gateway: Data<Gateway>,
    id: Path<String>,
    body: Json<CreateKey>,
) -> Result<HttpResponse> {
    let user = gateway.user(user_id(&id)?).await?;
    let CreateKey { surface, label } = body.into_inner();
    let surface: Surface = surface
        .parse()
        .map_err(|e| bad(Field::Other("surface"), e))?;
    let (key, generated) = gateway.issue_api_key(user.id, surface, label).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": key.id, "surface": surface.as_str(), "user_id": user.id.to_string(), "key": generated.text,
    })))
}

async fn revoke_key(gateway: Data<Gateway>, id: Path<String>) -> Result<HttpResponse> {
    gateway.revoke_api_key(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/users/{id}/tokens` body: one surface, or all of them when absent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueTokens {
    surface: Option<String>,
    ttl_secs: Option<i64>,
    /// Also issue API keys (default true for the full set, false for one surface).
    with_keys: Option<bool>,
}

/// An optional JSON body: none (or blanks) means the defaults; anything else must parse, so a
/// wrongly typed number (`1.5`, `1e300`, 40 digits) is refused rather than silently ignored.
fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| bad(Field::Other("body"), format!("invalid request body: {e}")))
}

async fn issue_tokens(
    gateway: Data<Gateway>,
    tokens: Data<Tokens>,
    id: Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let user = gateway.user(user_id(&id)?).await?;
    let IssueTokens {
        surface,
        ttl_secs,
        with_keys,
    } = optional_body(&body)?;
    let lifetime = ttl_secs
        .map(|s| gateway_core::validate::ttl_secs("ttl_secs", s, false))
        .transpose()
        .map_err(|i| AdminError(CoreError::validation(vec![i])))?;
    let set = match surface {
        Some(s) => {
            let surface: Surface = s.parse().map_err(|e| bad(Field::Other("surface"), e))?;
            vec![
                credentials::issue(
                    &gateway,
                    &tokens,
                    user.id,
                    surface,
                    lifetime,
                    with_keys.unwrap_or(false),
                    Some("admin api".into()),
                )
                .await?,
            ]
        }
        None => {
            credentials::issue_all(
                &gateway,
                &tokens,
                user.id,
                lifetime,
                Some("admin api".into()),
            )
            .await?
        }
    };
    Ok(HttpResponse::Created().json(json!({"user_id": user.id.to_string(), "credentials": set})))
}

/// `POST /admin/teams` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTeam {
    display_name: String,
}

async fn create_team(gateway: Data<Gateway>, body: Json<CreateTeam>) -> Result<HttpResponse> {
    let new = NewTeam {
        display_name: body.into_inner().display_name,
        ..NewTeam::default()
    };
    let team = gateway.create_team(new, None).await?;
    Ok(HttpResponse::Created().json(json!({"id": team.id, "display_name": team.display_name})))
}

/// `POST /admin/teams/{id}/members` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    user_id: String,
    role: Option<String>,
}

async fn add_member(
    gateway: Data<Gateway>,
    team: Path<Uuid>,
    body: Json<AddMember>,
) -> Result<HttpResponse> {
    let AddMember { user_id: raw, role } = body.into_inner();
    let user = gateway.user(user_id(&raw)?).await?;
    let role: TeamRole = role
        .as_deref()
        .unwrap_or("member")
        .parse()
        .map_err(|e| bad(Field::Other("role"), e))?;
    gateway.add_member(*team, user.id, role).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn add_fault(faults: Data<Faults>, body: Json<FaultRuleSpec>) -> Result<HttpResponse> {
    let rule = faults
        .add_rule(body.into_inner())
        .map_err(|e| bad(Field::Other("fault"), e))?;
    Ok(HttpResponse::Created().json(rule))
}

async fn list_faults(faults: Data<Faults>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(faults.list()))
}

async fn remove_fault(faults: Data<Faults>, id: Path<Uuid>) -> Result<HttpResponse> {
    if faults.remove(*id) {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(CoreError::not_found("fault rule not found").into())
    }
}

async fn clear_faults(faults: Data<Faults>) -> Result<HttpResponse> {
    faults.clear();
    Ok(HttpResponse::NoContent().finish())
}

async fn not_found() -> Result<HttpResponse> {
    Err(CoreError::not_found("no such admin route").into())
}

fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let status = match &err {
        actix_web::error::JsonPayloadError::Overflow { .. }
        | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
            return actix_web::error::InternalError::from_response(
                err,
                HttpResponse::PayloadTooLarge().json(json!({"error": {"kind": "validation", "message": "request body is too large", "issues": []}})),
            )
            .into();
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let message = format!("invalid request body: {err}");
    actix_web::error::InternalError::from_response(
        err,
        HttpResponse::build(status)
            .json(json!({"error": {"kind": "validation", "message": message, "issues": []}})),
    )
    .into()
}

fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = format!("invalid query string: {err}");
    actix_web::error::InternalError::from_response(
        err,
        HttpResponse::BadRequest()
            .json(json!({"error": {"kind": "validation", "message": message, "issues": []}})),
    )
    .into()
}

/// Mounts `/admin` (with the emulator's fixtures, reset, journal and views endpoints).
pub fn configure(cfg: &mut web::ServiceConfig, registry: gateway_http::Registry) {
    cfg.service(
        web::scope("/admin")
            // The token is checked before any handler, extractor or body read.
            .wrap(actix_web::middleware::from_fn(gateway_http::admin::guard))
            .app_data(
                web::JsonConfig::default()
                    .limit(1 << 20)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .route("/users", web::post().to(create_user))
            .route("/users", web::get().to(list_users))
            .route("/users/{id}", web::get().to(show_user))
            .route("/users/{id}", web::delete().to(delete_user))
            .route("/users/{id}", web::patch().to(account::patch_user))
            .route(
                "/users/{id}/credentials",
                web::get().to(account::credentials_of),
            )
            .route(
                "/users/{id}/sessions",
                web::delete().to(account::revoke_sessions),
            )
            .route("/sessions/{id}", web::delete().to(account::revoke_session))
            .route("/users/{id}/keys", web::post().to(create_key))
            .route("/users/{id}/tokens", web::post().to(issue_tokens))
            .route("/keys/{id}", web::delete().to(revoke_key))
            .route("/teams", web::post().to(create_team))
            .route("/teams/{id}/members", web::post().to(add_member))
            .route("/device-authorizations", web::get().to(devices::list))
            .route(
                "/device-authorizations/{id}/approve",
                web::post().to(devices::approve),
            )
            .route(
                "/device-authorizations/{id}/deny",
                web::post().to(devices::deny),
            )
            .route("/projects/{id}/webhooks", web::post().to(webhooks::create))
            .route("/projects/{id}/webhooks", web::get().to(webhooks::list))
            .route(
                "/projects/{id}/webhooks/{endpoint}",
                web::delete().to(webhooks::delete),
            )
            .route(
                "/projects/{id}/webhooks/{endpoint}/secret",
                web::get().to(webhooks::secret),
            )
            .route("/faults", web::post().to(add_fault))
            .route("/faults", web::get().to(list_faults))
            .route("/faults", web::delete().to(clear_faults))
            .route("/faults/{id}", web::delete().to(remove_fault))
            .configure(crate::emulator::handlers::configure_admin)
            .configure(|cfg| registry.configure_admin(cfg))
            .default_service(web::to(not_found)),
    );
}
