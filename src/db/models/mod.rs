//! Queries, one module a table. Functions taking a [`super::TenantTx`] also filter on its
//! tenant, so isolation holds even if a row-level policy were dropped.

pub mod api_keys;
pub mod audit;
pub mod audit_pending;
pub mod ciphertexts;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod domains;
pub mod due_work;
pub mod events;
pub mod expired;
pub mod mfa;
pub mod outbox;
pub mod passkeys;
pub mod person_fields;
pub mod refresh;
pub mod resets;
pub mod resource_servers;
pub mod revocations;
pub mod role_mappings;
pub mod roles;
pub mod scim_store;
pub mod scim_tokens;
pub mod secrets;
pub mod sessions;
pub mod signing_keys;
pub mod sso_connections;
pub mod sso_flow;
pub mod sso_tests;
pub mod tenants;
pub mod users;
