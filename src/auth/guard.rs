//! Reading the viewer from a resolver's context, and a role guard.

use async_graphql::{Context, Guard};

use super::Viewer;
use crate::auth::Role;
use crate::error::{AppError, AppResult};

/// The viewer of this request, if signed in.
pub fn viewer(ctx: &Context<'_>) -> Option<Viewer> {
    ctx.data_opt::<Option<Viewer>>().copied().flatten()
}

/// The viewer of this request, or `UNAUTHENTICATED`.
pub fn require_viewer(ctx: &Context<'_>) -> AppResult<Viewer> {
    viewer(ctx).ok_or(AppError::Unauthenticated("sign in first"))
}

/// Lets a field run only for signed-in viewers with one of the given roles (`SUPER_ADMIN` passes wherever `ADMIN` does). Guards are not applied through interfaces or flattened fields, so domain functions check ownership themselves too.
pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    /// Any signed-in viewer.
    pub fn signed_in() -> Self {
        RoleGuard { roles: &[] }
    }

    /// Viewers with one of `roles`.
    pub fn any_of(roles: &'static [Role]) -> Self {
        RoleGuard { roles }
    }

    /// Does `role` pass?
    fn admits(&self, role: Role) -> bool {
        self.roles.is_empty()
            || self.roles.contains(&role)
            || (role == Role::SuperAdmin && self.roles.contains(&Role::Admin))
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = require_viewer(ctx)?;
        if self.admits(viewer.role) {
            Ok(())
        } else {
            Err(AppError::forbidden("your role may not do this").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn super_admins_pass_admin_guards() {
        let admin = RoleGuard::any_of(&[Role::Admin]);
        assert!(admin.admits(Role::Admin) && admin.admits(Role::SuperAdmin));
        assert!(!admin.admits(Role::Client) && !admin.admits(Role::Freelancer));
        let freelancer = RoleGuard::any_of(&[Role::Freelancer]);
        assert!(freelancer.admits(Role::Freelancer) && !freelancer.admits(Role::SuperAdmin));
        assert!(RoleGuard::signed_in().admits(Role::Client));
    }
}
