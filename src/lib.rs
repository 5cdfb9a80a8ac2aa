//! Identity service of the multi-tenant CRM platform: library behind the `identity` binary.

pub mod admin;
pub mod apikeys;
pub mod audit;
pub mod auth;
pub mod authority;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod ids;
pub mod jwt;
pub mod login;
pub mod mail;
pub mod mfa;
pub mod oidc;
pub mod passkeys;
pub mod ratelimit;
pub mod scim;
pub mod sso;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod tls;
