//! Typed row ids: one newtype per table, so a project id passed where a user
//! id is expected does not compile.
//!
//! Every id is a UUIDv7 (ids sort by creation time and index well), stored
//! as native `uuid` on PostgreSQL and hyphenated text on SQLite
//! ([`PortableUuid`]). On the wire an id is *global* (Relay): opaque text
//! carrying its type, `{prefix}_{base64url(uuid)}`, e.g. `PJ_AZLk…`, so the
//! API can tell a project's id from a user's ([`TypedId::to_global`],
//! [`GlobalId::parse`]). Clients must not parse it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};
use uuid::Uuid;

use super::schema::sql_types::PortableUuid;

/// What every id type can do.
pub trait TypedId: Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static {
    /// The type tag of its global id (`PJ` for projects).
    const PREFIX: &'static str;

    /// The id of this UUID.
    fn from_uuid(uuid: Uuid) -> Self;

    /// The UUID inside.
    fn uuid(self) -> Uuid;

    /// The opaque id handed to clients.
    fn to_global(self) -> String {
        format!(
            "{}_{}",
            Self::PREFIX,
            URL_SAFE_NO_PAD.encode(self.uuid().as_bytes())
        )
    }

    /// This id from a global id of its own type; `None` for another type's.
    fn from_global(global: GlobalId) -> Option<Self> {
        (global.prefix == Self::PREFIX).then(|| Self::from_uuid(global.uuid))
    }
}

/// A well-formed global id of some type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalId {
    /// The type tag.
    pub prefix: &'static str,
    /// The row's UUID.
    pub uuid: Uuid,
}

impl GlobalId {
    /// Read a client's global id; `None` when it is not one of ours.
    pub fn parse(text: &str) -> Option<GlobalId> {
        let (prefix, encoded) = text.split_once('_')?;
        let prefix = *PREFIXES.iter().find(|p| **p == prefix)?;
        let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(encoded).ok()?.try_into().ok()?;
        Some(GlobalId {
            prefix,
            uuid: Uuid::from_bytes(bytes),
        })
    }

    /// The typed id, when it is of type `T`.
    pub fn as_id<T: TypedId>(self) -> Option<T> {
        T::from_global(self)
    }
}

fn uuid_to_pg<'b>(uuid: &'b Uuid, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
    <Uuid as ToSql<diesel::sql_types::Uuid, Pg>>::to_sql(uuid, out)
}

fn uuid_from_pg(bytes: PgValue<'_>) -> deserialize::Result<Uuid> {
    <Uuid as FromSql<diesel::sql_types::Uuid, Pg>>::from_sql(bytes)
}

fn uuid_to_sqlite(uuid: &Uuid, out: &mut Output<'_, '_, Sqlite>) -> serialize::Result {
    out.set_value(uuid.hyphenated().to_string());
    Ok(IsNull::No)
}

fn uuid_from_sqlite(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Uuid> {
    let s = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
    Ok(Uuid::parse_str(&s)?)
}

/// Declare the id types, each with its global-id prefix.
macro_rules! typed_ids {
    ($( $(#[$meta:meta])* $name:ident = $prefix:literal, )+) => {
        /// Every prefix in use (unique: checked by a test).
        const PREFIXES: &[&str] = &[$($prefix),+];

        $(
            $(#[$meta])*
            #[derive(
                Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
            )]
            #[diesel(sql_type = PortableUuid)]
            pub struct $name(Uuid);

            impl $name {
                /// A fresh time-ordered id.
                pub fn new() -> Self {
                    $name(Uuid::now_v7())
                }

                /// Read the hyphenated UUID of [`Display`](std::fmt::Display) (a token's claims); `None` when it is not one.
                pub fn parse_uuid(text: &str) -> Option<Self> {
                    Uuid::parse_str(text).ok().map($name)
                }
            }

            impl Default for $name {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl TypedId for $name {
                const PREFIX: &'static str = $prefix;

                fn from_uuid(uuid: Uuid) -> Self {
                    $name(uuid)
                }

                fn uuid(self) -> Uuid {
                    self.0
                }
            }

            impl std::fmt::Display for $name {
                /// The hyphenated UUID (logs, audit, storage keys; never the wire).
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    self.0.hyphenated().fmt(f)
                }
            }

            impl ToSql<PortableUuid, Pg> for $name {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    uuid_to_pg(&self.0, out)
                }
            }

            impl FromSql<PortableUuid, Pg> for $name {
                fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                    uuid_from_pg(bytes).map($name)
                }
            }

            impl ToSql<PortableUuid, Sqlite> for $name {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                    uuid_to_sqlite(&self.0, out)
                }
            }

            impl FromSql<PortableUuid, Sqlite> for $name {
                fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                    uuid_from_sqlite(value).map($name)
                }
            }
        )+
    };
}

typed_ids! {
    /// A `users` row.
    UserId = "U",
    /// A `sessions` row.
    SessionId = "SE",
    /// A `projects` row.
    ProjectId = "PJ",
    /// A `proposals` row.
    ProposalId = "PP",
    /// A `contracts` row.
    ContractId = "CT",
    /// A `reviews` row.
    ReviewId = "RV",
    /// A `portfolio_items` row.
    PortfolioItemId = "PI",
    /// An `audit_events` row.
    AuditEventId = "AE",
    /// A `mail_outbox` row.
    MailId = "ML",
    /// A `captchas` row.
    CaptchaId = "CA",
    /// A `jobs` row.
    JobId = "JB",
    /// A `services` row (the catalogue).
    ServiceId = "SV",
    /// A `service_requests` row.
    ServiceRequestId = "SR",
    /// A `verification_documents` row.
    VerificationDocumentId = "VD",
    /// A `bills` row.
    BillId = "BL",
    /// A `payments` row.
    PaymentId = "PY",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_carry_their_type() {
        let project = ProjectId::new();
        let global = project.to_global();
        assert!(global.starts_with("PJ_"));
        let parsed = GlobalId::parse(&global);
        assert_eq!(parsed.and_then(GlobalId::as_id::<ProjectId>), Some(project));
        assert_eq!(parsed.and_then(GlobalId::as_id::<UserId>), None);
    }

    #[test]
    fn malformed_global_ids_are_refused() {
        let uuid = Uuid::now_v7();
        for text in [
            String::new(),
            uuid.to_string(),
            "PJ_".into(),
            "XX_AAAAAAAAAAAAAAAAAAAAAA".into(),
            format!("PJ_{}", URL_SAFE_NO_PAD.encode([0u8; 15])),
            format!("PJ_{}=", URL_SAFE_NO_PAD.encode(uuid.as_bytes())),
        ] {
            assert_eq!(GlobalId::parse(&text), None, "{text:?}");
        }
    }

    #[test]
    fn prefixes_are_unique_and_unambiguous() {
        for (i, a) in PREFIXES.iter().enumerate() {
            assert!(!a.contains('_'));
            assert!(PREFIXES[i + 1..].iter().all(|b| a != b), "{a} twice");
        }
    }
}
