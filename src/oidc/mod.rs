//! The OAuth 2.0 / OpenID provider side: clients, the token endpoint's grants,
//! introspection and revocation.

pub mod authorize;
pub mod client_audiences;
pub mod client_auth;
pub mod client_changes;
pub mod client_lookup;
pub mod clients;
pub mod codes;
pub mod consent;
pub mod console_client;
pub mod error;
pub mod honour;
pub mod introspect;
pub mod person_grants;
pub mod refresh;
pub mod resources;
pub mod service_grants;
pub mod userinfo;
