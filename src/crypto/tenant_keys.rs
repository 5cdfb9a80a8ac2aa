//! Per-workspace key-encryption keys (KEKs). Every ciphertext of a workspace has its data key
//! wrapped by the workspace's KEK (`ev2`); the KEK is wrapped by the platform key and kept in
//! the keys database (`db::kek_store`), apart from the data. Platform rotation re-wraps only
//! the small KEKs; destroying a workspace's KEKs (purge) leaves every ciphertext of it, in
//! the database and in every backup of it, unopenable.
//!
//! The platform's own chain (`TenantId::PLATFORM`) has no KEK: its values stay `ev1`.

use super::envelope::{
    key_from, open_with, parse, seal_with, Envelope, EnvelopeError, SecretContext, TENANT_FORMAT,
};
use super::random;
use crate::db::kek_store::{self, StoredKek};
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where a KEK's platform wrapping lives; bound into its associated data.
fn kek_context(tenant: TenantId, version: &str) -> SecretContext<'_> {
    SecretContext {
        tenant,
        table: "tenant_keys",
        column: "wrapped",
        row: version,
    }
}

/// A fresh KEK for `tenant`, wrapped under the current platform key.
pub fn new_wrapped_kek(envelope: &Envelope, tenant: TenantId, version: i32) -> String {
    let kek = Zeroizing::new(random::bytes::<32>());
    envelope.seal(&kek_context(tenant, &version.to_string()), &*kek)
}

/// A KEK re-wrapped under the current platform key (`None`: already is).
pub fn rewrap_kek(
    envelope: &Envelope,
    tenant: TenantId,
    version: i32,
    wrapped: &str,
) -> Result<Option<String>, EnvelopeError> {
    envelope.rewrap(&kek_context(tenant, &version.to_string()), wrapped)
}

/// Seals and opens one workspace's values. Made per use by [`Envelope::for_tenant`].
pub struct Sealer<'a> {
    envelope: &'a Envelope,
    tenant: TenantId,
    keks: Arc<Vec<StoredKek>>,
}

impl Envelope {
    /// The sealer of `tx`'s workspace. Its first KEK is made here on first use (any instance
    /// may race: one insert wins, all read it back).
    pub async fn for_tenant(&self, tx: &TenantTx) -> Result<Sealer<'_>, DbError> {
        let tenant = tx.tenant();
        if tenant == TenantId::PLATFORM {
            return Ok(self.platform_sealer());
        }
        let keks = kek_store::of_tenant_or_first(tx, || new_wrapped_kek(self, tenant, 1)).await?;
        Ok(Sealer {
            envelope: self,
            tenant,
            keks,
        })
    }

    /// The sealer of `tenant` over KEKs already loaded (at least one).
    pub fn sealer_over(&self, tenant: TenantId, keks: Arc<Vec<StoredKek>>) -> Sealer<'_> {
        Sealer {
            envelope: self,
            tenant,
            keks,
        }
    }

    /// The platform chain's sealer: `ev1` under the platform key.
    pub fn platform_sealer(&self) -> Sealer<'_> {
        Sealer {
            envelope: self,
            tenant: TenantId::PLATFORM,
            keks: Arc::new(Vec::new()),
        }
    }
}

impl Sealer<'_> {
    /// The KEK version that seals (the newest), or `None` for the platform.
    pub fn current_version(&self) -> Option<u32> {
        self.keks.last().map(|k| k.version.unsigned_abs())
    }

    fn kek(&self, version: u32) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
        let row = self
            .keks
            .iter()
            .find(|k| k.version.unsigned_abs() == version)
            .ok_or(EnvelopeError::UnknownTenantVersion(version))?;
        let wrapped = row.wrapped.as_deref().ok_or(EnvelopeError::KeyDestroyed)?;
        let raw = self
            .envelope
            .open(&kek_context(self.tenant, &version.to_string()), wrapped)?;
        key_from(&raw)
    }

    /// The workspace's blind-index key: derived from its first KEK (HMAC-SHA-256 as a KDF,
    /// with a label of its own), so it survives KEK rotation and dies with the purge.
    pub fn index_key(&self) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let kek = self.kek(1)?;
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &*kek);
        let mut label = b"identity/blind-index/v1/".to_vec();
        label.extend_from_slice(self.tenant.0.as_bytes());
        Ok(Zeroizing::new(
            aws_lc_rs::hmac::sign(&key, &label).as_ref().to_vec(),
        ))
    }

    fn check(&self, ctx: &SecretContext<'_>) -> Result<(), EnvelopeError> {
        // A context naming another workspace would seal its data under this one's key.
        if ctx.tenant == self.tenant {
            Ok(())
        } else {
            Err(EnvelopeError::Rejected)
        }
    }

    /// Seals under the workspace's newest KEK (the platform key for the platform).
    pub fn seal(&self, ctx: &SecretContext<'_>, plaintext: &[u8]) -> Result<String, EnvelopeError> {
        self.check(ctx)?;
        let Some(version) = self.current_version() else {
            return Ok(self.envelope.seal(ctx, plaintext));
        };
        let kek = self.kek(version)?;
        let dek = Zeroizing::new(random::bytes::<32>());
        let sealed = seal_with(&dek, plaintext, &ctx.aad(b"data", None));
        let wrapped = seal_with(&kek, &*dek, &ctx.aad(b"tenant-dek", Some(version)));
        Ok(format!(
            "{TENANT_FORMAT}.{version}.{}.{}",
            URL_SAFE_NO_PAD.encode(wrapped),
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Opens a value of this workspace: `ev2` under its KEK, or `ev1` written before the
    /// workspace had one (until migrated by `identity encryption rotate`).
    pub fn open(
        &self,
        ctx: &SecretContext<'_>,
        stored: &str,
    ) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        self.check(ctx)?;
        let p = parse(stored)?;
        if !p.tenant_wrapped {
            return self.envelope.open(ctx, stored);
        }
        if self.tenant == TenantId::PLATFORM {
            return Err(EnvelopeError::Rejected);
        }
        let kek = self.kek(p.version)?;
        let dek = key_from(&open_with(
            &kek,
            &p.wrapped,
            &ctx.aad(b"tenant-dek", Some(p.version)),
        )?)?;
        open_with(&dek, &p.sealed, &ctx.aad(b"data", None))
    }

    /// The value sealed again under the newest KEK (`None`: it already is). For the platform,
    /// a re-wrap under the newest platform key.
    pub fn reseal(
        &self,
        ctx: &SecretContext<'_>,
        stored: &str,
    ) -> Result<Option<String>, EnvelopeError> {
        let Some(current) = self.current_version() else {
            return self.envelope.rewrap(ctx, stored);
        };
        let p = parse(stored)?;
        if p.tenant_wrapped && p.version == current {
            return Ok(None);
        }
        let clear = self.open(ctx, stored)?;
        self.seal(ctx, &clear).map(Some)
    }

    /// The stored prefix (`ev2.<v>` or `ev1.<v>`) that every value is moved to by rotation.
    pub fn current_prefix(&self) -> String {
        match self.current_version() {
            Some(v) => format!("{TENANT_FORMAT}.{v}"),
            None => format!("ev1.{}", self.envelope.keyring().current_version()),
        }
    }
}
