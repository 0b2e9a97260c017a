//! Roles: what a user may do, coarsely.

crate::text_enum! {
    /// What a user may do. Sign-ups choose `CLIENT` or `FREELANCER`; admin roles are granted, never chosen.
    pub enum Role {
        /// Posts projects, requests services, pays bills.
        Client = "CLIENT",
        /// Bids on projects and performs services.
        Freelancer = "FREELANCER",
        /// Runs the back office.
        Admin = "ADMIN",
        /// An admin who may also grant and revoke `ADMIN`.
        SuperAdmin = "SUPER_ADMIN",
    }
}

impl Role {
    /// Is this an admin role (`ADMIN` or `SUPER_ADMIN`)?
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }

    /// May someone sign up with this role?
    pub fn can_self_register(self) -> bool {
        matches!(self, Role::Client | Role::Freelancer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_and_freelancer_self_register() {
        let allowed: Vec<_> = [Role::Client, Role::Freelancer, Role::Admin, Role::SuperAdmin]
            .into_iter()
            .filter(|r| r.can_self_register())
            .collect();
        assert_eq!(allowed, [Role::Client, Role::Freelancer]);
        assert!(Role::SuperAdmin.is_admin() && !Role::Client.is_admin());
    }
}
