//! Built-in roles every tenant starts with. Custom roles carry their own permission lists.

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
