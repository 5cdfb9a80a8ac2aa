//! Browser sign-in as domain code, below `http/` and above `auth`, `mfa` and `oidc`: what
//! comes after each step a browser takes, decided here without HTTP. Today: the step after a
//! first factor (password, or an identity provider's answer) and for a signed-in browser
//! whose session does not meet a request ([`next`] decides, [`first_step`] carries it out).

pub mod begin;
pub mod code;
pub mod first_step;
pub mod next;
pub mod passkey;
pub mod password;
pub mod reauth;
pub mod second_factor;

pub use first_step::{after_first_step, Factors, FirstStep, LoginError, Outcome, Ports};
pub use next::{next, Facts, Next};

/// The person signing in, as stored.
pub use crate::db::models::users::User;
