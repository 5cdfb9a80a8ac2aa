//! Workspace administration: tenant bootstrap and built-in roles (admin API comes later).

pub mod act;
pub mod audit_export;
pub mod audit_recent;
pub mod bootstrap;
pub mod client_actions;
pub mod encryption_rotation;
pub mod key_actions;
pub mod permissions;
pub mod person_erasure;
pub mod person_export;
pub mod personal_data_sealing;
pub mod principal;
pub mod purge_proof;
pub mod role_mappings;
pub mod roles;
pub mod tenant_lifecycle;
pub mod tenant_status;
pub mod user_actions;
pub mod users;
