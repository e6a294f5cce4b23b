//! The vendor's known errors (`packages/stack-shared/src/known-errors.tsx`): status, code, exact
//! text and `details`, one constructor per code this surface can answer with. The texts name the
//! `x-stack-*` headers whichever prefix the request used (spec §7.1, choice).

use actix_web::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

/// `details` of a known error, in the vendor's key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Details(pub Vec<(&'static str, Value)>);

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One known error: rendered as pretty-printed `{code, details?, error}` with the
/// `x-stack-known-error` / `x-hexclave-known-error` headers.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code, e.g. `USER_NOT_FOUND`.
    pub code: &'static str,
    /// The human-readable text (`error`).
    pub message: String,
    /// `details`, omitted when `None`.
    pub details: Option<Details>,
}

/// The body of a known error, in the vendor's key order.
#[derive(Serialize)]
pub struct KnownErrorBody<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Structured details, when the error has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Details>,
    /// Human-readable text.
    pub error: &'a str,
}

const AUTH_DOCS: &str = "For more information, see the docs on REST API authentication: https://docs.stack-auth.com/rest-api/overview#authentication";

fn known(status: StatusCode, code: &'static str, message: impl Into<String>) -> KnownError {
    KnownError {
        status,
        code,
        message: message.into(),
        details: None,
    }
}

fn with(mut e: KnownError, details: Vec<(&'static str, Value)>) -> KnownError {
    e.details = Some(Details(details));
    e
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// JavaScript's `JSON.stringify` of a string (a quoted, escaped literal).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// JavaScript's `Date.prototype.toISOString` (milliseconds, `Z`).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl KnownError {
    /// The serializable body.
    pub fn body(&self) -> KnownErrorBody<'_> {
        KnownErrorBody {
            code: self.code,
            details: self.details.as_ref(),
            error: &self.message,
        }
    }

    /// No access type at all on a route that needs one.
    pub fn access_type_required() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "ACCESS_TYPE_REQUIRED",
            format!(
                "You must specify an access level for this Stack project. Make sure project API keys are provided (eg. x-stack-publishable-client-key) and you set the x-stack-access-type header to 'client', 'server', or 'admin'.\n\n{AUTH_DOCS}"
            ),
        )
    }

    /// A key or an admin token without an access type.
    pub fn project_key_without_access_type() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "PROJECT_KEY_WITHOUT_ACCESS_TYPE",
            "Either an API key or an admin access token was provided, but the x-stack-access-type header is missing. Set it to 'client', 'server', or 'admin' as appropriate.",
        )
    }

    /// An access type other than client/server/admin.
    pub fn invalid_access_type(value: &str) -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "INVALID_ACCESS_TYPE",
            format!(
                "The x-stack-access-type header must be 'client', 'server', or 'admin', but was '{value}'."
            ),
        )
    }

    /// An access type without a project id.
    pub fn access_type_without_project_id(access_type: &str) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "ACCESS_TYPE_WITHOUT_PROJECT_ID",
                format!(
                    "The x-stack-access-type header was '{access_type}', but the x-stack-project-id header was not provided.\n\n{AUTH_DOCS}"
                ),
            ),
            vec![("request_type", Value::String(access_type.to_owned()))],
        )
    }

    /// The project id names no project.
    pub fn current_project_not_found(project_id: &str) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "CURRENT_PROJECT_NOT_FOUND",
                format!(
                    "The current project with ID {project_id} was not found. Please check the value of the x-stack-project-id header."
                ),
            ),
            vec![("project_id", Value::String(project_id.to_owned()))],
        )
    }

    /// A branch other than `main`.
    pub fn branch_does_not_exist(branch_id: &str) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "BRANCH_DOES_NOT_EXIST",
                format!("The branch with ID {branch_id} does not exist."),
            ),
            vec![("branch_id", Value::String(branch_id.to_owned()))],
        )
    }

    /// A client request without the publishable key while the project requires one.
    pub fn publishable_client_key_required(project_id: &str) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT",
                "Publishable client keys are required for this project. Create one in Project Keys, or disable this requirement there to allow keyless client access.",
            ),
            vec![("project_id", Value::String(project_id.to_owned()))],
        )
    }

    /// A publishable key that is not the project's.
    pub fn invalid_publishable_client_key(project_id: &str) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "INVALID_PUBLISHABLE_CLIENT_KEY",
                format!(
                    "The publishable key is not valid for the project {}. Does the project and/or the key exist?",
                    quoted(project_id)
                ),
            ),
            vec![("project_id", Value::String(project_id.to_owned()))],
        )
    }

    /// A server request without the secret key.
    pub fn server_authentication_required() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "SERVER_AUTHENTICATION_REQUIRED",
            "The secret server key must be provided.",
        )
    }

    /// A secret key that is not the project's.
    pub fn invalid_secret_server_key(project_id: &str) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "INVALID_SECRET_SERVER_KEY",
                format!(
                    "The secret server key is not valid for the project {}. Does the project and/or the key exist?",
                    quoted(project_id)
                ),
            ),
            vec![("project_id", Value::String(project_id.to_owned()))],
        )
    }

    /// An admin request without the super secret admin key.
    pub fn admin_authentication_required() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "ADMIN_AUTHENTICATION_REQUIRED",
            "The super secret admin key must be provided.",
        )
    }

    /// A super secret admin key that is not the project's (the gateway issues none).
    pub fn invalid_super_secret_admin_key(project_id: &str) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "INVALID_SUPER_SECRET_ADMIN_KEY",
                format!(
                    "The super secret admin key is not valid for the project {}. Does the project and/or the key exist?",
                    quoted(project_id)
                ),
            ),
            vec![("project_id", Value::String(project_id.to_owned()))],
        )
    }

    /// An admin access token (the gateway issues none).
    pub fn unparsable_admin_access_token() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "UNPARSABLE_ADMIN_ACCESS_TOKEN",
            "Admin access token is not parsable.",
        )
    }

    /// An access token that is malformed, forged, unsigned or of a foreign issuer.
    pub fn unparsable_access_token() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "UNPARSABLE_ACCESS_TOKEN",
            "Access token is not parsable.",
        )
    }

    /// A genuine but expired access token.
    pub fn access_token_expired(
        expired_at: Option<DateTime<Utc>>,
        project_id: Option<&str>,
        user_id: Option<&str>,
        refresh_token_id: Option<&str>,
    ) -> Self {
        let mut message =
            String::from("Access token has expired. Please refresh it and try again.");
        if let Some(at) = expired_at {
            message.push_str(&format!(" (The access token expired at {}.)", iso(at)));
        }
        if let Some(p) = project_id {
            message.push_str(&format!(" Project ID: {p}."));
        }
        if let Some(u) = user_id {
            message.push_str(&format!(" User ID: {u}."));
        }
        if let Some(r) = refresh_token_id {
            message.push_str(&format!(" Refresh token ID: {r}."));
        }
        message.push_str("\n\nDebug info: Most likely, you fetched the access token before it expired (for example, in a server component, pre-rendered page, or on page load), but then didn't refresh it before it expired. If this is the case, and you're using the SDK, make sure you call getAccessToken() every time you need to use the access token. If you're not using the SDK, make sure you refresh the access token with the refresh endpoint.");
        with(
            known(StatusCode::UNAUTHORIZED, "ACCESS_TOKEN_EXPIRED", message),
            vec![
                (
                    "expired_at_millis",
                    expired_at.map_or(Value::Null, |t| Value::from(t.timestamp_millis())),
                ),
                ("project_id", opt(project_id)),
                ("user_id", opt(user_id)),
                ("refresh_token_id", opt(refresh_token_id)),
            ],
        )
    }

    /// A genuine access token of another project.
    pub fn invalid_project_for_access_token(expected: &str, actual: &str) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "INVALID_PROJECT_FOR_ACCESS_TOKEN",
                format!(
                    "Access token not valid for this project. Expected project ID {}, but the token is for project ID {}.",
                    quoted(expected),
                    quoted(actual)
                ),
            ),
            vec![
                ("expected_project_id", Value::String(expected.to_owned())),
                ("actual_project_id", Value::String(actual.to_owned())),
            ],
        )
    }

    /// An anonymous user's token without `allow-anonymous-user: true`.
    pub fn anonymous_authentication_not_allowed() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",
            "X-Stack-Access-Token is for an anonymous user, but anonymous users are not enabled. Set the X-Stack-Allow-Anonymous-User header of this request to 'true' to allow anonymous users.",
        )
    }

    /// A restricted user's token without `allow-restricted-user: true`.
    pub fn restricted_user_not_allowed(reason: &str) -> Self {
        with(
            known(
                StatusCode::FORBIDDEN,
                "RESTRICTED_USER_NOT_ALLOWED",
                format!(
                    "The user in the access token is in restricted state. Reason: {reason}. Please pass the X-Stack-Allow-Restricted-User header if this is intended."
                ),
            ),
            vec![("restricted_reason", serde_json::json!({ "type": reason }))],
        )
    }

    /// The access type may not use this route.
    pub fn insufficient_access_type(actual: &str, allowed: &[&str]) -> Self {
        let list = allowed
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        with(
            known(
                StatusCode::UNAUTHORIZED,
                "INSUFFICIENT_ACCESS_TYPE",
                format!("The x-stack-access-type header must be {list}, but was '{actual}'."),
            ),
            vec![
                ("actual_access_type", Value::String(actual.to_owned())),
                (
                    "allowed_access_types",
                    Value::Array(
                        allowed
                            .iter()
                            .map(|a| Value::String((*a).to_owned()))
                            .collect(),
                    ),
                ),
            ],
        )
    }

    /// `me` without a user.
    pub fn cannot_get_own_user_without_user() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "CANNOT_GET_OWN_USER_WITHOUT_USER",
            "You have specified 'me' as a userId, but did not provide authentication for a user.",
        )
    }

    /// No user with this id.
    pub fn user_not_found() -> Self {
        known(StatusCode::NOT_FOUND, "USER_NOT_FOUND", "User not found.")
    }

    /// Request validation failed; `message` is the whole multi-line text.
    pub fn schema_error(message: String) -> Self {
        with(
            known(StatusCode::BAD_REQUEST, "SCHEMA_ERROR", message.clone()),
            vec![("message", Value::String(message))],
        )
    }

    /// The body cannot be parsed. The vendor sends no `details`; the SDK reads
    /// `details.message` without a guard, so the gateway adds it (choice, tests/sdk/js/README.md).
    pub fn body_parsing_error(message: &str) -> Self {
        with(
            known(StatusCode::BAD_REQUEST, "BODY_PARSING_ERROR", message),
            vec![("message", Value::String(message.to_owned()))],
        )
    }

    /// The project's `credential_enabled` is off.
    pub fn password_authentication_not_enabled() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "PASSWORD_AUTHENTICATION_NOT_ENABLED",
            "Password authentication is not enabled for this project.",
        )
    }

    /// The project's `sign_up_enabled` is off and the request would make a new user.
    pub fn sign_up_not_enabled() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "SIGN_UP_NOT_ENABLED",
            "Creation of new accounts is not enabled for this project. Please ask the project owner to enable it.",
        )
    }

    /// The email is used for sign-in by another user.
    pub fn user_email_already_exists(email: &str) -> Self {
        Self::user_email_already_exists_as(email, false)
    }

    /// The email belongs to a user who signs in with it but has not verified it: an OTP to it
    /// would work once it is verified.
    pub fn user_email_already_exists_as(email: &str, would_work_if_verified: bool) -> Self {
        with(
            known(
                StatusCode::CONFLICT,
                "USER_EMAIL_ALREADY_EXISTS",
                format!("A user with email {} already exists.", quoted(email)),
            ),
            vec![
                ("email", Value::String(email.to_owned())),
                (
                    "would_work_if_email_was_verified",
                    Value::Bool(would_work_if_verified),
                ),
            ],
        )
    }

    /// The user is not a member of the team.
    pub fn team_membership_not_found(team_id: &str, user_id: &str) -> Self {
        with(
            known(
                StatusCode::NOT_FOUND,
                "TEAM_MEMBERSHIP_NOT_FOUND",
                format!("User {user_id} is not found in team {team_id}."),
            ),
            vec![
                ("team_id", Value::String(team_id.to_owned())),
                ("user_id", Value::String(user_id.to_owned())),
            ],
        )
    }

    /// A client route that needs a signed-in user has none.
    pub fn user_authentication_required() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "USER_AUTHENTICATION_REQUIRED",
            "User authentication required for this endpoint.",
        )
    }

    /// No team with this id (server callers; clients hear `TEAM_MEMBERSHIP_NOT_FOUND`).
    pub fn team_not_found(team_id: &str) -> Self {
        with(
            known(
                StatusCode::NOT_FOUND,
                "TEAM_NOT_FOUND",
                format!("Team {team_id} not found."),
            ),
            vec![("team_id", Value::String(team_id.to_owned()))],
        )
    }

    /// The user is a member of the team already.
    pub fn team_membership_already_exists() -> Self {
        known(
            StatusCode::CONFLICT,
            "TEAM_MEMBERSHIP_ALREADY_EXISTS",
            "Team membership already exists.",
        )
    }

    /// The caller lacks a team permission the route needs (the vendor answers 401).
    pub fn team_permission_required(team_id: &str, user_id: &str, permission_id: &str) -> Self {
        Self::team_permission("TEAM_PERMISSION_REQUIRED", team_id, user_id, permission_id)
    }

    /// The member does not hold the permission directly (revoking it).
    pub fn team_permission_not_found(team_id: &str, user_id: &str, permission_id: &str) -> Self {
        Self::team_permission("TEAM_PERMISSION_NOT_FOUND", team_id, user_id, permission_id)
    }

    fn team_permission(
        code: &'static str,
        team_id: &str,
        user_id: &str,
        permission_id: &str,
    ) -> Self {
        with(
            known(
                StatusCode::UNAUTHORIZED,
                code,
                format!(
                    "User {user_id} does not have permission {permission_id} in team {team_id}."
                ),
            ),
            vec![
                ("team_id", Value::String(team_id.to_owned())),
                ("user_id", Value::String(user_id.to_owned())),
                ("permission_id", Value::String(permission_id.to_owned())),
            ],
        )
    }

    /// No permission definition with this id.
    pub fn permission_not_found(permission_id: &str) -> Self {
        with(
            known(
                StatusCode::NOT_FOUND,
                "PERMISSION_NOT_FOUND",
                format!(
                    "Permission {} not found. Make sure you created it on the dashboard.",
                    quoted(permission_id)
                ),
            ),
            vec![("permission_id", Value::String(permission_id.to_owned()))],
        )
    }

    /// No API key with this id or secret.
    pub fn api_key_not_found() -> Self {
        known(
            StatusCode::NOT_FOUND,
            "API_KEY_NOT_FOUND",
            "API key not found.",
        )
    }

    /// The API key was revoked.
    pub fn api_key_revoked() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "API_KEY_REVOKED",
            "API key has been revoked.",
        )
    }

    /// The API key's expiry has passed.
    pub fn api_key_expired() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "API_KEY_EXPIRED",
            "API key has expired.",
        )
    }

    /// The refresh token is unknown, expired, revoked or of another project.
    pub fn refresh_token_not_found_or_expired() -> Self {
        known(
            StatusCode::UNAUTHORIZED,
            "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED",
            "Refresh token not found for this project, or the session has expired/been revoked.",
        )
    }

    /// A new password shorter than the vendor's minimum.
    pub fn password_too_short(min_length: usize) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "PASSWORD_TOO_SHORT",
                format!("Password too short. Minimum length is {min_length}."),
            ),
            vec![("min_length", Value::from(min_length))],
        )
    }

    /// `POST /auth/password/update` for a user without a password.
    pub fn user_does_not_have_password() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "USER_DOES_NOT_HAVE_PASSWORD",
            "This user does not have password authentication enabled.",
        )
    }

    /// `POST /auth/password/update` with a wrong old password.
    pub fn password_confirmation_mismatch() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "PASSWORD_CONFIRMATION_MISMATCH",
            "Passwords do not match.",
        )
    }

    /// No user signs in with this email and password.
    pub fn email_password_mismatch() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "EMAIL_PASSWORD_MISMATCH",
            "Wrong e-mail or password.",
        )
    }

    /// A redirect or callback URL outside the project's trusted domains.
    pub fn redirect_url_not_whitelisted() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "REDIRECT_URL_NOT_WHITELISTED",
            "Redirect URL not whitelisted. Did you forget to add this domain to the trusted domains list on the Stack Auth dashboard?",
        )
    }

    /// The legacy verification request names another address than the user's primary email.
    pub fn email_is_not_primary_email(email: &str, primary: Option<&str>) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "EMAIL_IS_NOT_PRIMARY_EMAIL",
                format!(
                    "The given e-mail ({email}) must equal the user's primary e-mail ({}).",
                    primary.unwrap_or("null")
                ),
            ),
            vec![
                ("email", Value::String(email.to_owned())),
                (
                    "primary_email",
                    primary.map_or(Value::Null, |p| Value::String(p.to_owned())),
                ),
            ],
        )
    }

    /// Another account signs in with the address (`value`: named on a create, not on an update,
    /// as the vendor's message does).
    pub fn contact_channel_already_used_for_auth_by_someone_else(value: Option<&str>) -> Self {
        let named = value.map_or_else(String::new, |v| format!("\"({v})\""));
        with(
            known(
                StatusCode::CONFLICT,
                "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
                format!(
                    "This email {named} is already used for authentication by another account."
                ),
            ),
            vec![
                ("type", Value::String("email".to_owned())),
                (
                    "contact_channel_value",
                    value.map_or(Value::Null, |v| Value::String(v.to_owned())),
                ),
                ("would_work_if_email_was_verified", Value::Bool(false)),
            ],
        )
    }

    /// The email of a verification request is verified already.
    pub fn email_already_verified() -> Self {
        known(
            StatusCode::CONFLICT,
            "EMAIL_ALREADY_VERIFIED",
            "The e-mail is already verified.",
        )
    }

    /// No verification code of this kind has that text in the project.
    pub fn verification_code_not_found() -> Self {
        known(
            StatusCode::NOT_FOUND,
            "VERIFICATION_CODE_NOT_FOUND",
            "The verification code does not exist for this project.",
        )
    }

    /// The code expired.
    pub fn verification_code_expired() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "VERIFICATION_CODE_EXPIRED",
            "The verification code has expired.",
        )
    }

    /// The code was used already.
    pub fn verification_code_already_used() -> Self {
        known(
            StatusCode::CONFLICT,
            "VERIFICATION_CODE_ALREADY_USED",
            "The verification link has already been used.",
        )
    }

    /// The user has TOTP: a password alone does not sign it in.
    pub fn multi_factor_authentication_required(attempt_code: &str) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "MULTI_FACTOR_AUTHENTICATION_REQUIRED",
                "Multi-factor authentication is required for this user.",
            ),
            vec![("attempt_code", Value::String(attempt_code.to_owned()))],
        )
    }

    /// `DELETE /auth/sessions/{id}` of the caller's own session.
    pub fn cannot_delete_current_session() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "CANNOT_DELETE_CURRENT_SESSION",
            "Cannot delete the current session.",
        )
    }

    /// `POST /auth/sessions` for a user that does not exist.
    pub fn user_id_does_not_exist(user_id: &str) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "USER_ID_DOES_NOT_EXIST",
                format!("The given user with the ID {user_id} does not exist."),
            ),
            vec![("user_id", Value::String(user_id.to_owned()))],
        )
    }

    /// The OAuth client id is no project, or the secret is not its publishable key.
    pub fn invalid_oauth_client_id_or_secret(client_id: Option<&str>) -> Self {
        with(
            known(
                StatusCode::BAD_REQUEST,
                "INVALID_OAUTH_CLIENT_ID_OR_SECRET",
                "The OAuth client ID or secret is invalid. The client ID must be equal to the project ID (potentially with a hash and a branch ID), and the client secret must be a publishable client key.",
            ),
            vec![("client_id", opt(client_id))],
        )
    }

    /// An authorization code (the gateway issues none, so every code is invalid).
    pub fn invalid_authorization_code() -> Self {
        known(
            StatusCode::BAD_REQUEST,
            "INVALID_AUTHORIZATION_CODE",
            "The given authorization code is invalid.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_the_vendor_key_order() {
        let e = KnownError::insufficient_access_type("client", &["server", "admin"]);
        let text = serde_json::to_string(&e.body()).unwrap();
        assert_eq!(
            text,
            r#"{"code":"INSUFFICIENT_ACCESS_TYPE","details":{"actual_access_type":"client","allowed_access_types":["server","admin"]},"error":"The x-stack-access-type header must be 'server' or 'admin', but was 'client'."}"#
        );
        let plain = KnownError::user_not_found();
        assert_eq!(
            serde_json::to_string(&plain.body()).unwrap(),
            r#"{"code":"USER_NOT_FOUND","error":"User not found."}"#
        );
    }

    #[test]
    fn expired_text_follows_the_vendor() {
        let at = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let e = KnownError::access_token_expired(Some(at), Some("p"), Some("u"), Some("r"));
        assert!(e.message.starts_with(
            "Access token has expired. Please refresh it and try again. (The access token expired at 2023-11-14T22:13:20.000Z.) Project ID: p. User ID: u. Refresh token ID: r.\n\nDebug info: "
        ));
    }
}
