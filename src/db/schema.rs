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
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        bio -> Nullable<Text>,
        address -> Nullable<Text>,
        deactivated_at -> Nullable<PortableTimestamp>,
        deleted_at -> Nullable<PortableTimestamp>,
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

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    jobs (id) {
        id -> PortableUuid,
        kind -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> PortableTimestamp,
        lease_until -> Nullable<PortableTimestamp>,
        lease_token -> Nullable<Text>,
        progress_done -> Nullable<BigInt>,
        progress_total -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        unique_key -> Nullable<Text>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        finished_at -> Nullable<PortableTimestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    projects (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        title -> Text,
        description -> Text,
        category -> Text,
        budget_type -> Text,
        budget_min_minor -> BigInt,
        budget_max_minor -> BigInt,
        currency -> Text,
        experience_level -> Text,
        deadline -> PortableTimestamp,
        status -> Text,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::PortableUuid;

    project_skills (project_id, skill) {
        project_id -> PortableUuid,
        skill -> Text,
        position -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    proposals (id) {
        id -> PortableUuid,
        project_id -> PortableUuid,
        freelancer_id -> PortableUuid,
        cover_letter -> Text,
        bid_minor -> BigInt,
        currency -> Text,
        estimated_hours -> Nullable<Integer>,
        availability -> Text,
        status -> Text,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    contracts (id) {
        id -> PortableUuid,
        project_id -> PortableUuid,
        proposal_id -> PortableUuid,
        client_id -> PortableUuid,
        freelancer_id -> PortableUuid,
        amount_minor -> BigInt,
        currency -> Text,
        contract_type -> Text,
        status -> Text,
        terms -> Text,
        started_at -> PortableTimestamp,
        completed_at -> Nullable<PortableTimestamp>,
        cancelled_at -> Nullable<PortableTimestamp>,
        cancellation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    reviews (id) {
        id -> PortableUuid,
        contract_id -> Nullable<PortableUuid>,
        reviewer_id -> PortableUuid,
        reviewee_id -> PortableUuid,
        rating -> Integer,
        comment -> Text,
        created_at -> PortableTimestamp,
        service_request_id -> Nullable<PortableUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    portfolio_items (id) {
        id -> PortableUuid,
        freelancer_id -> PortableUuid,
        title -> Text,
        description -> Text,
        url -> Nullable<Text>,
        skills -> Text,
        completed_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::PortableTimestamp;

    login_failures (scope, key) {
        scope -> Text,
        key -> Text,
        failures -> Integer,
        window_start -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    audit_events (id) {
        id -> PortableUuid,
        kind -> Text,
        user_id -> Nullable<PortableUuid>,
        email_digest -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        detail -> Nullable<Text>,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    mail_outbox (id) {
        id -> PortableUuid,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Nullable<Text>,
        html_body -> Nullable<Text>,
        created_at -> PortableTimestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<PortableTimestamp>,
        failed_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    account_tokens (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        user_id -> PortableUuid,
        email -> Text,
        created_at -> PortableTimestamp,
        expires_at -> PortableTimestamp,
        used_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    captchas (id) {
        id -> PortableUuid,
        answer -> Text,
        expires_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    user_avatars (user_id) {
        user_id -> PortableUuid,
        object_key -> Text,
        content_type -> Text,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    services (id) {
        id -> PortableUuid,
        name -> Text,
        name_key -> Text,
        description -> Text,
        category -> Text,
        base_price_minor -> BigInt,
        currency -> Text,
        duration_minutes -> Integer,
        active -> Bool,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    professional_profiles (user_id) {
        user_id -> PortableUuid,
        headline -> Nullable<Text>,
        bio -> Nullable<Text>,
        experience_years -> Nullable<Integer>,
        hourly_rate_minor -> Nullable<BigInt>,
        hourly_rate_currency -> Nullable<Text>,
        verification_status -> Text,
        rejection_reason -> Nullable<Text>,
        submitted_at -> Nullable<PortableTimestamp>,
        verified_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    professional_services (user_id, service_id) {
        user_id -> PortableUuid,
        service_id -> PortableUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    professional_postal_codes (user_id, postal_code) {
        user_id -> PortableUuid,
        postal_code -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    verification_documents (id) {
        id -> PortableUuid,
        user_id -> PortableUuid,
        kind -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        object_key -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    service_requests (id) {
        id -> PortableUuid,
        service_id -> PortableUuid,
        client_id -> PortableUuid,
        professional_id -> Nullable<PortableUuid>,
        status -> Text,
        description -> Text,
        postal_code -> Text,
        city -> Text,
        country -> Text,
        address -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        preferred_start -> Nullable<PortableTimestamp>,
        preferred_end -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        assigned_at -> Nullable<PortableTimestamp>,
        started_at -> Nullable<PortableTimestamp>,
        completed_at -> Nullable<PortableTimestamp>,
        cancelled_at -> Nullable<PortableTimestamp>,
        cancellation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    bills (id) {
        id -> PortableUuid,
        number -> Nullable<Text>,
        status -> Text,
        payer_id -> PortableUuid,
        issuer_id -> Nullable<PortableUuid>,
        author_id -> Nullable<PortableUuid>,
        contract_id -> Nullable<PortableUuid>,
        service_request_id -> Nullable<PortableUuid>,
        currency -> Text,
        subtotal_minor -> BigInt,
        tax_rate_bp -> Integer,
        tax_minor -> BigInt,
        total_minor -> BigInt,
        due_at -> PortableTimestamp,
        issued_at -> Nullable<PortableTimestamp>,
        paid_at -> Nullable<PortableTimestamp>,
        voided_at -> Nullable<PortableTimestamp>,
        void_reason -> Nullable<Text>,
        refunded_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    bill_lines (bill_id, position) {
        bill_id -> PortableUuid,
        position -> Integer,
        description -> Text,
        quantity_milli -> BigInt,
        unit_price_minor -> BigInt,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    bill_sequences (year) {
        year -> Integer,
        last -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{PortableTimestamp, PortableUuid};

    payments (id) {
        id -> PortableUuid,
        bill_id -> PortableUuid,
        payer_id -> PortableUuid,
        amount_minor -> BigInt,
        currency -> Text,
        method -> Text,
        card_token -> Nullable<Text>,
        status -> Text,
        failure_reason -> Nullable<Text>,
        provider_reference -> Nullable<Text>,
        idempotency_key -> Text,
        fingerprint -> Text,
        refund_reason -> Nullable<Text>,
        created_at -> PortableTimestamp,
        settled_at -> Nullable<PortableTimestamp>,
        refunded_at -> Nullable<PortableTimestamp>,
        updated_at -> PortableTimestamp,
    }
}

diesel::joinable!(projects -> users (client_id));
diesel::joinable!(project_skills -> projects (project_id));
diesel::joinable!(proposals -> projects (project_id));
diesel::joinable!(portfolio_items -> users (freelancer_id));
diesel::joinable!(reviews -> contracts (contract_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(user_avatars -> users (user_id));
diesel::joinable!(professional_profiles -> users (user_id));
diesel::joinable!(professional_services -> services (service_id));
diesel::joinable!(service_requests -> services (service_id));
diesel::joinable!(bill_lines -> bills (bill_id));
diesel::joinable!(payments -> bills (bill_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    projects,
    project_skills,
    proposals,
    contracts,
    reviews,
    portfolio_items,
    login_failures,
    audit_events,
    mail_outbox,
    account_tokens,
    captchas,
    user_avatars,
    services,
    professional_profiles,
    professional_services,
    professional_postal_codes,
    verification_documents,
    service_requests,
    bills,
    bill_lines,
    bill_sequences,
    payments,
);
