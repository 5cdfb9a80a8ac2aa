//! Cryptographic building blocks: versioned platform keys, envelope encryption under them and
//! under each workspace's own key, randomness.

pub mod envelope;
pub mod keyring;
mod personal_cipher;
pub mod random;
pub mod tenant_keys;
pub mod tenant_token;

pub use envelope::{Envelope, EnvelopeError, SecretContext};
pub use keyring::{Keyring, KEYRING_ENV};
pub use tenant_keys::Sealer;
