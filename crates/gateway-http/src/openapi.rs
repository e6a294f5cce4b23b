//! OpenAPI plumbing shared by the dialects: a surface's credential schemes declared as data
//! ([`Schemes`]) and added to its document by one `Modify` implementation.

use utoipa::{
    Modify,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// One credential scheme of a surface.
#[derive(Debug, Clone, Copy)]
pub enum Scheme {
    /// `Authorization: Bearer <value>`, with an optional bearer format (`JWT`).
    Bearer {
        /// `bearerFormat`, if any.
        format: Option<&'static str>,
        /// What the value is.
        description: &'static str,
    },
    /// A key in a request header.
    Header {
        /// Header name.
        name: &'static str,
        /// What the value is.
        description: &'static str,
    },
    /// A key in the query string.
    Query {
        /// Parameter name.
        name: &'static str,
        /// What the value is.
        description: &'static str,
    },
}

impl Scheme {
    fn build(self) -> SecurityScheme {
        match self {
            Self::Bearer {
                format,
                description,
            } => {
                let mut http = HttpBuilder::new().scheme(HttpAuthScheme::Bearer);
                if let Some(format) = format {
                    http = http.bearer_format(format);
                }
                SecurityScheme::Http(http.description(Some(description)).build())
            }
            Self::Header { name, description } => SecurityScheme::ApiKey(ApiKey::Header(
                ApiKeyValue::with_description(name, description),
            )),
            Self::Query { name, description } => SecurityScheme::ApiKey(ApiKey::Query(
                ApiKeyValue::with_description(name, description),
            )),
        }
    }
}

/// A surface's credential schemes by name, in the order they are declared; use it as
/// `#[openapi(modifiers(&SCHEMES))]`.
#[derive(Debug, Clone, Copy)]
pub struct Schemes(pub &'static [(&'static str, Scheme)]);

impl Modify for Schemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, scheme) in self.0 {
            components.add_security_scheme(*name, scheme.build());
        }
    }
}
