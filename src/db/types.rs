//! Portable column types: the same Rust value on PostgreSQL and SQLite.
//!
//! - ids: see [`super::ids`].
//! - [`Timestamp`]: UTC, `timestamptz` on PostgreSQL, fixed-width RFC 3339 text
//!   on SQLite (so text comparison orders like time), microsecond precision on
//!   both (PostgreSQL keeps microseconds, so the app truncates to them).

use chrono::{DateTime, SubsecRound, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

use super::schema::sql_types::PortableTimestamp;

/// A point in time, UTC, microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = PortableTimestamp)]
pub struct Timestamp(pub DateTime<Utc>);

/// Now, truncated to the precision both databases keep.
pub fn now() -> Timestamp {
    Timestamp(Utc::now().trunc_subsecs(6))
}

impl Timestamp {
    /// Microseconds since the Unix epoch (the precision both databases keep).
    pub fn micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The inverse of [`Timestamp::micros`]; `None` out of chrono's range.
    pub fn from_micros(micros: i64) -> Option<Timestamp> {
        DateTime::from_timestamp_micros(micros).map(Timestamp)
    }

    /// This time plus `d` (saturating at the end of chrono's range).
    pub fn plus(self, d: std::time::Duration) -> Timestamp {
        let d = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Timestamp(self.0.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC))
    }
}

/// The SQLite text form: fixed width, so string order is time order.
const SQLITE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl ToSql<PortableTimestamp, Pg> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<diesel::sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<PortableTimestamp, Pg> for Timestamp {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<diesel::sql_types::Timestamptz, Pg>>::from_sql(bytes).map(Timestamp)
    }
}

impl ToSql<PortableTimestamp, Sqlite> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format(SQLITE_FORMAT).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableTimestamp, Sqlite> for Timestamp {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let s = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Timestamp(DateTime::parse_from_rfc3339(&s)?.with_timezone(&Utc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_orders_like_time() {
        let a = Timestamp(DateTime::from_timestamp(1_700_000_000, 500_000_000).unwrap_or_default());
        let b = Timestamp(DateTime::from_timestamp(1_700_000_000, 123_000).unwrap_or_default());
        let (ta, tb) = (
            a.0.format(SQLITE_FORMAT).to_string(),
            b.0.format(SQLITE_FORMAT).to_string(),
        );
        assert_eq!(ta.len(), tb.len());
        assert!(tb < ta);
        assert_eq!(
            DateTime::parse_from_rfc3339(&ta)
                .map(|d| d.with_timezone(&Utc))
                .ok(),
            Some(a.0)
        );
    }
}
