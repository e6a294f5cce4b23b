//! The vendor rules of this dialect that are not wire shapes: which accounts may use each surface,
//! and who may change which field through `PATCH /users/me` (ZenML Pro's `UserUpdate` rules).
//! They only decide; the core applies the change.

use gateway_core::{CoreError, ErrorKind, Standing, User, UserKind, UserPatch, validate};

/// A disabled account: switched off (`is_active = false`) or banned (the core's
/// [`User::standing`]).
fn is_disabled(user: &User) -> bool {
    user.standing() != Standing::Good
}

/// `platform`: a disabled account is known but refused, 403 (spec A.11: "403 reserved for a
/// disabled account").
pub fn platform_access(user: &User) -> Result<(), CoreError> {
    if is_disabled(user) {
        Err(CoreError::forbidden("account is disabled"))
    } else {
        Ok(())
    }
}

/// `users-me`: a disabled account cannot authenticate, 401 `CredentialsNotValid` (what the
/// ZenML server answers for an inactive user).
pub fn users_me_access(user: &User) -> Result<(), CoreError> {
    if is_disabled(user) {
        Err(CoreError::unauthenticated(
            "authentication error: the user account is not active",
        ))
    } else {
        Ok(())
    }
}

/// Checks a validated `PATCH /users/me` of `caller`, in ZenML's order:
///
/// 1. service accounts and the built-in admin cannot be updated here (400 `ValueError`, the
///    endpoint's documented `Raises`);
/// 2. only a superuser may change `is_superuser`, `is_active` or `password_expired`
///    (403 `IllegalOperationError`);
/// 3. OAuth2 accounts cannot change `username` or `email` (400 `ValueError`).
///
/// Sending a field's current value is not a change and is always allowed, so a client may send
/// back the object it read.
pub fn users_me_update(caller: &User, patch: &UserPatch) -> Result<(), CoreError> {
    match caller.account.kind {
        UserKind::Regular => {}
        UserKind::ServiceAccount => {
            return Err(state_rule(
                "service accounts cannot be updated through this endpoint",
            ));
        }
        UserKind::Admin => {
            return Err(state_rule(
                "the admin account cannot be updated through this endpoint",
            ));
        }
    }
    if !caller.account.is_superuser {
        let privileged = [
            (
                "is_superuser",
                patch
                    .is_superuser
                    .is_some_and(|v| v != caller.account.is_superuser),
            ),
            (
                "is_active",
                patch
                    .is_active
                    .is_some_and(|v| v != caller.account.is_active),
            ),
            (
                "password_expired",
                patch
                    .password_expired
                    .is_some_and(|v| v != caller.security.password_expired),
            ),
        ];
        if let Some((field, _)) = privileged.iter().find(|(_, changes)| *changes) {
            return Err(CoreError::forbidden(format!(
                "only a superuser may change {field}"
            )));
        }
    }
    if caller.security.oauth_provider.is_some() {
        if patch
            .username
            .as_deref()
            .is_some_and(|u| u.trim() != caller.identity.username)
        {
            return Err(state_rule(
                "the username of an OAuth2 user account cannot be changed",
            ));
        }
        let email_changes = match &patch.email {
            Some(Some(e)) => Some(validate::normalize_email(e)) != caller.identity.email,
            Some(None) => caller.identity.email.is_some(),
            None => false,
        };
        if email_changes {
            return Err(state_rule(
                "the email of an OAuth2 user account cannot be changed",
            ));
        }
    }
    Ok(())
}

fn state_rule(message: &str) -> CoreError {
    CoreError::new(ErrorKind::PreconditionFailed, message)
}
