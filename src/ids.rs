//! Typed identifiers, so a tenant id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A workspace (tenant).
    TenantId
);
id_type!(
    /// A person inside one tenant.
    UserId
);
id_type!(
    /// A role inside one tenant.
    RoleId
);

impl TenantId {
    /// The reserved tenant whose audit chain records platform-wide actions
    /// (key rotation, encryption re-wrapping). It is never a workspace.
    pub const PLATFORM: TenantId = TenantId(Uuid::nil());
}
