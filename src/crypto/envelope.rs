//! Envelope encryption of stored secrets.
//!
//! Each secret gets a fresh 256-bit data key (DEK). The secret is sealed with AES-256-GCM
//! under the DEK; the DEK is sealed (wrapped) under a key-encryption key: the newest platform
//! key (`ev1`, platform data and the workspaces' own KEKs) or the workspace's KEK (`ev2`,
//! everything of a workspace; see `super::tenant_keys`). Both seals carry associated data
//! naming the tenant, table, column and row, so a ciphertext copied to another row, column or
//! tenant fails to open. Stored form (text, dot-separated so SQL can count versions with
//! `split_part`):
//!
//! `ev1.<platform key version>.<b64url(wrap nonce | wrapped DEK)>.<b64url(nonce | ciphertext)>`
//! `ev2.<workspace KEK version>.<…>.<…>`

use super::keyring::Keyring;
use super::random;
use crate::ids::TenantId;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;
use zeroize::Zeroizing;

const FORMAT: &str = "ev1";
/// A data key wrapped by the workspace's KEK.
pub(super) const TENANT_FORMAT: &str = "ev2";
const NONCE_LEN: usize = 12;

/// Where a ciphertext lives; bound into its associated data.
#[derive(Debug, Clone, Copy)]
pub struct SecretContext<'a> {
    pub tenant: TenantId,
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl SecretContext<'_> {
    /// Length-prefixed parts, so no two different contexts encode alike.
    pub(super) fn aad(&self, label: &[u8], version: Option<u32>) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        let tenant = self.tenant.to_string();
        let parts: [&[u8]; 5] = [
            label,
            tenant.as_bytes(),
            self.table.as_bytes(),
            self.column.as_bytes(),
            self.row.as_bytes(),
        ];
        for part in parts {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        if let Some(v) = version {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("stored ciphertext is malformed")]
    Malformed,
    #[error("platform key version {0} is not in the keyring")]
    UnknownVersion(u32),
    /// Wrong context (copied elsewhere), wrong key or tampering: indistinguishable by design.
    #[error("ciphertext does not open in this context")]
    Rejected,
    /// The workspace's key was destroyed (purge): nothing of it opens, nothing is sealed.
    #[error("the workspace's key has been destroyed")]
    KeyDestroyed,
    /// Sealed under a workspace KEK version the keys database does not hold.
    #[error("workspace key version {0} is not in the keys database")]
    UnknownTenantVersion(u32),
}

/// Seals and opens secrets under the platform keyring. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Envelope {
    keyring: Arc<Keyring>,
}

pub(super) struct Parsed {
    /// `ev1` (platform-wrapped DEK) or `ev2` (workspace-wrapped).
    pub(super) tenant_wrapped: bool,
    pub(super) version: u32,
    pub(super) wrapped: Vec<u8>,
    pub(super) sealed: Vec<u8>,
}

pub(super) fn parse(stored: &str) -> Result<Parsed, EnvelopeError> {
    let mut parts = stored.split('.');
    let (Some(format), Some(version), Some(wrapped), Some(sealed), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(EnvelopeError::Malformed);
    };
    let tenant_wrapped = match format {
        FORMAT => false,
        TENANT_FORMAT => true,
        _ => return Err(EnvelopeError::Malformed),
    };
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| EnvelopeError::Malformed)
    };
    let parsed = Parsed {
        tenant_wrapped,
        version: version.parse().map_err(|_| EnvelopeError::Malformed)?,
        wrapped: decode(wrapped)?,
        sealed: decode(sealed)?,
    };
    if parsed.wrapped.len() <= NONCE_LEN || parsed.sealed.len() <= NONCE_LEN {
        return Err(EnvelopeError::Malformed);
    }
    Ok(parsed)
}

pub(super) fn seal_with(key: &[u8; 32], msg: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = random::bytes::<NONCE_LEN>();
    let cipher = Aes256Gcm::new(key.into());
    // AES-GCM encryption only fails for inputs beyond 64 GiB.
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

pub(super) fn open_with(
    key: &[u8; 32],
    data: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let (nonce, ct) = data.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Rejected)
}

/// An opened key: exactly 32 bytes, or the stored value was not one.
pub(super) fn key_from(raw: &[u8]) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
    let mut key = Zeroizing::new([0u8; 32]);
    if raw.len() != 32 {
        return Err(EnvelopeError::Malformed);
    }
    key.copy_from_slice(raw);
    Ok(key)
}

impl Envelope {
    pub fn new(keyring: Keyring) -> Self {
        Self {
            keyring: Arc::new(keyring),
        }
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The platform key version a stored value is wrapped under, if it parses as `ev1`.
    pub fn version_of(stored: &str) -> Option<u32> {
        parse(stored)
            .ok()
            .filter(|p| !p.tenant_wrapped)
            .map(|p| p.version)
    }

    pub fn seal(&self, ctx: &SecretContext<'_>, plaintext: &[u8]) -> String {
        let version = self.keyring.current_version();
        let dek = Zeroizing::new(random::bytes::<32>());
        let sealed = seal_with(&dek, plaintext, &ctx.aad(b"data", None));
        self.encode(ctx, version, &dek, &sealed)
    }

    fn encode(
        &self,
        ctx: &SecretContext<'_>,
        version: u32,
        dek: &[u8; 32],
        sealed: &[u8],
    ) -> String {
        let kek = self.keyring.key(version);
        let wrapped = kek
            .map(|kek| seal_with(kek, dek, &ctx.aad(b"dek", Some(version))))
            .unwrap_or_default();
        format!(
            "{FORMAT}.{version}.{}.{}",
            URL_SAFE_NO_PAD.encode(wrapped),
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    fn unwrap_dek(
        &self,
        ctx: &SecretContext<'_>,
        p: &Parsed,
    ) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
        if p.tenant_wrapped {
            // Only the workspace's sealer holds the key for this.
            return Err(EnvelopeError::Rejected);
        }
        let kek = self
            .keyring
            .key(p.version)
            .ok_or(EnvelopeError::UnknownVersion(p.version))?;
        key_from(&open_with(
            kek,
            &p.wrapped,
            &ctx.aad(b"dek", Some(p.version)),
        )?)
    }

    pub fn open(
        &self,
        ctx: &SecretContext<'_>,
        stored: &str,
    ) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let p = parse(stored)?;
        let dek = self.unwrap_dek(ctx, &p)?;
        open_with(&dek, &p.sealed, &ctx.aad(b"data", None))
    }

    /// Re-wraps the data key under the current platform key; the sealed secret itself is
    /// untouched. `None` when it already is under the current version.
    pub fn rewrap(
        &self,
        ctx: &SecretContext<'_>,
        stored: &str,
    ) -> Result<Option<String>, EnvelopeError> {
        let p = parse(stored)?;
        let current = self.keyring.current_version();
        if !p.tenant_wrapped && p.version == current {
            return Ok(None);
        }
        let dek = self.unwrap_dek(ctx, &p)?;
        // Prove the data still opens before replacing anything.
        open_with(&dek, &p.sealed, &ctx.aad(b"data", None))?;
        Ok(Some(self.encode(ctx, current, &dek, &p.sealed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(row: &str) -> SecretContext<'_> {
        SecretContext {
            tenant: TenantId(uuid::Uuid::from_u128(1)),
            table: "tenant_secrets",
            column: "value_enc",
            row,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let env = Envelope::new(Keyring::from_keys([(1, [7u8; 32])]));
        let stored = env.seal(&ctx("a"), b"seed");
        assert!(stored.starts_with("ev1.1."));
        assert_eq!(&**env.open(&ctx("a"), &stored).unwrap(), b"seed");
        assert_eq!(
            env.open(&ctx("b"), &stored).unwrap_err(),
            EnvelopeError::Rejected
        );
        let mut other_tenant = ctx("a");
        other_tenant.tenant = TenantId(uuid::Uuid::from_u128(2));
        assert_eq!(
            env.open(&other_tenant, &stored).unwrap_err(),
            EnvelopeError::Rejected
        );
        let mut other_column = ctx("a");
        other_column.column = "other";
        assert_eq!(
            env.open(&other_column, &stored).unwrap_err(),
            EnvelopeError::Rejected
        );
        let mut flipped = stored.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert!(env.open(&ctx("a"), &flipped).is_err());
        assert_eq!(
            env.open(&ctx("a"), "ev1.1.x").unwrap_err(),
            EnvelopeError::Malformed
        );
    }

    #[test]
    fn rewrap_moves_to_newest_key_and_old_key_can_go() {
        let old = Envelope::new(Keyring::from_keys([(1, [1u8; 32])]));
        let stored = old.seal(&ctx("r"), b"secret");
        let both = Envelope::new(Keyring::from_keys([(1, [1u8; 32]), (2, [2u8; 32])]));
        let moved = both.rewrap(&ctx("r"), &stored).unwrap().unwrap();
        assert_eq!(Envelope::version_of(&moved), Some(2));
        assert_eq!(both.rewrap(&ctx("r"), &moved).unwrap(), None);
        let new_only = Envelope::new(Keyring::from_keys([(2, [2u8; 32])]));
        assert_eq!(&**new_only.open(&ctx("r"), &moved).unwrap(), b"secret");
        assert_eq!(
            new_only.open(&ctx("r"), &stored).unwrap_err(),
            EnvelopeError::UnknownVersion(1)
        );
    }
}
