//! Password hashing: bcrypt cost 12 over a SHA-256 pre-hash.
//!
//! bcrypt reads at most 72 bytes; the pre-hash (base64 of SHA-256, 44 bytes) lets
//! passwords of any accepted length count in full. Hashing runs on the blocking pool behind
//! a semaphore, so a burst of sign-ins cannot starve the async workers or each other.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

pub const BCRYPT_COST: u32 = 12;
pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("password must be at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("password hashing failed")]
    Hashing,
}

fn prehash(password: &str) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(Sha256::digest(password.as_bytes())))
}

/// Length rules (more rules arrive with the sign-in pages).
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Bounded access to bcrypt on the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    cost: u32,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        Self::with_cost(max_concurrent, BCRYPT_COST)
    }

    /// A lower cost is for benchmarks of surrounding code only.
    pub fn with_cost(max_concurrent: usize, cost: u32) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            cost,
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Hashing)?;
        let pre = prehash(password);
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(pre.as_str(), cost))
            .await
            .map_err(|_| PasswordError::Hashing)?
            .map_err(|_| PasswordError::Hashing)
    }

    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Hashing)?;
        let pre = prehash(password);
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || bcrypt::verify(pre.as_str(), &hash))
            .await
            .map_err(|_| PasswordError::Hashing)?
            .map_err(|_| PasswordError::Hashing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_past_72_still_count() {
        let hasher = PasswordHasher::with_cost(2, 4);
        let base = "a".repeat(100);
        let h = hasher.hash(&format!("{base}X")).await.unwrap();
        assert!(hasher.verify(&format!("{base}X"), &h).await.unwrap());
        assert!(!hasher.verify(&format!("{base}Y"), &h).await.unwrap());
    }

    #[test]
    fn production_cost_is_12() {
        assert_eq!(PasswordHasher::new(1).cost, 12);
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert!(check_policy(&"x".repeat(128)).is_ok());
    }
}
