//! Database access. Tenant data is reached only through [`TenantTx`], platform data only
//! through [`PlatformTx`]; raw connections never leave this module.

mod audit_queue;
mod driver;
pub mod feed;
mod field_cipher;
mod kek_rows;
pub mod kek_store;
pub mod memory;
pub mod migrate;
pub mod models;
pub mod personal_keys;
mod pool;
mod prepared;
pub mod schema;
pub mod target;
mod tenant;

pub use audit_queue::{AuditQueue, WeakAuditQueue};
pub use pool::{Db, PoolSettings};
pub use tenant::{Entry, PlatformTx, TenantTx};

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The pool could not hand out a connection in time, or the server is unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("row not found")]
    NotFound,
    /// A uniqueness or reference rule refused the change; the text is safe for clients.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The workspace is suspended or cancelled: nothing of it may be entered.
    #[error("the workspace is not active")]
    TenantNotActive,
    #[error("query failed: {0}")]
    Query(DieselError),
    /// A stored personal field could not be sealed or opened (its key is gone or wrong).
    #[error("sealed field: {0}")]
    Sealed(String),
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                DbError::Conflict(conflict_text(info.constraint_name()))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                DbError::Unavailable("connection closed".into())
            }
            // Raised by identity_enter_tenant (migration 000016).
            DieselError::DatabaseError(_, ref info) if info.message() == "tenant_not_active" => {
                DbError::TenantNotActive
            }
            other => DbError::Query(other),
        }
    }
}

/// Client-facing text for a unique constraint; never the offending value.
fn conflict_text(constraint: Option<&str>) -> &'static str {
    match constraint {
        Some("tenants_slug_key") => "a workspace with this slug already exists",
        Some("users_tenant_email_lookup" | "users_tenant_email_index") => {
            "a user with this email already exists"
        }
        Some("roles_tenant_id_name_key") => "a role with this name already exists",
        Some("users_tenant_user_name_lookup" | "users_tenant_user_name_index") => {
            "a user with this userName (or email) already exists"
        }
        Some("scim_groups_name") => "a group with this displayName already exists",
        Some("role_mappings_tenant_id_group_name_role_id_key" | "role_mappings_rule_unique") => {
            "this rule already exists"
        }
        Some("sso_connection_domains_pkey") => "another connection already serves this domain",
        _ => "the resource already exists",
    }
}
