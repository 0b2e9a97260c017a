//! Where a request comes from.

/// Who is asking and from where, as recorded on new sessions and in the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The peer address.
    pub ip: Option<String>,
    /// The `User-Agent` header, cut to 512 characters.
    pub user_agent: Option<String>,
}
