//! Reads and single-statement writes on professional profiles, their
//! services and postal codes.

use diesel::dsl::{exists, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use super::model::{ProfileChangeset, ProfileRow, VerificationStatus};
use crate::accounts::users::model::UserRow;
use crate::auth::Role;
use crate::db::keyset::PageArgs;
use crate::db::schema::{professional_postal_codes, professional_profiles, professional_services, users};
use crate::db::types::Timestamp;
use crate::db::{Conn, ServiceId, UserId, contains_pattern, lower};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of the admins' queue (newest profile first).
pub const ORDER: &str = "CREATED_AT_DESC";
/// The cursor tag of `availableProfessionals` (best rated first).
pub const RATING_ORDER: &str = "RATING_DESC";

/// The profile of `user`, if they have one.
pub async fn find(conn: &mut Conn, user: UserId) -> AppResult<Option<ProfileRow>> {
    Ok(find_many(conn, &[user]).await?.pop())
}

/// The profiles of these users (those without one are left out).
pub async fn find_many(conn: &mut Conn, users: &[UserId]) -> AppResult<Vec<ProfileRow>> {
    Ok(with_conn!(conn, |c| {
        professional_profiles::table
            .filter(professional_profiles::user_id.eq_any(users))
            .select(ProfileRow::as_select())
            .load(c)
            .await
    })?)
}

/// The profile of `user`, created `UNSUBMITTED` when missing, and marked changed: the statement takes the row until the transaction ends, so the changes to one profile queue up behind each other.
pub async fn take(conn: &mut Conn, user: UserId, now: Timestamp) -> AppResult<ProfileRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(professional_profiles::table)
            .values((
                professional_profiles::user_id.eq(user),
                professional_profiles::verification_status.eq(VerificationStatus::Unsubmitted),
                professional_profiles::created_at.eq(now),
                professional_profiles::updated_at.eq(now),
            ))
            .on_conflict(professional_profiles::user_id)
            .do_update()
            .set(professional_profiles::updated_at.eq(now))
            .returning(ProfileRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Change a profile's own fields.
pub async fn apply(conn: &mut Conn, user: UserId, changes: &ProfileChangeset) -> AppResult<ProfileRow> {
    Ok(with_conn!(conn, |c| {
        diesel::update(professional_profiles::table.find(user))
            .set(changes)
            .returning(ProfileRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// A verification decision, written as a whole.
#[derive(AsChangeset, Debug)]
#[diesel(table_name = professional_profiles, treat_none_as_null = true)]
pub struct StatusChange {
    /// The new status.
    pub verification_status: VerificationStatus,
    /// Why it was rejected (rejections only).
    pub rejection_reason: Option<String>,
    /// Last submitted.
    pub submitted_at: Option<Timestamp>,
    /// Verified (verifications only).
    pub verified_at: Option<Timestamp>,
    /// Now.
    pub updated_at: Timestamp,
}

/// Move `user`'s profile from `from` as `change` says; `None` when its status is no longer `from` (someone decided meanwhile).
pub async fn set_status(
    conn: &mut Conn,
    user: UserId,
    from: VerificationStatus,
    change: &StatusChange,
) -> AppResult<Option<ProfileRow>> {
    Ok(with_conn!(conn, |c| {
        diesel::update(
            professional_profiles::table
                .filter(professional_profiles::user_id.eq(user))
                .filter(professional_profiles::verification_status.eq(from)),
        )
        .set(change)
        .returning(ProfileRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Replace the services `user` offers.
pub async fn set_services(conn: &mut Conn, user: UserId, services: &[ServiceId]) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(professional_services::table.filter(professional_services::user_id.eq(user)))
            .execute(c)
            .await
    })?;
    let rows: Vec<_> = services
        .iter()
        .map(|s| {
            (
                professional_services::user_id.eq(user),
                professional_services::service_id.eq(*s),
            )
        })
        .collect();
    crate::insert_all!(conn, professional_services::table, rows);
    Ok(())
}

/// Replace the postal codes `user` covers.
pub async fn set_area(conn: &mut Conn, user: UserId, codes: &[String]) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(professional_postal_codes::table.filter(professional_postal_codes::user_id.eq(user)))
            .execute(c)
            .await
    })?;
    let rows: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                professional_postal_codes::user_id.eq(user),
                professional_postal_codes::postal_code.eq(code.as_str()),
            )
        })
        .collect();
    crate::insert_all!(conn, professional_postal_codes::table, rows);
    Ok(())
}

/// The services these professionals offer.
pub async fn services_of(conn: &mut Conn, users: &[UserId]) -> AppResult<Vec<(UserId, ServiceId)>> {
    Ok(with_conn!(conn, |c| {
        professional_services::table
            .filter(professional_services::user_id.eq_any(users))
            .select((professional_services::user_id, professional_services::service_id))
            .load(c)
            .await
    })?)
}

/// The postal codes these professionals cover, in order.
pub async fn areas_of(conn: &mut Conn, users: &[UserId]) -> AppResult<Vec<(UserId, String)>> {
    Ok(with_conn!(conn, |c| {
        professional_postal_codes::table
            .filter(professional_postal_codes::user_id.eq_any(users))
            .order(professional_postal_codes::postal_code)
            .select((
                professional_postal_codes::user_id,
                professional_postal_codes::postal_code,
            ))
            .load(c)
            .await
    })?)
}

/// What the admins' queue is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ProfessionalFilter {
    /// Only this status.
    pub status: Option<VerificationStatus>,
    /// Offering this service.
    pub service_id: Option<ServiceId>,
    /// Covering this postal code (cleaned).
    pub postal_code: Option<String>,
    /// Name, email or headline contains this, ignoring case.
    pub search: Option<String>,
}

/// A page of professional profiles for admins, newest first.
pub async fn list(
    conn: &mut Conn,
    filter: &ProfessionalFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ProfileRow>, i64)> {
    let after = args.after_time::<UserId>()?;
    let search = filter.search.as_deref().map(contains_pattern);
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = professional_profiles::table.into_boxed();
            if let Some(status) = filter.status {
                q = q.filter(professional_profiles::verification_status.eq(status));
            }
            if let Some(service) = filter.service_id {
                q = q.filter(exists(
                    professional_services::table
                        .filter(professional_services::user_id.eq(professional_profiles::user_id))
                        .filter(professional_services::service_id.eq(service)),
                ));
            }
            if let Some(code) = &filter.postal_code {
                q = q.filter(exists(
                    professional_postal_codes::table
                        .filter(professional_postal_codes::user_id.eq(professional_profiles::user_id))
                        .filter(professional_postal_codes::postal_code.eq(code.clone())),
                ));
            }
            if let Some(pattern) = &search {
                q = q.filter(
                    lower(professional_profiles::headline.assume_not_null())
                        .like(pattern.clone())
                        .escape('\\')
                        .or(professional_profiles::user_id.eq_any(
                            users::table
                                .filter(
                                    lower(users::name)
                                        .like(pattern.clone())
                                        .escape('\\')
                                        .or(users::email.like(pattern.clone()).escape('\\')),
                                )
                                .select(users::id),
                        )),
                );
            }
            q
        };
        newest_first_page!(
            c,
            build,
            professional_profiles::created_at,
            professional_profiles::user_id,
            ProfileRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// A professional's standing for ordering: the mean of the ratings they received in millionths of a star, 0 when unrated (so unrated come last).
fn rating_score() -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>(
        "COALESCE((SELECT SUM(reviews.rating) * 1000000 / COUNT(*) FROM reviews \
         WHERE reviews.reviewee_id = professional_profiles.user_id), 0)",
    )
}

/// A page of the professionals a client may book for `service` at `postal_code`: VERIFIED, offering it, covering the code, with an active account; best rated first, unrated last. Each row comes with its score (the cursor's key).
pub async fn available(
    conn: &mut Conn,
    service: ServiceId,
    postal_code: &str,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<(ProfileRow, i64)>, i64)> {
    let after = args.after_int::<UserId>();
    Ok(with_conn!(conn, |c| {
        let build = || {
            professional_profiles::table
                .into_boxed()
                .filter(professional_profiles::verification_status.eq(VerificationStatus::Verified))
                .filter(exists(
                    professional_services::table
                        .filter(professional_services::user_id.eq(professional_profiles::user_id))
                        .filter(professional_services::service_id.eq(service)),
                ))
                .filter(exists(
                    professional_postal_codes::table
                        .filter(professional_postal_codes::user_id.eq(professional_profiles::user_id))
                        .filter(professional_postal_codes::postal_code.eq(postal_code.to_owned())),
                ))
                .filter(exists(
                    users::table
                        .filter(users::id.eq(professional_profiles::user_id))
                        .filter(users::role.eq(Role::Freelancer))
                        .filter(users::blocked_at.is_null())
                        .filter(users::deactivated_at.is_null())
                        .filter(users::deleted_at.is_null()),
                ))
        };
        let total: i64 = if with_total {
            build().count().get_result(c).await?
        } else {
            0
        };
        let mut query = build().order((rating_score().desc(), professional_profiles::user_id.desc()));
        if let Some((key, id)) = after {
            query = query.filter(
                rating_score()
                    .lt(key)
                    .or(rating_score().eq(key).and(professional_profiles::user_id.lt(id))),
            );
        }
        let rows = query
            .limit(args.fetch())
            .select((ProfileRow::as_select(), rating_score()))
            .load(c)
            .await?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?)
}

/// Why a professional may not take a service request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    /// No such user, or not a FREELANCER.
    NotProfessional,
    /// Blocked, deactivated or deleted.
    Inactive,
    /// Not `VERIFIED`.
    NotVerified,
    /// Does not offer the service.
    ServiceNotOffered,
    /// Does not cover the postal code.
    AreaNotCovered(String),
}

impl Ineligible {
    /// The reason, for the error message.
    pub fn message(&self) -> String {
        match self {
            Ineligible::NotProfessional => "not a professional".into(),
            Ineligible::Inactive => "the professional's account is not active".into(),
            Ineligible::NotVerified => "the professional is not VERIFIED".into(),
            Ineligible::ServiceNotOffered => "the professional does not offer this service".into(),
            Ineligible::AreaNotCovered(code) => {
                format!("the professional does not cover postal code {code}")
            }
        }
    }
}

/// May `professional` take a request for `service` at `postal_code`? `Err(reason)` when not, checked in the order of [`Ineligible`].
pub async fn eligibility(
    conn: &mut Conn,
    professional: UserId,
    service: ServiceId,
    postal_code: &str,
) -> AppResult<Result<(), Ineligible>> {
    let user: Option<UserRow> = with_conn!(conn, |c| {
        users::table
            .find(professional)
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()
    })?;
    let Some(user) = user.filter(|u| u.role == Role::Freelancer) else {
        return Ok(Err(Ineligible::NotProfessional));
    };
    if user.blocked_at.is_some() || user.deactivated_at.is_some() || user.deleted_at.is_some() {
        return Ok(Err(Ineligible::Inactive));
    }
    let verified = find(conn, professional)
        .await?
        .is_some_and(|p| p.verification_status == VerificationStatus::Verified);
    if !verified {
        return Ok(Err(Ineligible::NotVerified));
    }
    let offers = services_of(conn, &[professional])
        .await?
        .iter()
        .any(|(_, s)| *s == service);
    if !offers {
        return Ok(Err(Ineligible::ServiceNotOffered));
    }
    let covers = areas_of(conn, &[professional])
        .await?
        .iter()
        .any(|(_, code)| code == postal_code);
    if !covers {
        return Ok(Err(Ineligible::AreaNotCovered(postal_code.to_owned())));
    }
    Ok(Ok(()))
}
