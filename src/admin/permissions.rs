//! The one permission table of the admin actions that both the admin API and the console
//! offer: each action's permissions are declared here once, and both front doors ask
//! [`Principal::require_for`](super::principal::Principal::require_for) with the action.

/// An admin action on a person, as both front doors offer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deed {
    ReadUser,
    /// A person's data export (GDPR Art. 15/20): everything stored about them.
    ExportUser,
    DisableUser,
    EnableUser,
    SetRoles,
    ResetMfa,
    ResetPasskeys,
    SetMfaExemption,
    ReadSessions,
    EndSession,
    ManageClients,
    ManageSso,
    SetMfaRule,
}

/// Every action and the permissions it needs (all of them).
pub const TABLE: &[(Deed, &[&str])] = &[
    (Deed::ReadUser, &["users:read"]),
    (Deed::ExportUser, &["users:read"]),
    (Deed::DisableUser, &["users:write"]),
    (Deed::EnableUser, &["users:write"]),
    (Deed::SetRoles, &["roles:write"]),
    (Deed::ResetMfa, &["users:write"]),
    (Deed::ResetPasskeys, &["users:write"]),
    // An exemption changes the workspace's rule for one account.
    (Deed::SetMfaExemption, &["settings:write", "users:write"]),
    (Deed::ReadSessions, &["sessions:read"]),
    (Deed::EndSession, &["sessions:write"]),
    (Deed::ManageClients, &["settings:write"]),
    (Deed::ManageSso, &["sso:write"]),
    (Deed::SetMfaRule, &["settings:write"]),
];

/// The permissions `deed` needs.
pub fn needs(deed: Deed) -> &'static [&'static str] {
    TABLE.iter().find(|(d, _)| *d == deed).map_or(
        &["settings:write", "users:write", "roles:write"][..],
        |(_, p)| p,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_with_known_permissions() {
        let known = crate::authority::vocabulary::known_permissions();
        let mut seen = std::collections::HashSet::new();
        for (deed, permissions) in TABLE {
            assert!(seen.insert(deed), "{deed:?} twice");
            assert!(!permissions.is_empty(), "{deed:?} needs nothing");
            for p in *permissions {
                assert!(known.contains(p), "{deed:?}: unknown permission {p}");
            }
        }
    }
}
