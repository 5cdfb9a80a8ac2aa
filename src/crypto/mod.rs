//! Cryptographic building blocks: versioned platform keys, envelope encryption, randomness
//! and the re-wrapping of stored ciphertexts when the platform key rotates.

pub mod envelope;
pub mod keyring;
pub mod random;
pub mod tenant_token;

pub use envelope::{Envelope, SecretContext};
pub use keyring::{Keyring, KEYRING_ENV};
