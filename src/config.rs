//! All configuration, read once at start from the environment (and `.env` in
//! development). Every variable is documented on its field; a bad value stops
//! the start with an error naming the variable.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::client_ip::{self, Cidr};
use crate::db::Backend;
use crate::db::tls::PgUrl;
use crate::jobs::cron::Cron;
use crate::storage::StorageUrl;
use crate::telemetry::OtlpConfig;

/// A fixed secret for development only; production refuses to start without its own `JWT_SECRET`.
const DEV_JWT_SECRET: &str = "agora-development-secret-do-not-use-in-production";

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// Local work: GraphiQL and introspection on, a fixed JWT secret allowed.
    Development,
    /// Real traffic: secrets required, no introspection, no suggestions.
    Production,
}

/// `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `TRUSTED_DOCUMENTS`: which documents run (see `graphql::persisted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustedDocumentsMode {
    /// Any document; Apollo's automatic persisted queries register.
    Off,
    /// Any document; those not in the manifest are logged.
    Audit,
    /// Only the manifest's documents, named by hash.
    Enforce,
}

/// Trusted documents: the mode and the manifest.
#[derive(Debug, Clone)]
pub struct TrustedDocuments {
    /// `TRUSTED_DOCUMENTS` (`off`): `off`, `audit` or `enforce`.
    pub mode: TrustedDocumentsMode,
    /// `TRUSTED_DOCUMENTS_FILE` (required unless `off`): the manifest, a JSON object `{hash: document}`.
    pub file: Option<PathBuf>,
}

/// Limits applied to every GraphQL operation.
#[derive(Debug, Clone, Copy)]
pub struct GraphqlLimits {
    /// `GRAPHQL_MAX_DEPTH` (15): deepest selection nesting (15 admits the standard introspection query).
    pub max_depth: usize,
    /// `GRAPHQL_MAX_COMPLEXITY` (20000): summed field cost; a connection's children count once per item of its page (`first`, default 20).
    pub max_complexity: usize,
    /// `GRAPHQL_MAX_TOKENS` (10000): lexical tokens in one document, counted before parsing.
    pub max_tokens: usize,
    /// `GRAPHQL_MAX_FIELDS` (2000): fields in one document with every fragment spread expanded (computed once per fragment, before validation).
    pub max_fields: usize,
    /// `GRAPHQL_MAX_RESPONSE_VALUES` (50000): values (fields and list items) one response may carry.
    pub max_response_values: usize,
    /// `GRAPHQL_MAX_ALIASES` (30): aliased fields in one document.
    pub max_aliases: usize,
    /// `GRAPHQL_MAX_ROOT_FIELDS` (20): fields at the root of the operation.
    pub max_root_fields: usize,
    /// `GRAPHQL_BATCH_MAX` (0 = batching off): operations in one batched request.
    pub batch_max: usize,
}

/// Sign-in throttling: failed sign-ins are counted per account and per client address in the database, in a window that starts at the first failure.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    /// `LOGIN_MAX_FAILURES` (5): failed sign-ins per account (email, known or not) per window.
    pub max_failures: usize,
    /// `LOGIN_MAX_FAILURES_PER_IP` (50): failed sign-ins per client address per window.
    pub max_failures_per_ip: usize,
    /// `LOGIN_LOCKOUT` (15m): the window; past a limit, sign-ins are refused until it ends.
    pub lockout: Duration,
}

/// Outgoing mail (see `crate::mail`).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SMTP_URL` (unset: mail goes to the log; required in production): lettre's form, `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…` (implicit TLS) or `smtp://host:port` (plain, local relays only).
    pub smtp_url: Option<Secret>,
    /// `MAIL_FROM` (`Agora <no-reply@localhost>`; required in production): the sender.
    pub from: lettre::message::Mailbox,
}

/// Email verification, password recovery and the sign-up challenge.
#[derive(Debug, Clone, Copy)]
pub struct AccountRules {
    /// `VERIFY_TOKEN_TTL` (48h): life of an email verification link.
    pub verify_token_ttl: Duration,
    /// `RESET_TOKEN_TTL` (1h): life of a password reset link.
    pub reset_token_ttl: Duration,
    /// `REQUIRE_VERIFIED_EMAIL` (false): only users with a verified email may create projects and submit proposals.
    pub require_verified_email: bool,
    /// `SIGNUP_CAPTCHA` (false): `register` requires an answered `captcha`.
    pub signup_captcha: bool,
}

/// Professionals' verification documents.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRules {
    /// `MAX_DOCUMENT_BYTES` (10 MiB): largest document (`PAYLOAD_TOO_LARGE` beyond).
    pub max_bytes: usize,
    /// `MAX_DOCUMENTS_PER_PROFESSIONAL` (10): documents one professional may keep.
    pub max_per_professional: usize,
    /// `DOCUMENT_LINK_TTL` (5m, 10s to 1h): life of a signed download link.
    pub link_ttl: Duration,
}

/// Billing.
#[derive(Debug, Clone)]
pub struct BillingConfig {
    /// `BILL_NUMBER_PREFIX` (`AG`): bill numbers are `{PREFIX}-{YEAR}-{SEQ}`.
    pub number_prefix: String,
    /// `BILLING_TIMEZONE` (`UTC`): the calendar year a bill is numbered in and the day due dates must follow.
    pub timezone: chrono_tz::Tz,
    /// `DEMO_BILLS` (on in development, off in production): `createDemoBill`.
    pub demo_bills: bool,
}

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL` (`sqlite://agora.db`): `postgres://…` or a SQLite path. A PostgreSQL URL may carry `sslmode` (`disable`, `prefer` = absent = plaintext, `require`, `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file of trusted roots; absent: the Mozilla roots); see `db::tls`.
    pub database_url: String,
    /// `DATABASE_POOL_SIZE` (10): connections kept by the pool.
    pub database_pool_size: usize,
    /// `HOST` (127.0.0.1): address to listen on.
    pub host: IpAddr,
    /// `PORT` (8080): port to listen on.
    pub port: u16,
    /// `APP_ENV` (`development`): `development` or `production`.
    pub app_env: AppEnv,
    /// `JWT_SECRET`: HMAC key for access tokens, at least 32 bytes; required in production.
    pub jwt_secret: Secret,
    /// `ACCESS_TOKEN_TTL` (15m): life of an access token.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL` (30d): life of a session without refresh.
    pub refresh_token_ttl: Duration,
    /// `TRUSTED_PROXIES` (none): comma-separated addresses and blocks (`10.0.0.0/8`, `::1`) of the reverse proxies in front of the server. Only a peer in this list has its `X-Forwarded-For` read: the client is the first address from the right that is not a trusted proxy.
    pub trusted_proxies: Vec<Cidr>,
    /// `CORS_ALLOWED_ORIGINS` (none): comma-separated origins allowed to call the API from a browser.
    pub cors_allowed_origins: Vec<String>,
    /// `ADMIN_EMAIL`: the super admin created at start when absent.
    pub admin_email: Option<String>,
    /// `ADMIN_PASSWORD`: that super admin's password.
    pub admin_password: Option<Secret>,
    /// `LOG_FORMAT` (`pretty`): `pretty` or `json`.
    pub log_format: LogFormat,
    /// `GRAPHIQL` (on in development): serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    /// `GRAPHIQL_ASSETS_DIR` (unset: CDN): serve GraphiQL's scripts from this directory.
    pub graphiql_assets_dir: Option<PathBuf>,
    /// `MAX_BODY_BYTES` (2 MiB): largest request body (multipart uploads may be larger: see `max_avatar_bytes`).
    pub max_body_bytes: usize,
    /// `MAX_AVATAR_BYTES` (5 MiB): largest avatar image a user may upload.
    pub max_avatar_bytes: usize,
    /// `STORAGE_URL` (`file://./data/uploads`): where uploaded files are kept, `file://<directory>` or `s3://<bucket>[/<prefix>]` (S3-compatible; region, endpoint and credentials from the `AWS_*` variables).
    pub storage_url: StorageUrl,
    /// `REQUEST_TIMEOUT` (30s): longest a request may run.
    pub request_timeout: Duration,
    /// GraphQL operation limits.
    pub limits: GraphqlLimits,
    /// Sign-in throttling.
    pub login_throttle: LoginThrottle,
    /// `PUBLIC_URL` (`http://localhost:PORT`): where users reach the front end, without a trailing slash; mailed links start with it (never with the request's Host).
    pub public_url: String,
    /// `FILES_URL` (`PUBLIC_URL/files`): where clients fetch uploaded files (this server's `/files`, or a CDN in front of it); file URLs start with it.
    pub files_url: String,
    /// `API_URL` (`PUBLIC_URL`): where clients reach this server itself; signed document links are `{API_URL}/documents/…`.
    pub api_url: String,
    /// Verification documents: sizes, count, link life.
    pub documents: DocumentRules,
    /// Bill numbers, the billing time zone, demo bills.
    pub billing: BillingConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Verification, recovery and sign-up rules.
    pub accounts: AccountRules,
    /// The job queue's workers.
    pub jobs: JobsConfig,
    /// Recurring jobs.
    pub schedules: SchedulesConfig,
    /// `AUDIT_RETENTION` (400d): audit events older than this are deleted by the retention run.
    pub audit_retention: Duration,
    /// Which documents run.
    pub trusted_documents: TrustedDocuments,
    /// `METRICS_ADDR`, `METRICS_MAX_OPERATION_NAMES`: the Prometheus listener.
    pub metrics: crate::metrics::MetricsConfig,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (unset: off), `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`: where traces are exported.
    pub otel: Option<OtlpConfig>,
}

/// The recurring jobs declared in code: name, its variable, its default five-field cron expression.
pub const SCHEDULES: [(&str, &str, &str); 1] = [("retention", "SCHEDULE_RETENTION", "30 3 * * *")];

/// When the recurring jobs fire.
#[derive(Debug, Clone)]
pub struct SchedulesConfig {
    /// `SCHEDULE_TIMEZONE` (UTC): the IANA zone the expressions are read in.
    pub timezone: chrono_tz::Tz,
    /// Each schedule of [`SCHEDULES`] by name, with its expression (`SCHEDULE_<NAME>`, a five-field cron expression; `off`: `None`).
    pub entries: Vec<(&'static str, Option<Cron>)>,
}

/// How this instance works the job queue.
#[derive(Debug, Clone, Copy)]
pub struct JobsConfig {
    /// `WORKER_CONCURRENCY` (2): jobs this instance runs at once; 0 runs none (another process, `agora worker`, does).
    pub concurrency: usize,
    /// `JOB_LEASE` (60s): how long a claim keeps other workers off a job; renewed every third of it while the job runs.
    pub lease: Duration,
    /// `JOB_RETRY_BASE` (10s): wait after a first failed run; doubles with each attempt (with jitter), at most an hour.
    pub retry_base: Duration,
}

/// A configuration variable with a bad value.
#[derive(Debug, thiserror::Error)]
#[error("invalid {name}: {reason}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        reason: reason.into(),
    }
}

impl Config {
    /// Read the process environment.
    pub fn from_env() -> Result<Self, Vec<ConfigError>> {
        Self::from_lookup_all(|name| std::env::var(name).ok())
    }

    /// [`Config::from_lookup`], reporting every invalid variable at once rather than one per restart: each refused variable is set aside (read as unset, so its default applies) and the rest read again, until everything else is accepted or a refusal does not go away that way (a required variable that is missing).
    pub fn from_lookup_all(get: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<ConfigError>> {
        let mut errors: Vec<ConfigError> = Vec::new();
        loop {
            let set_aside: Vec<&'static str> = errors.iter().map(|e| e.name).collect();
            match Self::from_lookup(|name| {
                if set_aside.contains(&name) {
                    None
                } else {
                    get(name)
                }
            }) {
                Ok(config) if errors.is_empty() => return Ok(config),
                Ok(_) => return Err(errors),
                Err(err) if set_aside.contains(&err.name) => {
                    if !errors
                        .iter()
                        .any(|e| e.name == err.name && e.reason == err.reason)
                    {
                        errors.push(err);
                    }
                    return Err(errors);
                }
                Err(err) => errors.push(err),
            }
        }
    }

    /// Read configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let parse = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(var(name).unwrap_or_else(|| default.to_owned()))
        };
        let number = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            var(name).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| invalid(name, format!("{v:?} is not a whole number")))
            })
        };
        let duration = |name: &'static str, default: &str| -> Result<Duration, ConfigError> {
            parse_duration(&parse(name, default)?).map_err(|reason| invalid(name, reason))
        };
        let at_least_one = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            match number(name, default)? {
                0 => Err(invalid(name, "must be at least 1")),
                n => Ok(n),
            }
        };

        let app_env = match parse("APP_ENV", "development")?.as_str() {
            "development" => AppEnv::Development,
            "production" => AppEnv::Production,
            other => {
                return Err(invalid(
                    "APP_ENV",
                    format!("{other:?}: use development or production"),
                ));
            }
        };
        let jwt_secret = match (var("JWT_SECRET"), app_env) {
            (Some(s), _) if s.len() >= 32 => Secret::new(s),
            (Some(_), _) => return Err(invalid("JWT_SECRET", "must be at least 32 bytes")),
            (None, AppEnv::Development) => Secret::new(DEV_JWT_SECRET),
            (None, AppEnv::Production) => return Err(invalid("JWT_SECRET", "required in production")),
        };
        if app_env == AppEnv::Production && jwt_secret.expose() == DEV_JWT_SECRET {
            return Err(invalid(
                "JWT_SECRET",
                "the development secret cannot be used in production",
            ));
        }
        let log_format = match parse("LOG_FORMAT", "pretty")?.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => return Err(invalid("LOG_FORMAT", format!("{other:?}: use pretty or json"))),
        };
        let trusted_documents = TrustedDocuments {
            mode: match parse("TRUSTED_DOCUMENTS", "off")?.as_str() {
                "off" => TrustedDocumentsMode::Off,
                "audit" => TrustedDocumentsMode::Audit,
                "enforce" => TrustedDocumentsMode::Enforce,
                other => {
                    return Err(invalid(
                        "TRUSTED_DOCUMENTS",
                        format!("{other:?}: use off, audit or enforce"),
                    ));
                }
            },
            file: var("TRUSTED_DOCUMENTS_FILE").map(PathBuf::from),
        };
        if trusted_documents.mode != TrustedDocumentsMode::Off && trusted_documents.file.is_none() {
            return Err(invalid(
                "TRUSTED_DOCUMENTS_FILE",
                "required when TRUSTED_DOCUMENTS is audit or enforce",
            ));
        }
        let graphiql = match var("GRAPHIQL") {
            None => app_env == AppEnv::Development,
            Some(v) => parse_bool(&v).ok_or_else(|| invalid("GRAPHIQL", "use true or false"))?,
        };
        let admin_email = var("ADMIN_EMAIL").map(|e| e.to_lowercase());
        let admin_password = var("ADMIN_PASSWORD").map(Secret::new);
        if admin_email.is_some() != admin_password.is_some() {
            let name = if admin_email.is_some() {
                "ADMIN_PASSWORD"
            } else {
                "ADMIN_EMAIL"
            };
            return Err(invalid(name, "ADMIN_EMAIL and ADMIN_PASSWORD go together"));
        }
        let cors_allowed_origins = parse("CORS_ALLOWED_ORIGINS", "")?
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                http::HeaderValue::from_str(o)
                    .ok()
                    .filter(|_| o.starts_with("http://") || o.starts_with("https://"))
                    .map(|_| o.trim_end_matches('/').to_owned())
                    .ok_or_else(|| invalid("CORS_ALLOWED_ORIGINS", format!("{o:?} is not an http(s) origin")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let host = parse("HOST", "127.0.0.1")?;
        let port = parse("PORT", "8080")?;
        let port: u16 = port
            .parse()
            .map_err(|_| invalid("PORT", format!("{port:?} is not a port")))?;
        let flag = |name: &'static str| -> Result<bool, ConfigError> {
            var(name).map_or(Ok(false), |v| {
                parse_bool(&v).ok_or_else(|| invalid(name, "use true or false"))
            })
        };
        let public_url = parse_public_url(
            "PUBLIC_URL",
            var("PUBLIC_URL"),
            format!("http://localhost:{port}"),
        )?;
        let files_url = parse_public_url("FILES_URL", var("FILES_URL"), format!("{public_url}/files"))?;
        let api_url = parse_public_url("API_URL", var("API_URL"), public_url.clone())?;
        let mail = mail_config(&var, app_env)?;
        let cwd = std::env::current_dir().map_err(|e| invalid("STORAGE_URL", e.to_string()))?;
        let storage_url = StorageUrl::parse(&parse("STORAGE_URL", "file://./data/uploads")?, &cwd)
            .map_err(|reason| invalid("STORAGE_URL", reason))?;

        let database_url = parse("DATABASE_URL", "sqlite://agora.db")?;
        if let Some((scheme, _)) = database_url.split_once("://")
            && !matches!(scheme, "postgres" | "postgresql" | "sqlite")
        {
            return Err(invalid(
                "DATABASE_URL",
                format!(
                    "{scheme}:// is not supported: use postgres://… or sqlite://<path> (or a plain path)"
                ),
            ));
        }
        if let Backend::Postgres(url) = Backend::from_url(&database_url) {
            PgUrl::parse(&url).map_err(|reason| invalid("DATABASE_URL", reason))?;
        }

        let config = Config {
            database_url,
            database_pool_size: number("DATABASE_POOL_SIZE", 10)?.max(1),
            host: host
                .parse()
                .map_err(|_| invalid("HOST", format!("{host:?} is not an IP address")))?,
            port,
            app_env,
            jwt_secret,
            access_token_ttl: duration("ACCESS_TOKEN_TTL", "15m")?,
            refresh_token_ttl: duration("REFRESH_TOKEN_TTL", "30d")?,
            cors_allowed_origins,
            trusted_proxies: client_ip::parse_list(&parse("TRUSTED_PROXIES", "")?)
                .map_err(|reason| invalid("TRUSTED_PROXIES", reason))?,
            admin_email,
            admin_password,
            log_format,
            graphiql,
            graphiql_assets_dir: var("GRAPHIQL_ASSETS_DIR").map(PathBuf::from),
            max_body_bytes: number("MAX_BODY_BYTES", 2 * 1024 * 1024)?,
            max_avatar_bytes: at_least_one("MAX_AVATAR_BYTES", 5 * 1024 * 1024)?,
            storage_url,
            request_timeout: duration("REQUEST_TIMEOUT", "30s")?,
            limits: GraphqlLimits {
                max_depth: number("GRAPHQL_MAX_DEPTH", 15)?,
                max_complexity: number("GRAPHQL_MAX_COMPLEXITY", 20_000)?,
                max_tokens: at_least_one("GRAPHQL_MAX_TOKENS", 10_000)?,
                max_fields: at_least_one("GRAPHQL_MAX_FIELDS", 2_000)?,
                max_response_values: at_least_one("GRAPHQL_MAX_RESPONSE_VALUES", 50_000)?,
                max_aliases: number("GRAPHQL_MAX_ALIASES", 30)?,
                max_root_fields: number("GRAPHQL_MAX_ROOT_FIELDS", 20)?,
                batch_max: number("GRAPHQL_BATCH_MAX", 0)?,
            },
            login_throttle: LoginThrottle {
                max_failures: at_least_one("LOGIN_MAX_FAILURES", 5)?,
                max_failures_per_ip: at_least_one("LOGIN_MAX_FAILURES_PER_IP", 50)?,
                lockout: duration("LOGIN_LOCKOUT", "15m")?,
            },
            public_url,
            files_url,
            api_url,
            documents: DocumentRules {
                max_bytes: at_least_one("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024)?,
                max_per_professional: at_least_one("MAX_DOCUMENTS_PER_PROFESSIONAL", 10)?,
                link_ttl: duration("DOCUMENT_LINK_TTL", "5m")?,
            },
            billing: billing_config(&var, app_env)?,
            mail,
            accounts: AccountRules {
                verify_token_ttl: duration("VERIFY_TOKEN_TTL", "48h")?,
                reset_token_ttl: duration("RESET_TOKEN_TTL", "1h")?,
                require_verified_email: flag("REQUIRE_VERIFIED_EMAIL")?,
                signup_captcha: flag("SIGNUP_CAPTCHA")?,
            },
            schedules: schedules_config(&var)?,
            audit_retention: duration("AUDIT_RETENTION", "400d")?,
            trusted_documents,
            metrics: crate::metrics::config::read(&var)?,
            otel: OtlpConfig::read(&var)?,
            jobs: JobsConfig {
                concurrency: number("WORKER_CONCURRENCY", 2)?,
                lease: duration("JOB_LEASE", "60s")?,
                retry_base: duration("JOB_RETRY_BASE", "10s")?,
            },
        };
        for (name, ttl) in [
            ("VERIFY_TOKEN_TTL", config.accounts.verify_token_ttl),
            ("RESET_TOKEN_TTL", config.accounts.reset_token_ttl),
            ("JOB_LEASE", config.jobs.lease),
            ("JOB_RETRY_BASE", config.jobs.retry_base),
            ("AUDIT_RETENTION", config.audit_retention),
        ] {
            if ttl.is_zero() {
                return Err(invalid(name, "must be positive"));
            }
        }
        if config.access_token_ttl.is_zero() || config.access_token_ttl >= config.refresh_token_ttl {
            return Err(invalid(
                "ACCESS_TOKEN_TTL",
                "must be positive and shorter than REFRESH_TOKEN_TTL",
            ));
        }
        let link_ttl = config.documents.link_ttl;
        if link_ttl < Duration::from_secs(10) || link_ttl > Duration::from_secs(3600) {
            return Err(invalid("DOCUMENT_LINK_TTL", "must be between 10s and 1h"));
        }
        if config.login_throttle.lockout.is_zero() {
            return Err(invalid("LOGIN_LOCKOUT", "must be positive"));
        }
        if let Some(dir) = &config.graphiql_assets_dir
            && !dir.is_dir()
        {
            return Err(invalid(
                "GRAPHIQL_ASSETS_DIR",
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(config)
    }

    /// Is this a production deployment?
    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// Is the JWT secret the built-in development one?
    pub fn uses_dev_secret(&self) -> bool {
        self.jwt_secret.expose() == DEV_JWT_SECRET
    }
}

/// `SCHEDULE_TIMEZONE` and every `SCHEDULE_<NAME>` of [`SCHEDULES`].
fn schedules_config(var: &impl Fn(&str) -> Option<String>) -> Result<SchedulesConfig, ConfigError> {
    let zone = var("SCHEDULE_TIMEZONE").unwrap_or_else(|| "UTC".to_owned());
    let timezone = zone
        .trim()
        .parse()
        .map_err(|_| invalid("SCHEDULE_TIMEZONE", format!("{zone:?} is not an IANA time zone")))?;
    let entries = SCHEDULES
        .iter()
        .map(|&(name, variable, default)| {
            let text = var(variable).unwrap_or_else(|| default.to_owned());
            if text.trim().eq_ignore_ascii_case("off") {
                return Ok((name, None));
            }
            text.parse()
                .map(|cron| (name, Some(cron)))
                .map_err(|reason| invalid(variable, reason))
        })
        .collect::<Result<_, _>>()?;
    Ok(SchedulesConfig { timezone, entries })
}

/// `SMTP_URL` and `MAIL_FROM`: both addresses are checked now (no connection is made), and production needs real ones.
fn mail_config(var: &impl Fn(&str) -> Option<String>, app_env: AppEnv) -> Result<MailConfig, ConfigError> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let production = app_env == AppEnv::Production;
    let smtp_url = match var("SMTP_URL") {
        Some(url) => {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                .map_err(|e| invalid("SMTP_URL", format!("not an smtp:// or smtps:// URL ({e})")))?;
            Some(Secret::new(url))
        }
        None if production => {
            return Err(invalid(
                "SMTP_URL",
                "required in production (mail carries sign-in links)",
            ));
        }
        None => None,
    };
    let from = match var("MAIL_FROM") {
        Some(from) => from.parse().map_err(|_| {
            invalid(
                "MAIL_FROM",
                format!("{from:?} is not a mailbox like Agora <no-reply@example.com>"),
            )
        })?,
        None if production => return Err(invalid("MAIL_FROM", "required in production")),
        None => lettre::message::Mailbox::new(
            Some("Agora".to_owned()),
            lettre::Address::new("no-reply", "localhost").map_err(|e| invalid("MAIL_FROM", e.to_string()))?,
        ),
    };
    Ok(MailConfig { smtp_url, from })
}

/// `BILL_NUMBER_PREFIX`, `BILLING_TIMEZONE`, `DEMO_BILLS`.
fn billing_config(
    var: &impl Fn(&str) -> Option<String>,
    app_env: AppEnv,
) -> Result<BillingConfig, ConfigError> {
    let number_prefix = var("BILL_NUMBER_PREFIX").unwrap_or_else(|| "AG".to_owned());
    let valid = (1..=10).contains(&number_prefix.len())
        && number_prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid {
        return Err(invalid(
            "BILL_NUMBER_PREFIX",
            "1 to 10 upper-case letters or digits",
        ));
    }
    let timezone = match var("BILLING_TIMEZONE") {
        Some(name) => name
            .parse()
            .map_err(|_| invalid("BILLING_TIMEZONE", format!("{name:?} is not an IANA time zone")))?,
        None => chrono_tz::UTC,
    };
    let demo_bills = match var("DEMO_BILLS") {
        Some(v) => parse_bool(&v).ok_or_else(|| invalid("DEMO_BILLS", "use true or false"))?,
        None => app_env != AppEnv::Production,
    };
    Ok(BillingConfig {
        number_prefix,
        timezone,
        demo_bills,
    })
}

/// `PUBLIC_URL`, `FILES_URL`: an http(s) URL without query or fragment; trailing slashes dropped.
fn parse_public_url(
    name: &'static str,
    value: Option<String>,
    default: String,
) -> Result<String, ConfigError> {
    let Some(url) = value else {
        return Ok(default);
    };
    let url = url.trim_end_matches('/');
    let valid = (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .parse::<http::Uri>()
            .is_ok_and(|u| u.host().is_some_and(|h| !h.is_empty()) && u.query().is_none())
        && !url.contains('#');
    if valid {
        Ok(url.to_owned())
    } else {
        Err(invalid(
            name,
            format!("{url:?} is not an http(s) URL like https://example.com"),
        ))
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `"90s"`, `"15m"`, `"12h"`, `"30d"`, or plain seconds.
fn parse_duration(v: &str) -> Result<Duration, String> {
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{v:?} is not a duration like 15m or 30d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("{v:?}: unit must be s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_locally() {
        let c = config(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.database_url, "sqlite://agora.db");
        assert_eq!(c.port, 8080);
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(30 * 86_400));
        assert!(c.graphiql && c.uses_dev_secret() && !c.is_production());
        assert_eq!(c.login_throttle.max_failures, 5);
        assert_eq!(c.login_throttle.max_failures_per_ip, 50);
        assert_eq!(c.login_throttle.lockout, Duration::from_secs(900));
        assert_eq!(c.public_url, "http://localhost:8080");
        assert!(c.mail.smtp_url.is_none());
        assert_eq!(c.mail.from.to_string(), "Agora <no-reply@localhost>");
        assert_eq!(c.accounts.verify_token_ttl, Duration::from_secs(48 * 3600));
        assert_eq!(c.accounts.reset_token_ttl, Duration::from_secs(3600));
        assert!(!c.accounts.require_verified_email && !c.accounts.signup_captcha);
        assert_eq!(c.files_url, "http://localhost:8080/files");
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.max_avatar_bytes, 5 * 1024 * 1024);
        let cwd = std::env::current_dir().unwrap_or_default();
        assert_eq!(c.storage_url, StorageUrl::Local(cwd.join("./data/uploads")));
    }

    #[test]
    fn public_url_follows_the_port_and_drops_trailing_slashes() {
        let c = config(&[("PORT", "9000")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "http://localhost:9000");
        let c = config(&[("PUBLIC_URL", "https://agora.example.com/app/")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "https://agora.example.com/app");
        assert_eq!(c.files_url, "https://agora.example.com/app/files");
        let c = config(&[("FILES_URL", "https://cdn.example.com/")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.files_url, "https://cdn.example.com");
    }

    #[test]
    fn production_requires_a_long_secret() {
        let err = config(&[("APP_ENV", "production")]).err().map(|e| e.name);
        assert_eq!(err, Some("JWT_SECRET"));
        let err = config(&[("APP_ENV", "production"), ("JWT_SECRET", "short")])
            .err()
            .map(|e| e.name);
        assert_eq!(err, Some("JWT_SECRET"));
        let secret = "k".repeat(32);
        let production = [("APP_ENV", "production"), ("JWT_SECRET", secret.as_str())];
        let err = config(&production).err().map(|e| e.name);
        assert_eq!(err, Some("SMTP_URL"), "production needs real mail");
        let with_smtp = [
            &production[..],
            &[("SMTP_URL", "smtp://mail.example.com:587?tls=required")],
        ]
        .concat();
        assert_eq!(config(&with_smtp).err().map(|e| e.name), Some("MAIL_FROM"));
        let ok = config(&[&with_smtp[..], &[("MAIL_FROM", "Agora <no-reply@example.com>")]].concat());
        assert!(ok.is_ok_and(|c| !c.graphiql && c.mail.smtp_url.is_some()));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("HOST", "localhost:1"),
            ("APP_ENV", "staging"),
            ("LOG_FORMAT", "xml"),
            ("ACCESS_TOKEN_TTL", "15 minutes"),
            ("CORS_ALLOWED_ORIGINS", "example.com"),
            ("GRAPHQL_MAX_DEPTH", "-1"),
            ("ADMIN_EMAIL", "root@example.com"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_MAX_FAILURES", "five"),
            ("LOGIN_MAX_FAILURES_PER_IP", "0"),
            ("LOGIN_MAX_FAILURES_PER_IP", "-3"),
            ("LOGIN_LOCKOUT", "0"),
            ("LOGIN_LOCKOUT", "forever"),
            ("FILES_URL", "cdn.example.com"),
            ("SMTP_URL", "http://mail.example.com"),
            ("MAIL_FROM", "not an address"),
            ("JOB_RETRY_BASE", "0"),
            ("SCHEDULE_RETENTION", "*/0 * * * *"),
            ("VERIFY_TOKEN_TTL", "0"),
            ("RESET_TOKEN_TTL", "soon"),
            ("REQUIRE_VERIFIED_EMAIL", "maybe"),
            ("SIGNUP_CAPTCHA", "2"),
            ("PUBLIC_URL", "api.example.com"),
            ("PUBLIC_URL", "ftp://example.com"),
            ("PUBLIC_URL", "https://example.com/?a=b"),
            ("PUBLIC_URL", "https://"),
            ("MAX_AVATAR_BYTES", "0"),
            ("MAX_AVATAR_BYTES", "5MB"),
            ("STORAGE_URL", "./data/uploads"),
            ("STORAGE_URL", "s3://"),
            ("STORAGE_URL", "gs://bucket"),
            ("DATABASE_URL", "postgres://db/agora?sslmode=verify"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("TRUSTED_PROXIES", "10.0.0.0/40"),
            ("DATABASE_URL", "postgres://db/agora?sslmode=require&sslrootcert="),
        ] {
            let got = config(&[(name, value)]).err().map(|e| e.name);
            let expected = if name == "ADMIN_EMAIL" {
                "ADMIN_PASSWORD"
            } else {
                name
            };
            assert_eq!(got, Some(expected), "{name}={value}");
        }
    }

    #[test]
    fn trusted_proxies_are_address_blocks() {
        let c = config(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies[0].contains("10.20.30.40".parse().unwrap_or_else(|e| panic!("{e}"))));
    }

    #[test]
    fn every_invalid_variable_is_reported_at_once() {
        let vars = [
            ("PORT", "eighty"),
            ("LOG_FORMAT", "xml"),
            ("JOB_LEASE", "soon"),
            ("DATABASE_URL", "mysql://x"),
        ];
        let errors =
            Config::from_lookup_all(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
                .err()
                .unwrap_or_default();
        let mut names: Vec<&str> = errors.iter().map(|e| e.name).collect();
        names.sort_unstable();
        assert_eq!(names, ["DATABASE_URL", "JOB_LEASE", "LOG_FORMAT", "PORT"]);
        // A required variable that is missing ends the search with it.
        let prod = [("APP_ENV", "production"), ("LOG_FORMAT", "xml")];
        let errors =
            Config::from_lookup_all(|k| prod.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
                .err()
                .unwrap_or_default();
        assert_eq!(errors.last().map(|e| e.name), Some("JWT_SECRET"), "{errors:?}");
        assert!(Config::from_lookup_all(|_| None).is_ok());
    }

    #[test]
    fn database_urls_of_other_databases_are_refused() {
        for url in ["mysql://u@h/db", "mongodb://h", "http://x"] {
            let err = config(&[("DATABASE_URL", url)]).err().map(|e| e.name);
            assert_eq!(err, Some("DATABASE_URL"), "{url}");
        }
        for url in [
            "postgres://u@h/db",
            "postgresql://u@h/db",
            "sqlite://a.db",
            "a.db",
            "sqlite::memory:",
        ] {
            assert!(config(&[("DATABASE_URL", url)]).is_ok(), "{url}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret([redacted])");
    }
}
