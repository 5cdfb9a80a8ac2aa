//! The contract for sealing personal data that the store needs and the crypto layer fulfils:
//! the store sits below crypto, so it holds the contract, not the implementation, and the
//! service hands an implementation to [`super::Db::with_cipher`].

use super::kek_rows::StoredKek;
use super::DbError;
use crate::ids::TenantId;
use std::sync::Arc;

/// Where a sealed value lives; bound into its associated data.
pub struct Field<'a> {
    pub tenant: TenantId,
    pub table: &'static str,
    pub column: &'static str,
    pub row: &'a str,
}

/// Seals, opens and blind-indexes one workspace's values under its keys.
pub trait FieldCipher: Send + Sync {
    /// A new key-encryption key for `tenant`, wrapped under the platform key.
    fn new_kek(&self, tenant: TenantId, version: i32) -> String;
    fn seal(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        field: &Field<'_>,
        clear: &str,
    ) -> Result<String, DbError>;
    fn open(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        field: &Field<'_>,
        stored: &str,
    ) -> Result<String, DbError>;
    /// HMAC-SHA-256 of `purpose` and `normalized` under `tenant`'s index key.
    fn blind_index(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        tenant: TenantId,
        purpose: &str,
        normalized: &str,
    ) -> Result<String, DbError>;
}
