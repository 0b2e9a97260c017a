//! Who sees the catalogue and who keeps it: everyone sees active services,
//! admins see every service and alone change them.

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};

/// Narrow a boxed `services` query to what `$viewer` (an `Option<Viewer>`) may see: admins every service, others the active ones.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::services;
        let query = $query;
        match $viewer {
            Some(v) if v.role.is_admin() => query,
            _ => query.filter(services::active.eq(true)),
        }
    }};
}
pub(crate) use visible_to;

/// Add, change, deactivate or reactivate a service: admins only.
pub fn may_manage(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if !viewer.role.is_admin() {
        return Err(AppError::forbidden("only admins keep the catalogue"));
    }
    Ok(viewer)
}
