//! One workspace's keys for personal data, as model functions use them: they seal a person's
//! fields on write, open them on read and compute blind indexes for lookups, so callers only
//! ever see clear values. How is the crypto layer's ([`FieldCipher`]).

pub use super::field_cipher::{Field, FieldCipher};
use super::kek_store::{self, StoredKek};
use super::{DbError, TenantTx};
use crate::ids::TenantId;
use std::sync::Arc;

/// One workspace's keys for personal data, loaded once per use.
pub struct PersonalKeys {
    cipher: Arc<dyn FieldCipher>,
    tenant: TenantId,
    keks: Arc<Vec<StoredKek>>,
}

impl PersonalKeys {
    /// The keys of `tx`'s workspace (its first KEK made on first use).
    pub async fn of(tx: &TenantTx) -> Result<Self, DbError> {
        let cipher = tx.field_cipher()?;
        let tenant = tx.tenant();
        if tenant == TenantId::PLATFORM {
            return Err(DbError::Sealed("the platform holds no people".into()));
        }
        let keks = kek_store::of_tenant_or_first(tx, || cipher.new_kek(tenant, 1)).await?;
        Ok(Self {
            cipher,
            tenant,
            keks,
        })
    }

    /// Keys over KEKs already at hand (benchmarks; requests use [`PersonalKeys::of`]).
    pub fn over(cipher: Arc<dyn FieldCipher>, tenant: TenantId, keks: Arc<Vec<StoredKek>>) -> Self {
        Self {
            cipher,
            tenant,
            keks,
        }
    }

    fn field<'a>(&self, table: &'static str, column: &'static str, row: &'a str) -> Field<'a> {
        Field {
            tenant: self.tenant,
            table,
            column,
            row,
        }
    }

    pub fn seal(
        &self,
        table: &'static str,
        column: &'static str,
        row: &str,
        clear: &str,
    ) -> Result<String, DbError> {
        self.cipher
            .seal(&self.keks, &self.field(table, column, row), clear)
    }

    pub fn open(
        &self,
        table: &'static str,
        column: &'static str,
        row: &str,
        stored: &str,
    ) -> Result<String, DbError> {
        self.cipher
            .open(&self.keks, &self.field(table, column, row), stored)
    }

    /// The blind index of an already normalised value for `purpose` (`email`, `userName`…).
    pub fn index(&self, purpose: &str, normalized: &str) -> Result<String, DbError> {
        self.cipher
            .blind_index(&self.keks, self.tenant, purpose, normalized)
    }
}
