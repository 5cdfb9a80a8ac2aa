//! The permission vocabulary and the built-in roles every workspace starts with. Custom
//! roles carry their own permission lists, drawn from the same vocabulary.

/// (name, description, permissions)
pub const BUILTIN: &[(&str, &str, &[&str])] = &[
    (
        "admin",
        "Full control of the workspace",
        &[
            "users:read",
            "users:write",
            "roles:read",
            "roles:write",
            "sessions:read",
            "sessions:write",
            "apikeys:read",
            "apikeys:write",
            "audit:read",
            "settings:write",
            "sso:write",
            "scim:write",
            "crm:read",
            "crm:write",
        ],
    ),
    (
        "member",
        "Works with CRM data",
        &["users:read", "crm:read", "crm:write"],
    ),
    ("viewer", "Reads CRM data", &["users:read", "crm:read"]),
];

/// Every permission a role may carry.
pub fn known_permissions() -> Vec<&'static str> {
    BUILTIN
        .iter()
        .find(|(name, _, _)| *name == "admin")
        .map(|(_, _, p)| p.to_vec())
        .unwrap_or_default()
}
