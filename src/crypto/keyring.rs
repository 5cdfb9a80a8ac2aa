//! Versioned 256-bit platform keys (key-encryption keys) from `IDENTITY_PLATFORM_ENCRYPTION_KEY`.
//!
//! Format: comma-separated `VERSION:BASE64KEY` pairs, e.g. `2:q83v...=,1:Zm9v...=`, where
//! VERSION is a positive integer and the key is 32 bytes in standard base64. The highest
//! version seals new data keys; the others only open existing ones until rotation is done.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

pub const KEYRING_ENV: &str = "IDENTITY_PLATFORM_ENCRYPTION_KEY";

pub struct Keyring {
    keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Versions only, never key material.
        f.debug_struct("Keyring")
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("{KEYRING_ENV} is not set")]
    Missing,
    #[error("{KEYRING_ENV}: entry {0} is not VERSION:BASE64KEY")]
    Malformed(usize),
    #[error("{KEYRING_ENV}: entry {0} has a version that is not a positive integer")]
    BadVersion(usize),
    #[error("{KEYRING_ENV}: entry {0} is not 32 bytes of standard base64")]
    BadKey(usize),
    #[error("{KEYRING_ENV}: version {0} appears twice")]
    Duplicate(u32),
}

impl Keyring {
    pub fn from_env() -> Result<Self, KeyringError> {
        let raw = Zeroizing::new(std::env::var(KEYRING_ENV).map_err(|_| KeyringError::Missing)?);
        Self::parse(&raw)
    }

    pub fn parse(raw: &str) -> Result<Self, KeyringError> {
        let mut keys = BTreeMap::new();
        for (i, entry) in raw
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (version, key) = entry
                .split_once(':')
                .ok_or(KeyringError::Malformed(i + 1))?;
            let version: u32 = version
                .trim()
                .trim_start_matches('v')
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or(KeyringError::BadVersion(i + 1))?;
            let decoded = Zeroizing::new(
                STANDARD
                    .decode(key.trim())
                    .map_err(|_| KeyringError::BadKey(i + 1))?,
            );
            let mut material = Zeroizing::new([0u8; 32]);
            if decoded.len() != 32 {
                return Err(KeyringError::BadKey(i + 1));
            }
            material.copy_from_slice(&decoded);
            if keys.insert(version, material).is_some() {
                return Err(KeyringError::Duplicate(version));
            }
        }
        if keys.is_empty() {
            return Err(KeyringError::Missing);
        }
        Ok(Self { keys })
    }

    /// A keyring from raw keys, for tests and benchmarks.
    pub fn from_keys(keys: impl IntoIterator<Item = (u32, [u8; 32])>) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|(v, k)| (v, Zeroizing::new(k)))
                .collect(),
        }
    }

    /// The version that seals new data keys.
    pub fn current_version(&self) -> u32 {
        self.keys.keys().next_back().copied().unwrap_or(0)
    }

    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    pub(crate) fn key(&self, version: u32) -> Option<&[u8; 32]> {
        self.keys.get(&version).map(|k| &**k)
    }

    /// A fresh key in the env format, for `identity encryption new-key`.
    pub fn generate_entry(version: u32) -> String {
        format!(
            "{version}:{}",
            STANDARD.encode(super::random::bytes::<32>())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_is_current() {
        let raw = format!(
            "{},{}",
            Keyring::generate_entry(1),
            Keyring::generate_entry(7)
        );
        let k = Keyring::parse(&raw).unwrap();
        assert_eq!(k.current_version(), 7);
        assert_eq!(k.versions().collect::<Vec<_>>(), vec![1, 7]);
    }

    #[test]
    fn bad_entries_are_named_without_echoing_key_material() {
        assert_eq!(
            Keyring::parse("1:c2hvcnQ=").unwrap_err(),
            KeyringError::BadKey(1)
        );
        assert_eq!(
            Keyring::parse("zero:abc").unwrap_err(),
            KeyringError::BadVersion(1)
        );
        assert_eq!(
            Keyring::parse("0:abc").unwrap_err(),
            KeyringError::BadVersion(1)
        );
        assert_eq!(
            Keyring::parse("nocolon").unwrap_err(),
            KeyringError::Malformed(1)
        );
        assert_eq!(Keyring::parse("").unwrap_err(), KeyringError::Missing);
        let e = Keyring::generate_entry(3);
        assert_eq!(
            Keyring::parse(&format!("{e},{e}")).unwrap_err(),
            KeyringError::Duplicate(3)
        );
        let dbg = format!("{:?}", Keyring::parse(&e).unwrap());
        assert!(!dbg.contains(e.split(':').nth(1).unwrap()), "{dbg}");
    }
}
