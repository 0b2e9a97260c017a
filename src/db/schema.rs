//! The one schema both backends are migrated to (checked by a test).
//!
//! Hand-kept: `diesel print-schema` says `Uuid`/`Timestamptz` on PostgreSQL
//! and `Text` on SQLite, so ids and times use portable SQL types instead.

/// SQL types whose storage differs per backend.
pub mod sql_types {
    /// A UUID: native `uuid` on PostgreSQL, `TEXT` on SQLite.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId, Debug, Clone, Copy)]
    #[diesel(postgres_type(oid = 2950, array_oid = 2951))]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct PortableUuid;

    /// A UTC instant: `timestamptz` on PostgreSQL, RFC 3339 `TEXT` on SQLite.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId, Debug, Clone, Copy)]
    #[diesel(postgres_type(oid = 1184, array_oid = 1185))]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct PortableTimestamp;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    users (id) {
        id -> PortableUuid,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        role -> Text,
        email_verified_at -> Nullable<PortableTimestamp>,
        blocked_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    sessions (id) {
        id -> PortableUuid,
        user_id -> PortableUuid,
        created_at -> PortableTimestamp,
        last_used_at -> PortableTimestamp,
        expires_at -> PortableTimestamp,
        revoked_at -> Nullable<PortableTimestamp>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> PortableUuid,
        created_at -> PortableTimestamp,
        used_at -> Nullable<PortableTimestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions, refresh_tokens);
