//! One error type for the whole API, turned into a GraphQL error whose
//! `extensions.code` clients branch on (DESIGN §5).
//!
//! Database and unknown errors are logged with their detail and answered with a
//! generic message; user errors say what is wrong and, where it applies, which
//! input `field`.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::PoolError;

/// Everything an operation can fail with.
///
/// An ordinary error type (`Display`, `std::error::Error`), usable with `?` in the CLI, seeding and workers. async-graphql's blanket conversion of every `Display` error (which would drop the code) is off (feature `custom-error-conversion`), so in a resolver `?` goes through the `From` below. `Display` is for operators (internal detail included); [`AppError::message`] is the client-facing text.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub enum AppError {
    /// No valid credentials were presented, or they are no longer valid.
    Unauthenticated(&'static str),
    /// The viewer is known but may not do this.
    Forbidden {
        /// What was refused.
        message: String,
        /// A machine-readable reason, when there is one (`EMAIL_NOT_VERIFIED`).
        reason: Option<&'static str>,
    },
    /// No such object, or one the viewer may not see.
    NotFound(&'static str),
    /// The input is invalid; `field` names the offending input field.
    BadInput {
        /// The input field (camelCase, as the client sent it).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The change clashes with existing data (a taken email, a duplicate).
    Conflict {
        /// The input field that clashes.
        field: &'static str,
        /// What clashes.
        message: String,
    },
    /// The object's current status forbids this transition.
    InvalidState(String),
    /// An uploaded file is larger than allowed; `field` names the input.
    PayloadTooLarge {
        /// The input field carrying the file.
        field: &'static str,
        /// What is too large, and the limit.
        message: String,
    },
    /// Too many attempts; try again after `retry_after` seconds.
    RateLimited {
        /// Seconds until a new attempt may succeed.
        retry_after: u64,
    },
    /// The database or another dependency is unavailable.
    Unavailable(String),
    /// A bug or an unexpected failure; the detail is only logged.
    Internal(String),
}

/// A request the HTTP layer refuses before any GraphQL runs; each has its status and `extensions.code` (listed in the README with [`AppError`]'s).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// 400 `BAD_REQUEST`: no query, a malformed body or variables, batching off, a multipart request without a CSRF header.
    #[error("{0}")]
    BadRequest(String),
    /// 405 `METHOD_NOT_ALLOWED`: a mutation over GET.
    #[error("{0}")]
    MethodNotAllowed(&'static str),
    /// 406 `NOT_ACCEPTABLE`: no media type the server answers in.
    #[error("{0}")]
    NotAcceptable(&'static str),
    /// 413 `PAYLOAD_TOO_LARGE`: a body or file count past its limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 `UNSUPPORTED_MEDIA_TYPE`: a body the endpoint does not read.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
}

impl RequestError {
    /// The `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::BadRequest(_) => "BAD_REQUEST",
            RequestError::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            RequestError::NotAcceptable(_) => "NOT_ACCEPTABLE",
            RequestError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            RequestError::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::BadRequest(_) => 400,
            RequestError::MethodNotAllowed(_) => 405,
            RequestError::NotAcceptable(_) => 406,
            RequestError::PayloadTooLarge(_) => 413,
            RequestError::UnsupportedMediaType(_) => 415,
        }
    }
}

/// The result of a domain operation.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A `BAD_USER_INPUT` error on `field`.
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field,
            message: message.into(),
        }
    }

    /// A `FORBIDDEN` error without a reason code.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            message: message.into(),
            reason: None,
        }
    }

    /// An internal error from anything displayable (logged, never shown).
    pub fn internal(err: impl std::fmt::Display) -> Self {
        AppError::Internal(err.to_string())
    }

    /// The operator's view: the code, the client's message, and for internal and unavailable errors the detail clients never see.
    fn describe(&self) -> String {
        match self {
            AppError::Internal(detail) | AppError::Unavailable(detail) => {
                format!("{}: {detail}", self.code())
            }
            _ => format!("{}: {}", self.code(), self.message()),
        }
    }

    /// The message a client sees; internal detail stays in the log.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m) => (*m).to_owned(),
            AppError::Forbidden { message, .. }
            | AppError::BadInput { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::PayloadTooLarge { message, .. }
            | AppError::InvalidState(message) => message.clone(),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::RateLimited { .. } => "too many attempts, try again later".to_owned(),
            AppError::Unavailable(_) => "service unavailable".to_owned(),
            AppError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The HTTP status when this error ends a request before GraphQL runs (authentication): 401 for bad credentials, 503 when they cannot be checked. Errors during execution are answered 200, in `errors`.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict { .. } => 409,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::RateLimited { .. } => 429,
            AppError::Internal(_) => 500,
            AppError::Unavailable(_) => 503,
            AppError::BadInput { .. } | AppError::InvalidState(_) => 400,
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::InvalidState(_) => "INVALID_STATE",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// Unique constraints that clients can violate, with the input field each one is about. PostgreSQL names the constraint; SQLite names the columns.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("users_email_key", "users.email", "email"),
    (
        "proposals_project_freelancer_key",
        "proposals.project_id, proposals.freelancer_id",
        "projectId",
    ),
    (
        "reviews_contract_reviewer_key",
        "reviews.contract_id, reviews.reviewer_id",
        "id",
    ),
    (
        "reviews_service_request_reviewer_key",
        "reviews.service_request_id, reviews.reviewer_id",
        "id",
    ),
    ("services_name_key", "services.name_key", "name"),
    ("payments_live_bill_key", "payments.bill_id", "billId"),
    (
        "payments_payer_key_key",
        "payments.payer_id, payments.idempotency_key",
        "idempotencyKey",
    ),
];

fn conflict_message(field: &str) -> &'static str {
    match field {
        "email" => "this email is already in use",
        "projectId" => "you already submitted a proposal on this project",
        "name" => "a service with this name already exists (names ignore case)",
        _ => "you already did this",
    }
}

fn unique_violation_field(info: &dyn diesel::result::DatabaseErrorInformation) -> Option<&'static str> {
    let constraint = info.constraint_name();
    let message = info.message();
    UNIQUE_FIELDS.iter().find_map(|(name, columns, field)| {
        let hit =
            constraint == Some(*name) || message.strip_prefix("UNIQUE constraint failed: ") == Some(*columns);
        hit.then_some(*field)
    })
}

/// PostgreSQL's words when it ends a connection or will not take one (SQLSTATE classes 57P and 08, which diesel does not pass on).
fn server_going_away(message: &str) -> bool {
    [
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "connection closed",
    ]
    .iter()
    .any(|words| message.contains(words))
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => AppError::NotFound("object"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                match unique_violation_field(info.as_ref()) {
                    Some(field) => AppError::Conflict {
                        field,
                        message: conflict_message(field).to_owned(),
                    },
                    None => AppError::Internal(err.to_string()),
                }
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | DieselError::BrokenTransactionManager => AppError::Unavailable(err.to_string()),
            DieselError::DatabaseError(_, info) if server_going_away(info.message()) => {
                AppError::Unavailable(err.to_string())
            }
            _ => AppError::Internal(err.to_string()),
        }
    }
}

impl From<PoolError> for AppError {
    fn from(err: PoolError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

/// An error shared by every field waiting on one DataLoader batch.
#[derive(Debug, Clone)]
pub struct SharedError(pub Arc<AppError>);

impl From<AppError> for SharedError {
    fn from(err: AppError) -> Self {
        SharedError(Arc::new(err))
    }
}

impl From<SharedError> for async_graphql::Error {
    fn from(err: SharedError) -> Self {
        to_graphql(&err.0)
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        to_graphql(&err)
    }
}

fn to_graphql(err: &AppError) -> async_graphql::Error {
    match err {
        AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
        AppError::Unavailable(detail) => tracing::warn!(%detail, "dependency unavailable"),
        _ => {}
    }
    async_graphql::Error::new(err.message()).extend_with(|_, ext| {
        ext.set("code", err.code());
        match err {
            AppError::BadInput { field, .. }
            | AppError::Conflict { field, .. }
            | AppError::PayloadTooLarge { field, .. } => ext.set("field", *field),
            AppError::Forbidden {
                reason: Some(reason), ..
            } => ext.set("reason", *reason),
            AppError::RateLimited { retry_after } => ext.set("retryAfter", *retry_after),
            _ => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_from_the_design() {
        let codes = [
            AppError::Unauthenticated("x").code(),
            AppError::forbidden("x").code(),
            AppError::NotFound("user").code(),
            AppError::bad_input("email", "x").code(),
            AppError::InvalidState("x".into()).code(),
            AppError::PayloadTooLarge {
                field: "file",
                message: "x".into(),
            }
            .code(),
            AppError::RateLimited { retry_after: 1 }.code(),
            AppError::Unavailable("x".into()).code(),
            AppError::internal("x").code(),
        ];
        assert_eq!(
            codes,
            [
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "NOT_FOUND",
                "BAD_USER_INPUT",
                "INVALID_STATE",
                "PAYLOAD_TOO_LARGE",
                "RATE_LIMITED",
                "SERVICE_UNAVAILABLE",
                "INTERNAL_SERVER_ERROR"
            ]
        );
    }

    #[test]
    fn internal_detail_is_not_shown() {
        let gql: async_graphql::Error = AppError::internal("password column missing").into();
        assert_eq!(gql.message, "internal error");
    }

    #[test]
    fn operators_see_the_code_and_the_detail() {
        assert_eq!(
            AppError::internal("password column missing").to_string(),
            "INTERNAL_SERVER_ERROR: password column missing"
        );
        assert_eq!(
            AppError::bad_input("email", "not a valid email address").to_string(),
            "BAD_USER_INPUT: not a valid email address"
        );
    }
}
