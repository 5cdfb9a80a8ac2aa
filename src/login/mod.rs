//! Browser sign-in as domain code, below `http/` and above `auth`, `mfa`, `passkeys`, `sso`
//! and `oidc`. One entry point for each step a browser takes; each takes `now` and its
//! inputs as values, owns its transactions, and answers an outcome or a [`LoginError`]:
//!
//! - [`begin`]: an authorization request arrives (a session answers, `login_required`, or
//!   the form); [`begin::start`] is its rule.
//! - [`password`]: the password form (or the hand-off to the identity provider).
//! - [`passkey`]: a passwordless sign-in with a passkey.
//! - [`idp_returned`]: the workspace's identity provider answered (SAML or OIDC).
//! - [`first_step::after_first_step`]: after any first factor (password, passkey, identity
//!   provider): a session, the second factor or enrolment; [`first_step::next`] is its
//!   rule.
//! - [`second_factor`]: a code, a passkey, the first code of a new app, or skipping.
//! - [`reauth`]: proving it is you again before changing factors.
//! - [`finish`]: turns any step's outcome into the answer `http/` renders (the
//!   authorization code issued and the redirect built, or a page).
//! - [`logout`]: RP-initiated sign-out.
//!
//! A new factor plugs in as a first step (calling `after_first_step` with its methods) or
//! as an entry point of `second_factor`.

pub mod begin;
pub mod consent;
pub mod finish;
pub mod first_step;
pub mod hand_off;
pub mod idp_returned;
pub mod logout;
pub mod passkey;
pub mod password;
pub mod password_change;
pub mod reauth;
pub mod second_factor;

pub use finish::{finish, Answer};
pub use first_step::{after_first_step, Factors, FirstStep, LoginError, Outcome, Ports};
pub use first_step::{next, Facts, Next};
