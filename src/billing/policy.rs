//! Who sees a bill and who may do what with it. A draft is seen by its
//! author and admins; once issued, by its payer and issuer too. Payments
//! are seen by their payer, the bill's issuer and admins.

use super::model::BillRow;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// Narrow a boxed `bills` query to the rows `$viewer` (a `Viewer`) may see.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::billing::model::BillStatus;
        use $crate::db::schema::bills;
        $crate::unless_admin!($query, $viewer, |v| bills::author_id.eq(v.user_id).or(
            bills::status
                .ne(BillStatus::Draft)
                .and(bills::payer_id.eq(v.user_id).or(bills::issuer_id.eq(v.user_id)))
        ))
    }};
}
pub(crate) use visible_to;

/// Narrow a boxed `payments` query to the rows `$viewer` may see: their own, those of bills they issued, all for admins.
macro_rules! payments_visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::{bills, payments};
        $crate::unless_admin!($query, $viewer, |v| payments::payer_id.eq(v.user_id).or(
            payments::bill_id.eq_any(
                bills::table
                    .filter(bills::issuer_id.eq(v.user_id))
                    .select(bills::id)
            )
        ))
    }};
}
pub(crate) use payments_visible_to;

/// What may be done to a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillAction {
    /// Change or delete a draft, issue it, void it (its author or an admin).
    Manage,
    /// Pay it (its payer).
    Pay,
}

/// May `viewer` take `action` on `bill`?
pub fn may(viewer: Option<Viewer>, action: BillAction, bill: &BillRow) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    let allowed = match action {
        BillAction::Manage => viewer.role.is_admin() || bill.author_id == Some(viewer.user_id),
        BillAction::Pay => bill.payer_id == viewer.user_id,
    };
    if allowed {
        Ok(viewer)
    } else if action == BillAction::Pay {
        Err(AppError::forbidden("only the bill's payer pays it"))
    } else {
        Err(AppError::forbidden(
            "only the bill's author or an admin may do this",
        ))
    }
}

/// Draft bills: admins, freelancers (for their contracts) and professionals (for their service requests); clients pay, they do not bill.
pub fn may_draft(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if viewer.role == Role::Client {
        return Err(AppError::forbidden("clients do not issue bills"));
    }
    Ok(viewer)
}

/// Settle bank transfers, refund payments, bill anyone: admins.
pub fn may_administer(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if !viewer.role.is_admin() {
        return Err(AppError::forbidden("only admins may do this"));
    }
    Ok(viewer)
}
