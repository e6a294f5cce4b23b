//! The OpenAPI document of the account-profile surface (served at `/openapi/account-profile.json`):
//! the two documented operations, the result envelope, `ProblemDetails`, and the two ways to
//! present a token (Bearer header, `access_token` query parameter).

use gateway_http::openapi::{Scheme, Schemes};
use utoipa::OpenApi;

use crate::{
    handlers::{get_profile, put_profile},
    wire::{
        AccountProfile, AccountProfileResult, Message, MessageType, ProblemDetails, Severity,
        UpdateAccountProfileRequest, UserType,
    },
};

/// The two credential schemes.
const SECURITY: Schemes = Schemes(&[
    (
        "Bearer",
        Scheme::Bearer {
            format: Some("JWT"),
            description: "Authorization: Bearer <token>. Wins over access_token when both are sent.",
        },
    ),
    (
        "access_token",
        Scheme::Query {
            name: "access_token",
            description: "Optional access token for clients that cannot set Authorization headers. Prefer \
                 Authorization: Bearer <token> when possible.",
        },
    ),
]);

/// The account-profile OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moltaro workspace account profile",
        version = "1",
        description = "The Moltaro workspace account-profile API as emulated by the gateway: \
            PascalCase properties, integer enums, a Data/Errors/Warnings/Success envelope on 200, \
            400 and 404, and RFC 7807 ProblemDetails on 401, 403, 405, 413, 415 and 5xx."
    ),
    paths(get_profile::get_profile, put_profile::put_profile),
    components(schemas(
        AccountProfileResult,
        AccountProfile,
        Message,
        UpdateAccountProfileRequest,
        ProblemDetails,
        UserType,
        MessageType,
        Severity
    )),
    modifiers(&SECURITY),
    tags((name = "AccountProfile", description = "The authenticated workspace user's profile."))
)]
pub struct ApiDoc;
