//! Authentication of people: passwords, sign-in, sessions, resets and workspace domains.

pub mod cutoff;
pub mod domains;
pub mod hash_pool;
pub mod home_realm;
pub mod password;
pub mod reset;
pub mod sessions;
pub mod signin;
