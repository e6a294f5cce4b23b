//! One thin handler per endpoint: extract, check, convert, call the core, convert back.

pub mod delete_me;
pub mod get_me;
pub mod patch_me;
