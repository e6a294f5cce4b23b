//! Wire types of the Moltaro account-profile surface: PascalCase properties, integer enums, the
//! `Data/Errors/Warnings/Success` result envelope and RFC 7807 `ProblemDetails`. Serde, OpenAPI
//! (utoipa) and garde live here; nothing in this module knows the core.

use std::collections::BTreeMap;

use garde::Validate;
use serde::{Serialize, Serializer};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type,
        schema::{AdditionalProperties, SchemaType},
    },
};

/// Longest accepted `Email`, in characters (choice; the vendor documents no limit).
pub const EMAIL_MAX: usize = 256;
/// Longest accepted `FirstName` and `LastName`, in characters (choice).
pub const NAME_MAX: usize = 256;
/// The `Target` of every message: the resource the messages are about.
pub const TARGET: &str = "Profile";

/// Declares an integer enum: serialised as its `i32` value, documented as an `int32` with the
/// allowed values (as System.Text.Json and Swashbuckle render a C# enum without a naming policy).
macro_rules! int_enum {
    ($(#[$meta:meta])* $name:ident, $description:literal, { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// The integer sent on the wire.
            pub fn value(self) -> i32 {
                self as i32
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i32(self.value())
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(SchemaType::new(Type::Integer))
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .enum_values(Some([$($value),+]))
                    .description(Some($description))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

int_enum!(
    /// The kind of account (`UserType`).
    UserType,
    "Kind of account: 0 = regular user, 1 = workspace administrator, 2 = service account.",
    {
        /// A person.
        Regular = 0,
        /// A workspace administrator.
        Administrator = 1,
        /// A machine identity.
        ServiceAccount = 2,
    }
);

int_enum!(
    /// What a message is about (`Message.Type`).
    MessageType,
    "Kind of message: 0 = validation, 1 = business rule, 2 = system.",
    {
        /// The input breaks a syntax or value rule.
        Validation = 0,
        /// The input is well-formed but breaks a rule of the workspace (a taken name, a missing user).
        BusinessRule = 1,
        /// The system failed or refused on its own account.
        System = 2,
    }
);

int_enum!(
    /// How serious a message is (`Message.Severity`).
    Severity,
    "Severity: 0 = information, 1 = warning, 2 = error.",
    {
        /// For information.
        Info = 0,
        /// The request succeeded, but something was changed or ignored.
        Warning = 1,
        /// The request failed because of this.
        Error = 2,
    }
);

/// Profile fields for the authenticated workspace account.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccountProfile {
    /// Workspace user identifier.
    #[schema(nullable = true)]
    pub user_id: String,
    /// Login user name.
    #[schema(nullable = true)]
    pub user_name: String,
    /// Optional email address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Kind of account: 0 = regular user, 1 = workspace administrator, 2 = service account.
    pub user_type: UserType,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    /// Stable machine-readable code (`Required`, `TooLong`, `InvalidFormat`, `Duplicate`, ...).
    #[schema(nullable = true)]
    pub code: String,
    /// Human-readable text.
    #[schema(nullable = true)]
    pub message: String,
    /// The resource the message is about (always `Profile`).
    pub target: Option<String>,
    /// The request property the message is about (`Email`), or null for the whole request.
    pub field: Option<String>,
    /// Rule parameters as strings, for example `{"MaxLength": "256"}`.
    #[schema(required = false)]
    pub metadata: BTreeMap<String, Option<String>>,
    /// Kind of message: 0 = validation, 1 = business rule, 2 = system.
    #[serde(rename = "Type")]
    #[schema(required = false)]
    pub message_type: MessageType,
    /// Severity: 0 = information, 1 = warning, 2 = error.
    #[schema(required = false)]
    pub severity: Severity,
}

/// The result envelope of every 200, 400 and 404 answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccountProfileResult {
    /// The profile on success; null when `Success` is false.
    pub data: Option<AccountProfile>,
    /// Why the request failed; null on success.
    pub errors: Option<Vec<Message>>,
    /// Values the server normalised on an otherwise successful request; null when there are none.
    pub warnings: Option<Vec<Message>>,
    /// Whether the request succeeded.
    pub success: bool,
}

/// Request payload to update the authenticated workspace account profile. Every property is
/// optional: an absent property or `null` leaves the value unchanged; `""` clears `Email`,
/// `FirstName` and `LastName`. Property names are matched case-insensitively (`userName` works).
#[derive(Debug, Clone, Default, PartialEq, ToSchema, Validate)]
#[schema(rename_all = "PascalCase")]
pub struct UpdateAccountProfileRequest {
    /// Login user name: 1-50 characters of letters, digits and `_ - @ .`, or an email address.
    /// Cannot be cleared.
    #[garde(skip)]
    pub user_name: Option<String>,
    /// Optional email address (at most 256 characters); `""` removes it. Stored lower-case.
    #[garde(length(chars, max = EMAIL_MAX))]
    pub email: Option<String>,
    /// First name (at most 256 characters); `""` clears it. Surrounding whitespace is removed.
    #[garde(length(chars, max = NAME_MAX))]
    pub first_name: Option<String>,
    /// Last name (at most 256 characters); `""` clears it. Surrounding whitespace is removed.
    #[garde(length(chars, max = NAME_MAX))]
    pub last_name: Option<String>,
}

impl UpdateAccountProfileRequest {
    /// The documented property names, in order.
    pub const PROPERTIES: [&'static str; 4] = ["UserName", "Email", "FirstName", "LastName"];
}

/// RFC 7807 problem details, as ASP.NET Core writes them: the five standard members (all
/// nullable) and the `traceId` extension. Used for 401, 403, 405, 413, 415 and 5xx answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemDetails {
    /// A URI reference that identifies the problem type.
    #[serde(rename = "type")]
    pub problem_type: Option<String>,
    /// A short summary of the problem type.
    pub title: Option<String>,
    /// The HTTP status code.
    pub status: Option<i32>,
    /// An explanation of this occurrence.
    pub detail: Option<String>,
    /// The request path (never the query string, which may carry a token).
    pub instance: Option<String>,
    /// The request id, also sent as `X-Request-Id`.
    #[serde(rename = "traceId")]
    pub trace_id: Option<String>,
}

fn nullable(ty: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([ty, Type::Null]))
        .description(Some(description))
}

impl PartialSchema for ProblemDetails {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("RFC 7807 problem details, with extension members."))
            .property(
                "type",
                nullable(
                    Type::String,
                    "A URI reference that identifies the problem type.",
                ),
            )
            .property(
                "title",
                nullable(Type::String, "A short summary of the problem type."),
            )
            .property(
                "status",
                nullable(Type::Integer, "The HTTP status code.")
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32))),
            )
            .property(
                "detail",
                nullable(Type::String, "An explanation of this occurrence."),
            )
            .property("instance", nullable(Type::String, "The request path."))
            .property(
                "traceId",
                nullable(
                    Type::String,
                    "The request id, also sent as X-Request-Id (extension).",
                ),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

impl ToSchema for ProblemDetails {}
