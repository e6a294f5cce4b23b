//! One file per endpoint. Each handler extracts, validates, converts, calls the `Gateway`, and
//! converts back; the rules live in `policy`, the shapes in `wire` and `convert`.

pub mod change_username;
pub mod create_api_key;
pub mod device_authorization;
pub mod device_code;
pub mod device_grant;
pub mod device_status;
pub mod device_token;
pub mod get_me;
pub mod get_user;
pub mod login;
pub mod organizations;
pub mod patch_me;
pub mod platform_info;
pub mod pro_tenancy;
pub mod revoke_own_key;
