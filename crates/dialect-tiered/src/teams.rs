//! The teams family (`/api/v1/teams`, `/team-memberships`, `/team-permissions`): the vendor's
//! query and body schemas (`interface/crud/teams.ts`, `team-memberships.ts`,
//! `team-permissions.ts`) with its messages, its permission catalogue (what `team_admin` and
//! `team_member` contain in a new project), and the membership and permission checks of
//! `lib/request-checks.tsx`.

use std::collections::BTreeSet;

use gateway_core::{
    ErrorKind, Gateway, MetadataTiers, NewTeam, TeamMembership, TeamPatch, User, UserId,
    teams::{TEAM_ADMIN, TEAM_MEMBER},
};
use serde_json::Value;
use uuid::Uuid;

use actix_web::{HttpRequest, http::StatusCode};

use crate::{
    auth::{AccessType, Caller},
    body::Body,
    error::TieredError,
    handlers::{schema_error, uuid_param},
    known::KnownError,
    sessions::UserRef,
    validate::{Issues, QueryPairs, Tier, body_object, string, unknown_keys, url_checks},
};

/// The six system permissions every team has.
pub const SYSTEM_PERMISSIONS: [&str; 6] = [
    "$update_team",
    "$delete_team",
    "$read_members",
    "$remove_members",
    "$invite_members",
    "$manage_api_keys",
];

/// What a permission contains, as a new vendor project defines them
/// (`apps/backend/src/lib/projects.tsx`): `team_admin` every system permission, `team_member`
/// reading and inviting members; a system permission contains nothing.
pub fn contained(permission: &str) -> &'static [&'static str] {
    match permission {
        TEAM_ADMIN => &SYSTEM_PERMISSIONS,
        TEAM_MEMBER => &["$read_members", "$invite_members"],
        _ => &[],
    }
}

/// Whether the project defines `permission` (a system permission or one of the two defaults).
pub fn is_defined(permission: &str) -> bool {
    SYSTEM_PERMISSIONS.contains(&permission)
        || permission == TEAM_ADMIN
        || permission == TEAM_MEMBER
}

/// The permissions `direct` grants, with what they contain when `recursive` (undefined ones
/// dropped, as the vendor skips ids whose definition is gone).
pub fn expand(direct: &[String], recursive: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in direct.iter().filter(|p| is_defined(p)) {
        out.insert(p.clone());
        if recursive {
            out.extend(contained(p).iter().map(|c| (*c).to_owned()));
        }
    }
    out
}

/// The vendor's `stringCompare` (upper-cased first, then the plain order reversed), the order of
/// permission listings.
pub fn string_compare(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_uppercase()
        .cmp(&b.to_uppercase())
        .then_with(|| b.cmp(a))
}

/// The vendor's `permissionDefinitionIdSchema`, or the failure line.
pub fn permission_id_param(raw: &str) -> Result<String, String> {
    let body = raw.strip_prefix('$').unwrap_or(raw);
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
    {
        return Err("params.permission_id Only lowercase letters, numbers, \":\", \"_\" and optional \"$\" at the beginning are allowed".to_owned());
    }
    if raw.starts_with('$') && !SYSTEM_PERMISSIONS.contains(&raw) {
        return Err("params.permission_id Invalid system permission".to_owned());
    }
    Ok(raw.to_owned())
}

/// A `true`/`false` query flag (`add_current_user`, `recursive`).
fn flag(pairs: &QueryPairs, key: &str, issues: &mut Vec<String>) -> Option<bool> {
    match pairs.get(key) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            issues.push(format!(
                "query.{key} must be one of the following values: true, false"
            ));
            None
        }
    }
}

/// A `user_id` query value (`me` or a UUID).
fn user_ref(pairs: &QueryPairs, issues: &mut Vec<String>) -> Option<UserRef> {
    let raw = pairs.get("user_id")?;
    let parsed = UserRef::parse(raw);
    if parsed.is_none() {
        issues.push("query.user_id must be a valid UUID".to_owned());
    }
    parsed
}

/// The query of the team routes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamQuery {
    /// `user_id`: whose teams (listing).
    pub user: Option<UserRef>,
    /// `add_current_user` (deprecated): present, and its value.
    pub add_current_user: Option<bool>,
}

/// Parses the query of the team routes, or the failure lines.
pub fn team_query(raw: &str) -> Result<TeamQuery, Vec<String>> {
    let pairs = QueryPairs::parse(raw);
    let mut issues = Vec::new();
    let user = user_ref(&pairs, &mut issues);
    let add_current_user = flag(&pairs, "add_current_user", &mut issues);
    issues.extend(pairs.unknown_keys(&["user_id", "add_current_user"]));
    if issues.is_empty() {
        Ok(TeamQuery {
            user,
            add_current_user,
        })
    } else {
        Err(issues)
    }
}

/// The query of `GET /team-permissions`.
#[derive(Debug, Clone, Default)]
pub struct PermissionQuery {
    /// `team_id`.
    pub team_id: Option<Uuid>,
    /// `user_id`.
    pub user: Option<UserRef>,
    /// `permission_id`.
    pub permission_id: Option<String>,
    /// `recursive` (default false).
    pub recursive: bool,
}

/// Parses the query of `GET /team-permissions`, or the failure lines.
pub fn permission_query(raw: &str) -> Result<PermissionQuery, Vec<String>> {
    let pairs = QueryPairs::parse(raw);
    let mut issues = Vec::new();
    let team_id = pairs.get("team_id").and_then(|v| {
        let id = Uuid::parse_str(v)
            .ok()
            .filter(|_| crate::validate::is_uuid(v));
        if id.is_none() {
            issues.push("query.team_id must be a valid UUID".to_owned());
        }
        id
    });
    let user = user_ref(&pairs, &mut issues);
    let permission_id = pairs.get("permission_id").and_then(|v| {
        permission_id_param(v)
            .map_err(|line| issues.push(line.replacen("params.", "query.", 1)))
            .ok()
    });
    let recursive = flag(&pairs, "recursive", &mut issues).unwrap_or(false);
    issues.extend(pairs.unknown_keys(&["team_id", "user_id", "permission_id", "recursive"]));
    if issues.is_empty() {
        Ok(PermissionQuery {
            team_id,
            user,
            permission_id,
            recursive,
        })
    } else {
        Err(issues)
    }
}

/// A validated team body: the fields it names (`TeamPatch`), and on creation `creator_user_id`.
#[derive(Debug, Clone, Default)]
pub struct TeamBody {
    /// The fields.
    pub patch: TeamPatch,
    /// `creator_user_id` (creation only).
    pub creator: Option<UserRef>,
}

impl TeamBody {
    /// The new team this body describes (creation: `display_name` was required).
    pub fn new_team(&self) -> NewTeam {
        let p = &self.patch;
        NewTeam {
            display_name: p.display_name.clone().unwrap_or_default(),
            profile_image_url: p.profile_image_url.clone().flatten(),
            metadata: MetadataTiers {
                client: p.client_metadata.clone().flatten(),
                client_read_only: p.client_read_only_metadata.clone().flatten(),
                server: p.server_metadata.clone().flatten(),
            },
        }
    }
}

/// Validates a create (`create`) or update body for `tier`: client bodies may name
/// `display_name`, `profile_image_url` and `client_metadata`; server bodies also the two other
/// metadata tiers; a create also `creator_user_id` and needs `display_name`.
pub fn team_body(body: &Body, tier: Tier, create: bool) -> Result<TeamBody, Vec<String>> {
    let object = body_object(body)?;
    let mut issues = Issues::default();
    let mut out = TeamBody::default();
    let map = &object.map;
    match map.get("display_name") {
        Some(v) => out.patch.display_name = string("body.display_name", v, &mut issues),
        None if create => issues.push("body.display_name must be defined".to_owned()),
        None => {}
    }
    if let Some(v) = map.get("profile_image_url") {
        match v {
            Value::Null => out.patch.profile_image_url = Some(None),
            Value::String(s) => {
                if url_checks("body.profile_image_url", s, &mut issues) {
                    out.patch.profile_image_url = Some(Some(s.clone()));
                }
            }
            other => issues.push(crate::validate::type_error(
                "body.profile_image_url",
                "string",
                other,
            )),
        }
    }
    if let Some(v) = map.get("client_metadata") {
        out.patch.client_metadata = Some(crate::convert::json_value(v.clone()));
    }
    let mut known = vec!["display_name", "profile_image_url", "client_metadata"];
    if tier == Tier::Server {
        if let Some(v) = map.get("client_read_only_metadata") {
            out.patch.client_read_only_metadata = Some(crate::convert::json_value(v.clone()));
        }
        if let Some(v) = map.get("server_metadata") {
            out.patch.server_metadata = Some(crate::convert::json_value(v.clone()));
        }
        known.extend(["client_read_only_metadata", "server_metadata"]);
    }
    if create {
        if let Some(v) = map.get("creator_user_id") {
            match v.as_str().and_then(UserRef::parse) {
                Some(r) => out.creator = Some(r),
                None => issues.push("body.creator_user_id must be a valid UUID".to_owned()),
            }
        }
        known.push("creator_user_id");
    }
    unknown_keys("body", map, &object.order, &known, &mut issues);
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues.0)
    }
}

/// An empty-object body (`{}`): the membership and permission creates.
pub fn empty_body(body: &Body) -> Result<(), Vec<String>> {
    let object = body_object(body)?;
    let mut issues = Issues::default();
    unknown_keys("body", &object.map, &object.order, &[], &mut issues);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues.0)
    }
}

/// The vendor's `ensureTeamMembershipExists`: the user must exist (`USER_NOT_FOUND`), then be a
/// member (`TEAM_MEMBERSHIP_NOT_FOUND`, also for a team that does not exist).
pub async fn ensure_membership(
    gateway: &Gateway,
    team_id: Uuid,
    user_id: UserId,
) -> Result<TeamMembership, TieredError> {
    gateway.user(user_id).await?;
    gateway
        .membership(team_id, user_id)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => {
                KnownError::team_membership_not_found(&team_id.to_string(), &user_id.to_string())
                    .into()
            }
            _ => TieredError::from(e),
        })
}

/// The vendor's `ensureUserTeamPermissionExists` (recursive): the membership, then the
/// permission (`TEAM_PERMISSION_REQUIRED`, 401).
pub async fn ensure_permission(
    gateway: &Gateway,
    team_id: Uuid,
    user: &User,
    permission: &str,
) -> Result<TeamMembership, TieredError> {
    let membership = ensure_membership(gateway, team_id, user.id).await?;
    if expand(&membership.permissions, true).contains(permission) {
        Ok(membership)
    } else {
        Err(KnownError::team_permission_required(
            &team_id.to_string(),
            &user.id.to_string(),
            permission,
        )
        .into())
    }
}

/// A team that must exist for a server caller (`TEAM_NOT_FOUND`).
pub async fn existing_team(
    gateway: &Gateway,
    team_id: Uuid,
) -> Result<gateway_core::Team, TieredError> {
    gateway.team(team_id).await.map_err(|e| match e.kind() {
        ErrorKind::NotFound => KnownError::team_not_found(&team_id.to_string()).into(),
        _ => TieredError::from(e),
    })
}

/// The `{team_id}` parameter of the team routes and their query, or the `SCHEMA_ERROR`.
pub fn team_id_and_query(req: &HttpRequest) -> Result<Uuid, TieredError> {
    let mut lines = Vec::new();
    let id = uuid_param(req, "team_id").map_err(|l| lines.push(l)).ok();
    if let Err(more) = team_query(req.query_string()) {
        lines.extend(more);
    }
    match id {
        Some(id) if lines.is_empty() => Ok(id),
        _ => Err(schema_error(req, &lines)),
    }
}

/// The team a caller addresses: for a client, one it belongs to (holding `permission`, when
/// given: `USER_AUTHENTICATION_REQUIRED`, `TEAM_MEMBERSHIP_NOT_FOUND`, `TEAM_PERMISSION_REQUIRED`);
/// for a server, any team that exists (`TEAM_NOT_FOUND`).
pub async fn team_of(
    gateway: &Gateway,
    caller: &Caller,
    team_id: Uuid,
    permission: Option<&str>,
) -> Result<gateway_core::Team, TieredError> {
    if caller.access_type != AccessType::Client {
        return existing_team(gateway, team_id).await;
    }
    let own = caller
        .user
        .as_ref()
        .ok_or_else(KnownError::user_authentication_required)?;
    let membership = match permission {
        Some(p) => ensure_permission(gateway, team_id, own, p).await?,
        None => ensure_membership(gateway, team_id, own.id).await?,
    };
    Ok(membership.team)
}

/// The vendor's image rule for teams: clients may send a base64 image only; servers also an
/// `http(s)` URL (the gateway keeps a base64 image as the data URL it is: it has no storage to
/// upload it to). Otherwise plain text 400 `Invalid profile image URL`.
pub fn check_image(url: Option<&str>, tier: Tier) -> Result<(), TieredError> {
    let Some(url) = url else {
        return Ok(());
    };
    let web = url.starts_with("http://") || url.starts_with("https://");
    if crate::validate::is_base64_image(url) || (tier == Tier::Server && web) {
        Ok(())
    } else {
        Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "Invalid profile image URL",
        ))
    }
}

/// The vendor's name of a personal team: the user's display name, else its primary email, each
/// followed by `'s Team`; else `Personal Team`.
pub fn personal_team_name(user: &User) -> String {
    if let Some(name) = user
        .profile
        .display_name
        .as_deref()
        .filter(|n| !n.is_empty())
    {
        return format!("{name}'s Team");
    }
    if let Some(email) = user.identity.email.as_deref() {
        return format!("{email}'s Team");
    }
    "Personal Team".to_owned()
}

/// Creates and selects `user`'s personal team when the project says so (`create_team_on_sign_up`);
/// the user as it is after.
pub async fn personal_team(
    gateway: &Gateway,
    project: &gateway_core::Project,
    user: User,
) -> Result<User, TieredError> {
    if !project.create_team_on_sign_up {
        return Ok(user);
    }
    let new = NewTeam {
        display_name: personal_team_name(&user),
        ..NewTeam::default()
    };
    gateway.create_selected_team(new, user.id).await?;
    Ok(gateway.user(user.id).await?)
}

/// After an anonymous user signs up: its teams still named `Personal Team` take the name of
/// its new identity (the vendor's rename on upgrade).
pub async fn rename_personal_teams(gateway: &Gateway, user: &User) -> Result<(), TieredError> {
    let name = personal_team_name(user);
    for m in gateway.memberships(user.id).await? {
        if m.team.display_name == "Personal Team" && name != m.team.display_name {
            let patch = TeamPatch {
                display_name: Some(name.clone()),
                ..TeamPatch::default()
            };
            gateway.update_team(m.team.id, patch).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_expand_and_sort_as_the_vendor_lists_them() {
        let mut admin: Vec<String> = expand(&[TEAM_ADMIN.to_owned()], true).into_iter().collect();
        admin.sort_by(|a, b| string_compare(a, b));
        assert_eq!(
            admin,
            [
                "$delete_team",
                "$invite_members",
                "$manage_api_keys",
                "$read_members",
                "$remove_members",
                "$update_team",
                "team_admin"
            ]
        );
        let member: Vec<String> = expand(&[TEAM_MEMBER.to_owned(), "gone".into()], true)
            .into_iter()
            .collect();
        assert_eq!(member, ["$invite_members", "$read_members", "team_member"]);
        assert_eq!(
            expand(&[TEAM_ADMIN.to_owned()], false)
                .into_iter()
                .collect::<Vec<_>>(),
            ["team_admin"]
        );
    }

    #[test]
    fn permission_ids_follow_the_vendor_schema() {
        assert!(permission_id_param("team_admin").is_ok());
        assert!(permission_id_param("$read_members").is_ok());
        assert!(permission_id_param("custom:perm_1").is_ok());
        assert!(
            permission_id_param("$nope")
                .unwrap_err()
                .ends_with("Invalid system permission")
        );
        assert!(permission_id_param("Upper").is_err());
        assert!(permission_id_param("").is_err());
    }

    #[test]
    fn personal_team_names() {
        let mut user = User::new(UserId::new(), "u", chrono::Utc::now());
        assert_eq!(personal_team_name(&user), "Personal Team");
        user.identity.email = Some("a@example.com".into());
        assert_eq!(personal_team_name(&user), "a@example.com's Team");
        user.profile.display_name = Some("Ann".into());
        assert_eq!(personal_team_name(&user), "Ann's Team");
    }
}
