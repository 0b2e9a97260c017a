//! Professional profiles and documents: rows, values, and the pure rules of
//! verification.

use diesel::prelude::*;

use crate::db::schema::{professional_profiles, verification_documents};
use crate::db::types::Timestamp;
use crate::db::{UserId, VerificationDocumentId};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::text::{bounded, line};

crate::text_enum! {
    /// Where a professional's verification stands.
    pub enum VerificationStatus {
        /// Not sent for verification yet (or sent back by an admin).
        Unsubmitted = "UNSUBMITTED",
        /// Waiting for an admin's decision.
        Pending = "PENDING",
        /// An admin checked the documents: the professional takes requests.
        Verified = "VERIFIED",
        /// An admin refused; the professional may fix the profile and resubmit.
        Rejected = "REJECTED",
    }
}

impl VerificationStatus {
    /// The professional submits: from `UNSUBMITTED` or `REJECTED` to `PENDING`.
    pub fn submit(self) -> AppResult<Self> {
        self.require(&[Self::Unsubmitted, Self::Rejected], "submit")
            .map(|_| Self::Pending)
    }

    /// An admin verifies: `PENDING` → `VERIFIED`.
    pub fn verify(self) -> AppResult<Self> {
        self.require(&[Self::Pending], "verify").map(|_| Self::Verified)
    }

    /// An admin rejects: `PENDING` → `REJECTED`.
    pub fn reject(self) -> AppResult<Self> {
        self.require(&[Self::Pending], "reject").map(|_| Self::Rejected)
    }

    /// An admin sends the professional back to `UNSUBMITTED`, from any other status.
    pub fn reset(self) -> AppResult<Self> {
        self.require(&[Self::Pending, Self::Verified, Self::Rejected], "reset")
            .map(|_| Self::Unsubmitted)
    }

    /// Documents may be deleted unless the professional is `VERIFIED`.
    pub fn check_documents_removable(self) -> AppResult<()> {
        self.require(
            &[Self::Unsubmitted, Self::Pending, Self::Rejected],
            "delete a document of",
        )
    }

    fn require(self, from: &[Self], action: &str) -> AppResult<()> {
        if from.contains(&self) {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a professional who is {}",
                self.as_str()
            )))
        }
    }
}

crate::text_enum! {
    /// What a verification document is.
    pub enum DocumentKind {
        /// An identity card or passport.
        IdCard = "ID_CARD",
        /// A diploma or training certificate.
        Certificate = "CERTIFICATE",
        /// A trade licence.
        License = "LICENSE",
        /// Proof of liability insurance.
        Insurance = "INSURANCE",
        /// Anything else.
        Other = "OTHER",
    }
}

/// A `professional_profiles` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = professional_profiles, primary_key(user_id))]
pub struct ProfileRow {
    /// The FREELANCER it belongs to.
    pub user_id: UserId,
    /// One line about the professional.
    pub headline: Option<String>,
    /// Longer text.
    pub bio: Option<String>,
    /// Years of experience.
    pub experience_years: Option<i32>,
    /// Hourly rate, minor units.
    pub hourly_rate_minor: Option<i64>,
    /// Its currency.
    pub hourly_rate_currency: Option<String>,
    /// Verification status.
    pub verification_status: VerificationStatus,
    /// Why an admin rejected it.
    pub rejection_reason: Option<String>,
    /// Last sent for verification.
    pub submitted_at: Option<Timestamp>,
    /// Verified.
    pub verified_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl ProfileRow {
    /// The hourly rate, if set.
    pub fn hourly_rate(&self) -> AppResult<Option<Money>> {
        match (self.hourly_rate_minor, &self.hourly_rate_currency) {
            (Some(minor), Some(currency)) => Money::stored(minor, currency).map(Some),
            _ => Ok(None),
        }
    }
}

/// A change to a profile's own fields (`None`: unchanged, `Some(None)`: cleared).
#[derive(AsChangeset, Default)]
#[diesel(table_name = professional_profiles)]
pub struct ProfileChangeset {
    /// Headline.
    pub headline: Option<Option<String>>,
    /// Bio.
    pub bio: Option<Option<String>>,
    /// Years of experience.
    pub experience_years: Option<Option<i32>>,
    /// Hourly rate, minor units.
    pub hourly_rate_minor: Option<Option<i64>>,
    /// Its currency.
    pub hourly_rate_currency: Option<Option<String>>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// A `verification_documents` row.
#[derive(Queryable, Selectable, Insertable, Identifiable, Debug, Clone)]
#[diesel(table_name = verification_documents)]
pub struct DocumentRow {
    /// Id.
    pub id: VerificationDocumentId,
    /// The professional.
    pub user_id: UserId,
    /// What it is.
    pub kind: DocumentKind,
    /// The file name sent (cleaned).
    pub file_name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where it is stored (never a public key).
    pub object_key: String,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// Most postal codes one professional covers.
pub const MAX_POSTAL_CODES: usize = 200;
/// Longest postal code, in characters.
const MAX_POSTAL_CODE: usize = 20;

/// A headline: trimmed, 1 to 120 characters.
pub fn parse_headline(raw: &str) -> AppResult<String> {
    line(raw, "headline", 120, false)
}

/// A bio: trimmed, 1 to 5000 characters.
pub fn parse_bio(raw: &str) -> AppResult<String> {
    bounded(raw, "bio", 5000, false)
}

/// Years of experience: 0 to 80.
pub fn parse_experience(years: i32) -> AppResult<i32> {
    if (0..=80).contains(&years) {
        Ok(years)
    } else {
        Err(AppError::bad_input("experienceYears", "must be between 0 and 80"))
    }
}

/// One postal code, as matched everywhere: trimmed, upper-cased, 1 to 20 letters, digits, spaces or hyphens.
pub fn parse_postal_code(raw: &str, field: &'static str) -> AppResult<String> {
    let code = raw.trim().to_uppercase();
    let valid = !code.is_empty()
        && code.chars().count() <= MAX_POSTAL_CODE
        && code.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-');
    if valid {
        Ok(code)
    } else {
        Err(AppError::bad_input(
            field,
            format!("a postal code has 1 to {MAX_POSTAL_CODE} letters, digits, spaces or hyphens"),
        ))
    }
}

/// A service area: 1 to 200 postal codes, each cleaned by [`parse_postal_code`]; repeats are dropped, the order kept.
pub fn parse_service_area(raw: &[String]) -> AppResult<Vec<String>> {
    let mut codes: Vec<String> = Vec::with_capacity(raw.len());
    for code in raw {
        let code = parse_postal_code(code, "serviceArea")?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() || codes.len() > MAX_POSTAL_CODES {
        return Err(AppError::bad_input(
            "serviceArea",
            format!("give 1 to {MAX_POSTAL_CODES} postal codes"),
        ));
    }
    Ok(codes)
}

/// A rejection reason: trimmed, 1 to 1000 characters.
pub fn parse_reason(raw: &str) -> AppResult<String> {
    bounded(raw, "reason", 1000, false)
}

#[cfg(test)]
mod tests {
    use super::VerificationStatus::*;
    use super::*;

    #[test]
    fn verification_moves_one_step_at_a_time() {
        assert_eq!(Unsubmitted.submit().ok(), Some(Pending));
        assert_eq!(Rejected.submit().ok(), Some(Pending));
        assert!(Pending.submit().is_err() && Verified.submit().is_err());
        assert_eq!(Pending.verify().ok(), Some(Verified));
        assert_eq!(Pending.reject().ok(), Some(Rejected));
        for not_pending in [Unsubmitted, Verified, Rejected] {
            assert!(not_pending.verify().is_err() && not_pending.reject().is_err());
        }
        for any in [Pending, Verified, Rejected] {
            assert_eq!(any.reset().ok(), Some(Unsubmitted));
        }
        assert!(matches!(Unsubmitted.reset(), Err(AppError::InvalidState(m)) if m.contains("UNSUBMITTED")));
        assert!(Verified.check_documents_removable().is_err());
        assert!(Rejected.check_documents_removable().is_ok());
    }

    #[test]
    fn postal_codes_are_cleaned_and_bounded() {
        let area = parse_service_area(&[" 10115 ".into(), "sw1a 1aa".into(), "10115".into()]);
        assert_eq!(area.ok(), Some(vec!["10115".to_owned(), "SW1A 1AA".to_owned()]));
        assert!(parse_service_area(&[]).is_err());
        assert!(parse_service_area(&["<script>".into()]).is_err());
        let many: Vec<String> = (0..201).map(|n| n.to_string()).collect();
        assert!(parse_service_area(&many).is_err());
        assert!(parse_service_area(&many[..200]).is_ok());
    }

    #[test]
    fn experience_is_bounded() {
        assert!(parse_experience(-1).is_err() && parse_experience(81).is_err());
        assert_eq!(parse_experience(12).ok(), Some(12));
    }
}
