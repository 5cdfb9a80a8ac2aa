//! Authentication of people: password hashing now; sign-in flow and sessions come later.

pub mod password;
pub mod reset;
pub mod sessions;
pub mod signin;
