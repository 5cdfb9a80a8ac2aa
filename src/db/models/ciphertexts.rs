//! Generic access to every envelope-encrypted column, for key rotation and its status.
//! Identifiers come from the static [`ENCRYPTED_COLUMNS`] registry, never from input.

use crate::db::{DbError, TenantTx};
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

/// A column holding envelope ciphertexts in a tenant table.
#[derive(Debug, Clone, Copy)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// Column whose text form is the `row` of the ciphertext's associated data.
    pub row_key: &'static str,
}

/// Every encrypted column. A new one is registered here so rotation and status cover it.
pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[EncryptedColumn {
    table: super::secrets::TABLE,
    column: super::secrets::COLUMN,
    row_key: "name",
}];

#[derive(QueryableByName)]
struct VersionCount {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
pub struct StoredCiphertext {
    #[diesel(sql_type = Text)]
    pub row_key: String,
    #[diesel(sql_type = Text)]
    pub value: String,
}

/// (platform key version, number of ciphertexts) in this tenant for `col`.
pub async fn count_by_version(
    tx: &mut TenantTx,
    col: &EncryptedColumn,
) -> Result<Vec<(String, i64)>, DbError> {
    let sql = format!(
        "SELECT split_part({c}, '.', 2) AS version, count(*) AS n FROM {t} \
         WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1",
        c = col.column,
        t = col.table
    );
    let tenant = tx.tenant().0;
    let rows: Vec<VersionCount> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(tenant)
        .load(tx.conn()?)
        .await?;
    Ok(rows.into_iter().map(|r| (r.version, r.n)).collect())
}

/// Up to `limit` ciphertexts not yet under `version`.
pub async fn not_under_version(
    tx: &mut TenantTx,
    col: &EncryptedColumn,
    version: u32,
    limit: i64,
) -> Result<Vec<StoredCiphertext>, DbError> {
    let sql = format!(
        "SELECT {k}::text AS row_key, {c} AS value FROM {t} \
         WHERE tenant_id = $1 AND split_part({c}, '.', 2) <> $2 ORDER BY {k} LIMIT $3",
        k = col.row_key,
        c = col.column,
        t = col.table
    );
    let tenant = tx.tenant().0;
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(tenant)
        .bind::<Text, _>(version.to_string())
        .bind::<BigInt, _>(limit)
        .load(tx.conn()?)
        .await?)
}

/// Compare-and-swap: replaces the value only if nobody changed it meanwhile, so rotation is
/// safe while the service writes. Returns whether the row was replaced.
pub async fn replace(
    tx: &mut TenantTx,
    col: &EncryptedColumn,
    row: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let sql = format!(
        "UPDATE {t} SET {c} = $4 WHERE tenant_id = $1 AND {k}::text = $2 AND {c} = $3",
        k = col.row_key,
        c = col.column,
        t = col.table
    );
    let tenant = tx.tenant().0;
    let n = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(tenant)
        .bind::<Text, _>(row)
        .bind::<Text, _>(old)
        .bind::<Text, _>(new)
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}
