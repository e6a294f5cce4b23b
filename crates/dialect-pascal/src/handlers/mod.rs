//! One thin handler per endpoint: extract, validate, convert, call the `Gateway` once, convert
//! back into the result envelope.

pub mod get_profile;
pub mod put_profile;
