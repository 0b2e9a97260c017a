//! The profile a user edits about themself: names, phone, postal address and
//! bio, with the rules each value follows and the partial update of them.
//!
//! `updateProfile` is partial: an omitted field stays as it is, an explicit
//! `null` clears it (except `name`, which every account has). The address is
//! one value (a JSON text column): it is replaced or cleared as a whole.

pub mod avatar;
pub mod avatar_graphql;
pub mod graphql;

use async_graphql::SimpleObject;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use crate::accounts::lifecycle::not_deleted;
use crate::accounts::users::model::{UserRow, parse_name};
use crate::db::UserId;
use crate::db::schema::users;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::text::{bounded, line};
use crate::tx::Tx;
use crate::with_conn;

/// Longest first or last name, in characters.
const MAX_PERSON_NAME: usize = 100;
/// Longest bio, in characters.
const MAX_BIO: usize = 2000;
/// Longest address line, in characters.
const MAX_ADDRESS_LINE: usize = 200;
/// Longest city or region, in characters.
const MAX_PLACE: usize = 100;
/// Longest postal code, in characters.
const MAX_POSTAL_CODE: usize = 20;
/// Fewest and most digits of an E.164 number (country code included).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// Changes to a profile: `None` leaves a field as it is, `Some(None)` clears it (refused for `name`, which every account has).
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// Display name.
    pub name: Option<Option<String>>,
    /// Given name (public).
    pub first_name: Option<Option<String>>,
    /// Family name (private).
    pub last_name: Option<Option<String>>,
    /// Phone number, E.164 once cleaned (private).
    pub phone: Option<Option<String>>,
    /// Postal address as given (checked by [`parse_address`]), replacing the whole previous one (private).
    pub address: Option<Option<Address>>,
    /// A few words about the user (public).
    pub bio: Option<Option<String>>,
}

/// A postal address.
#[derive(SimpleObject, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Apartment, floor, building.
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper-case.
    pub country: String,
}

impl Address {
    /// The address stored on `row`, if any.
    pub fn of(row: &UserRow) -> AppResult<Option<Address>> {
        row.address.as_deref().map(Address::from_db).transpose()
    }

    /// Read the stored form.
    pub fn from_db(text: &str) -> AppResult<Address> {
        serde_json::from_str(text)
            .map_err(|e| AppError::internal(format!("stored text is not an address: {e}")))
    }

    /// The stored form: a JSON object with the GraphQL field names.
    pub fn to_db(&self) -> AppResult<String> {
        serde_json::to_string(self).map_err(AppError::internal)
    }
}

/// The columns a profile update sets: `None` leaves a column as it is, `Some(None)` sets it to `NULL`.
#[derive(AsChangeset, Debug, Default, PartialEq, Eq)]
#[diesel(table_name = users)]
pub struct ProfileChangeset {
    /// New display name.
    pub name: Option<String>,
    /// New given name.
    pub first_name: Option<Option<String>>,
    /// New family name.
    pub last_name: Option<Option<String>>,
    /// New phone number.
    pub phone: Option<Option<String>>,
    /// New bio.
    pub bio: Option<Option<String>>,
    /// New address (JSON, see [`Address`]).
    pub address: Option<Option<String>>,
    /// Always set (so the changeset is never empty).
    pub updated_at: Option<Timestamp>,
}

impl ProfileChangeset {
    /// Every profile field cleared and the display name replaced by `name` (the erasure of a deleted account).
    pub fn erased(name: &str, now: Timestamp) -> Self {
        ProfileChangeset {
            name: Some(name.to_owned()),
            first_name: Some(None),
            last_name: Some(None),
            phone: Some(None),
            bio: Some(None),
            address: Some(None),
            updated_at: Some(now),
        }
    }
}

/// ISO 3166-1 alpha-2: the 249 officially assigned codes, sorted.
const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A country: an assigned ISO 3166-1 alpha-2 code, trimmed and upper-cased.
pub fn parse_country(raw: &str, field: &'static str) -> AppResult<String> {
    let code = raw.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(AppError::bad_input(
            field,
            "must be an ISO 3166-1 alpha-2 country code, like DE or US",
        ))
    }
}

/// A phone number in E.164: `+`, a non-zero digit, 7 to 15 digits in all. Spaces, dots, hyphens and parentheses are dropped first; nothing else is (no guessing a country for a national number).
pub fn parse_phone(raw: &str, field: &'static str) -> AppResult<String> {
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let valid = compact.strip_prefix('+').is_some_and(|digits| {
        PHONE_DIGITS.contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    });
    if valid {
        Ok(compact)
    } else {
        Err(AppError::bad_input(
            field,
            "must be an international number in E.164 form, like +14155550123",
        ))
    }
}

/// An optional part of an address: trimmed, blank means none.
fn optional_part(raw: Option<&str>, field: &'static str, max: usize) -> AppResult<Option<String>> {
    let part = raw.map(|raw| line(raw, field, max, true)).transpose()?;
    Ok(part.filter(|p| !p.is_empty()))
}

/// Check every part of an address (errors name `address.<part>`).
pub fn parse_address(input: &Address) -> AppResult<Address> {
    Ok(Address {
        line1: line(&input.line1, "address.line1", MAX_ADDRESS_LINE, false)?,
        line2: optional_part(input.line2.as_deref(), "address.line2", MAX_ADDRESS_LINE)?,
        city: line(&input.city, "address.city", MAX_PLACE, false)?,
        region: optional_part(input.region.as_deref(), "address.region", MAX_PLACE)?,
        postal_code: optional_part(
            input.postal_code.as_deref(),
            "address.postalCode",
            MAX_POSTAL_CODE,
        )?,
        country: parse_country(&input.country, "address.country")?,
    })
}

/// An update of a nullable column, its value checked by `parse`.
fn change<T, U>(
    value: &Option<Option<T>>,
    parse: impl FnOnce(&T) -> AppResult<U>,
) -> AppResult<Option<Option<U>>> {
    value
        .as_ref()
        .map(|value| value.as_ref().map(parse).transpose())
        .transpose()
}

/// Validate an update into the columns it sets (pure; the first invalid field is the error).
pub fn changeset(input: &ProfileChanges, now: Timestamp) -> AppResult<ProfileChangeset> {
    let name = match &input.name {
        None => None,
        Some(None) => {
            return Err(AppError::bad_input("name", "the display name cannot be cleared"));
        }
        Some(Some(name)) => Some(parse_name(name)?),
    };
    let person = |field| move |raw: &String| line(raw, field, MAX_PERSON_NAME, false);
    Ok(ProfileChangeset {
        name,
        first_name: change(&input.first_name, person("firstName"))?,
        last_name: change(&input.last_name, person("lastName"))?,
        phone: change(&input.phone, |raw| parse_phone(raw, "phone"))?,
        bio: change(&input.bio, |raw| bounded(raw, "bio", MAX_BIO, false))?,
        address: change(&input.address, |raw| parse_address(raw)?.to_db())?,
        updated_at: Some(now),
    })
}

/// Apply `changes` to the viewer's own profile. Errors: `BAD_USER_INPUT` with the offending field.
pub async fn update(tx: &mut Tx<'_>, changes: ProfileChanges) -> AppResult<UserRow> {
    let changes = changeset(&changes, now())?;
    let user_id = tx.viewer()?.user_id;
    apply(tx, user_id, &changes).await
}

/// Write `changes` to the user's row; a deleted account is `NOT_FOUND`.
pub async fn apply(conn: &mut Conn, user_id: UserId, changes: &ProfileChangeset) -> AppResult<UserRow> {
    let row = with_conn!(conn, |c| {
        diesel::update(not_deleted(user_id))
            .set(changes)
            .returning(UserRow::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    row.ok_or(AppError::NotFound("user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<T>(result: AppResult<T>) -> Option<&'static str> {
        match result {
            Err(AppError::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    fn address(country: &str) -> Address {
        Address {
            line1: " 1 Main St ".into(),
            line2: Some("  ".into()),
            city: "Springfield".into(),
            region: None,
            postal_code: Some(" 12345 ".into()),
            country: country.into(),
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(
            parse_phone(" +1 (415) 555-0123 ", "phone").ok().as_deref(),
            Some("+14155550123")
        );
        assert_eq!(
            parse_phone("+49.30.1234567", "phone").ok().as_deref(),
            Some("+49301234567")
        );
        assert_eq!(parse_phone("+6834002", "phone").ok().as_deref(), Some("+6834002"));
        assert!(parse_phone(&format!("+{}", "1".repeat(15)), "phone").is_ok());
        for bad in [
            "",
            "+",
            "4155550123",
            "004915112345678",
            "+0123456789",
            "+123456",
            &format!("+{}", "1".repeat(16)),
            "+1415555012x",
            "+1/415/5550123",
            "++14155550123",
        ] {
            assert_eq!(field(parse_phone(bad, "phone")), Some("phone"), "{bad}");
        }
    }

    #[test]
    fn countries_are_assigned_alpha2_codes() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert!(
            COUNTRIES
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        assert_eq!(parse_country(" de ", "country").ok().as_deref(), Some("DE"));
        assert_eq!(parse_country("Us", "country").ok().as_deref(), Some("US"));
        for bad in ["", "D", "DEU", "XX", "UK", "ZZ", "é"] {
            assert_eq!(field(parse_country(bad, "country")), Some("country"), "{bad}");
        }
    }

    #[test]
    fn addresses_are_trimmed_and_blank_optional_parts_dropped() {
        let parsed = parse_address(&address("fr")).ok();
        assert_eq!(
            parsed,
            Some(Address {
                line1: "1 Main St".into(),
                line2: None,
                city: "Springfield".into(),
                region: None,
                postal_code: Some("12345".into()),
                country: "FR".into(),
            })
        );
        assert_eq!(field(parse_address(&address("XX"))), Some("address.country"));
        let blank_city = Address {
            city: " ".into(),
            ..address("FR")
        };
        assert_eq!(field(parse_address(&blank_city)), Some("address.city"));
        let long_code = Address {
            postal_code: Some("1".repeat(21)),
            ..address("FR")
        };
        assert_eq!(field(parse_address(&long_code)), Some("address.postalCode"));
        let long_line = Address {
            line2: Some("x".repeat(201)),
            ..address("FR")
        };
        assert_eq!(field(parse_address(&long_line)), Some("address.line2"));
    }

    #[test]
    fn omitted_fields_stay_and_null_clears() {
        let at = now();
        let untouched = changeset(&ProfileChanges::default(), at).ok();
        assert_eq!(
            untouched,
            Some(ProfileChangeset {
                updated_at: Some(at),
                ..ProfileChangeset::default()
            })
        );
        let input = ProfileChanges {
            first_name: Some(Some(" Ann ".into())),
            phone: Some(None),
            address: Some(None),
            ..ProfileChanges::default()
        };
        let changes = changeset(&input, at).ok().unwrap_or_default();
        assert_eq!(changes.first_name, Some(Some("Ann".into())));
        assert_eq!(changes.phone, Some(None));
        assert_eq!(changes.address, Some(None));
        assert_eq!((changes.name, changes.last_name, changes.bio), (None, None, None));
        let with_address = ProfileChanges {
            address: Some(Some(address("de"))),
            ..ProfileChanges::default()
        };
        let changes = changeset(&with_address, at).ok().unwrap_or_default();
        assert_eq!(
            changes.address.flatten().as_deref(),
            Some(
                r#"{"line1":"1 Main St","line2":null,"city":"Springfield","region":null,"postalCode":"12345","country":"DE"}"#
            )
        );
    }

    #[test]
    fn lengths_and_name_rules_name_their_field() {
        let at = now();
        let cases = [
            (
                ProfileChanges {
                    name: Some(None),
                    ..ProfileChanges::default()
                },
                "name",
            ),
            (
                ProfileChanges {
                    first_name: Some(Some("x".repeat(101))),
                    ..ProfileChanges::default()
                },
                "firstName",
            ),
            (
                ProfileChanges {
                    last_name: Some(Some("  ".into())),
                    ..ProfileChanges::default()
                },
                "lastName",
            ),
            (
                ProfileChanges {
                    bio: Some(Some("x".repeat(2001))),
                    ..ProfileChanges::default()
                },
                "bio",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(field(changeset(&input, at)), Some(expected));
        }
        let longest = ProfileChanges {
            bio: Some(Some("é".repeat(2000))),
            first_name: Some(Some("x".repeat(100))),
            ..ProfileChanges::default()
        };
        assert!(changeset(&longest, at).is_ok());
    }
}
