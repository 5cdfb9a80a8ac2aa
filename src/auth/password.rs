//! Password hashing: bcrypt cost 12 over a SHA-256 pre-hash.
//!
//! bcrypt reads at most 72 bytes; the pre-hash (base64 of SHA-256, 44 bytes) lets
//! passwords of any accepted length count in full. Hashing runs on a few dedicated
//! low-priority threads ([`super::hash_pool`]), so a burst of sign-ins cannot starve the
//! async workers.

use super::hash_pool::HashPool;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zeroize::Zeroizing;

pub const BCRYPT_COST: u32 = 12;
pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// The 10,000 most common passwords (zxcvbn's list, see assets/common-passwords.LICENSE).
const COMMON: &str = include_str!("../../assets/common-passwords.txt");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("password is too common; choose another")]
    TooCommon,
    #[error("password must be at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("password hashing failed")]
    Hashing,
}

fn prehash(password: &str) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(Sha256::digest(password.as_bytes())))
}

/// Length between [`MIN_LENGTH`] and [`MAX_LENGTH`] characters, and not one of the common
/// passwords (compared case-insensitively).
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|common| common == lower) {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

/// bcrypt on a bounded pool of hashing threads.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: HashPool,
    cost: u32,
    /// A hash of a random value, checked when there is no real hash (unknown user), so
    /// that answer takes as long as a wrong password.
    dummy: Arc<tokio::sync::OnceCell<String>>,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        Self::with_cost(max_concurrent, BCRYPT_COST)
    }

    /// A lower cost is for benchmarks of surrounding code only.
    pub fn with_cost(max_concurrent: usize, cost: u32) -> Self {
        Self {
            pool: HashPool::new(max_concurrent),
            cost,
            dummy: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is none,
    /// so unknown accounts cost the same time as known ones.
    pub async fn verify_or_dummy(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        match stored {
            Some(hash) => self.verify(password, hash).await,
            None => {
                let dummy = self
                    .dummy
                    .get_or_try_init(|| async {
                        let random = crate::crypto::random::token::<16>();
                        self.hash(&random).await
                    })
                    .await?;
                self.verify(password, dummy).await?;
                Ok(false)
            }
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let pre = prehash(password);
        let cost = self.cost;
        self.pool
            .run(move || bcrypt::hash(pre.as_str(), cost))
            .await
            .map_err(|_| PasswordError::Hashing)?
            .map_err(|_| PasswordError::Hashing)
    }

    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordError> {
        let pre = prehash(password);
        let hash = hash.to_owned();
        self.pool
            .run(move || bcrypt::verify(pre.as_str(), &hash))
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
    fn production_cost_is_12_and_policy_refuses_short_and_common() {
        assert_eq!(PasswordHasher::new(1).cost, 12);
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(check_policy("1qaz2wsx3edc"), Err(PasswordError::TooCommon));
        assert_eq!(check_policy("Q1W2E3R4T5Y6"), Err(PasswordError::TooCommon));
        assert!(check_policy("correct horse battery staple").is_ok());
        assert!(check_policy(&"x".repeat(128)).is_ok());
    }

    #[tokio::test]
    async fn unknown_accounts_are_checked_against_a_dummy_hash() {
        let hasher = PasswordHasher::with_cost(1, 4);
        assert!(!hasher
            .verify_or_dummy("anything at all", None)
            .await
            .unwrap());
        assert!(hasher.dummy.get().is_some(), "the dummy hash was used");
    }
}
