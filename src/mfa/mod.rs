//! Multi-factor authentication: TOTP and recovery codes, the workspace's MFA rule, and the
//! sign-in step between the password and the session.

pub mod account;
pub mod enforcement;
pub mod factors;
pub mod pending;
pub mod policy;
pub mod recovery;
pub mod totp;

/// How long a password (plus factor) counts as fresh for changing one's factors, and how
/// long a sign-in waits for its second factor.
pub const FRESH_SECS: i64 = 300;
