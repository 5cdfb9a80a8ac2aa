//! SCIM 2.0 server (RFC 7643/7644) for identity providers that push people and groups:
//! the published schemas, bearer tokens, filters, PATCH, the user and group stores, the
//! audit of refused writes, and the group→role rules shared with enterprise SSO.

pub mod attrs;
pub mod bearer_tokens;
mod binds;
pub mod error;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod query;
pub mod refusals;
pub mod resource;
pub mod schema;
pub mod sealed_filter;
pub mod session;
pub mod users;
