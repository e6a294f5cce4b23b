//! The one diesel schema for both backends, written by hand with portable SQL types only
//! (MultiConnection has no Uuid, Timestamptz or Jsonb): ids as TEXT, JSON as TEXT, naive UTC
//! timestamps.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        email_auth_enabled -> Bool,
        password_hash -> Nullable<Text>,
        password_expired -> Nullable<Bool>,
        totp_secret -> Nullable<Text>,
        oauth_provider -> Nullable<Text>,
        oauth_id -> Nullable<Text>,
        kind -> Text,
        organization_id -> Nullable<Text>,
        is_active -> Bool,
        is_superuser -> Bool,
        is_platform_admin -> Bool,
        is_onboarded -> Bool,
        email_opt_in -> Bool,
        is_anonymous -> Bool,
        restricted_by_admin -> Bool,
        restricted_by_admin_reason -> Nullable<Text>,
        restricted_by_admin_private_details -> Nullable<Text>,
        otp_auth_enabled -> Bool,
        passkey_auth_enabled -> Bool,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        display_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        locale -> Nullable<Text>,
        timezone -> Nullable<Text>,
        phone_number -> Nullable<Text>,
        phone_number_verified -> Bool,
        company -> Nullable<Text>,
        job_title -> Nullable<Text>,
        status -> Text,
        country_code -> Nullable<Text>,
        risk_sign_up_bot -> BigInt,
        risk_sign_up_free_trial_abuse -> BigInt,
        client_metadata -> Nullable<Text>,
        client_read_only_metadata -> Nullable<Text>,
        server_metadata -> Nullable<Text>,
        selected_team_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        signed_up_at -> Timestamp,
        last_active_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        display_name -> Text,
        profile_image_url -> Nullable<Text>,
        client_metadata -> Nullable<Text>,
        client_read_only_metadata -> Nullable<Text>,
        server_metadata -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    team_memberships (team_id, user_id) {
        team_id -> Text,
        user_id -> Text,
        role -> Text,
        joined_at -> Timestamp,
        permissions -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        surface -> Text,
        refresh_token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        is_impersonation -> Bool,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        surface -> Text,
        secret_hash -> Text,
        label -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        is_public -> Bool,
        hint -> Nullable<Text>,
    }
}

diesel::table! {
    device_authorizations (id) {
        id -> Text,
        surface -> Text,
        device_code_hash -> Text,
        user_code -> Text,
        client_id -> Nullable<Text>,
        client_details -> Nullable<Text>,
        state -> Text,
        user_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        interval_secs -> Integer,
        last_polled_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        ticket_hash -> Nullable<Text>,
        ticket_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    gateway_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, scope, idempotency_key) {
        user_id -> Text,
        scope -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        project_id -> Text,
        url -> Text,
        description -> Text,
        filter_types -> Text,
        secret_salt -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(team_memberships -> teams (team_id));
diesel::table! {
    contact_channels (user_id, id) {
        user_id -> Text,
        id -> Text,
        value -> Text,
        is_verified -> Bool,
        used_for_auth -> Bool,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    contact_channels,
    teams,
    team_memberships,
    sessions,
    api_keys,
    project_sessions,
    one_time_codes,
    device_authorizations
);

diesel::table! {
    one_time_codes (id) {
        id -> Text,
        purpose -> Text,
        user_id -> Nullable<Text>,
        project_id -> Nullable<Text>,
        email -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        display_name -> Text,
        publishable_client_key_hash -> Text,
        secret_server_key_hash -> Text,
        require_publishable_client_key -> Bool,
        allow_client_user_deletion -> Bool,
        client_team_creation_enabled -> Bool,
        create_team_on_sign_up -> Bool,
        allow_user_api_keys -> Bool,
        sign_up_enabled -> Bool,
        credential_enabled -> Bool,
        magic_link_enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    project_sessions (session_id) {
        session_id -> Text,
        project_id -> Text,
    }
}
