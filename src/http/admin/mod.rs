//! Admin API handlers under `/admin/v1`: authenticate and authorise on the first line
//! through [`crate::admin::principal::Principal`], call one domain function, map the result.
//! The tenant is always the principal's: another tenant's ids are simply not found (404).

pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod mfa;
pub mod role_mappings;
pub mod roles;
pub mod scim_tokens;
pub mod sso;
pub mod users;
