//! Signed tokens (JWT): signing keys and their lifecycle, JWT signing, the one validation
//! module every part of the service uses, and the key store that every instance refreshes.

pub mod claims;
pub mod key_check;
pub mod keys;
pub mod keyset;
pub mod keystore;
pub mod rotation;
pub mod sign;
pub mod validate;
pub mod verified;

pub use claims::AccessClaims;
pub use keys::Alg;
pub use keystore::KeyStore;
