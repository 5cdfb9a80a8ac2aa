//! Queries, one module a table. Functions taking a [`super::TenantTx`] also filter on its
//! tenant, so isolation holds even if a row-level policy were dropped.

pub mod audit;
pub mod ciphertexts;
pub mod roles;
pub mod secrets;
pub mod tenants;
pub mod users;
