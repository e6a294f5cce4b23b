//! One file per endpoint. Each handler extracts, validates, converts, calls the `Gateway`, and
//! converts back; the rules live in `policy`, the shapes in `wire` and `convert`.

pub mod change_username;
pub mod get_me;
pub mod get_user;
pub mod login;
pub mod patch_me;
