//! Generic access to every envelope-encrypted column, for key rotation and its status.
//! Identifiers come from the static [`ENCRYPTED_COLUMNS`] registry, never from input.

use crate::db::{DbError, PlatformTx, TenantTx};
use crate::ids::TenantId;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Whether a column lives in a tenant table (under row-level security) or a platform table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Tenant,
    Platform,
}

/// A column holding envelope ciphertexts.
#[derive(Debug, Clone, Copy)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// Column whose text form is the `row` of the ciphertext's associated data.
    pub row_key: &'static str,
    pub scope: Scope,
}

/// A sealed personal field of `users` (`super::person_fields`).
const fn person(column: &'static str) -> EncryptedColumn {
    EncryptedColumn {
        table: super::person_fields::TABLE,
        column,
        row_key: "id",
        scope: Scope::Tenant,
    }
}

/// Every encrypted column. A new one is registered here so rotation and status cover it.
pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[
    EncryptedColumn {
        table: super::secrets::TABLE,
        column: super::secrets::COLUMN,
        row_key: "name",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::outbox::TABLE,
        column: super::outbox::RECIPIENT_COLUMN,
        row_key: "id",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::outbox::TABLE,
        column: super::outbox::BODY_COLUMN,
        row_key: "id",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::mfa::TOTP_TABLE,
        column: super::mfa::TOTP_COLUMN,
        row_key: "user_id",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::sso_connections::SECRETS_TABLE,
        column: super::sso_connections::SECRETS_COLUMN,
        row_key: "id",
        scope: Scope::Tenant,
    },
    person(super::person_fields::EMAIL),
    person(super::person_fields::DISPLAY_NAME),
    person(super::person_fields::USER_NAME),
    person(super::person_fields::EXTERNAL_ID),
    person(super::person_fields::SCIM),
    EncryptedColumn {
        table: super::sso_flow::IDENTITIES_TABLE,
        column: super::sso_flow::ATTRIBUTES_COLUMN,
        row_key: "subject",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::sso_tests::TABLE,
        column: super::sso_tests::OUTCOME_COLUMN,
        row_key: "id",
        scope: Scope::Tenant,
    },
    EncryptedColumn {
        table: super::signing_keys::TABLE,
        column: super::signing_keys::COLUMN,
        row_key: "kid",
        scope: Scope::Platform,
    },
];

/// An open transaction of either kind; platform columns need a platform transaction.
pub enum ScopedTx<'a> {
    Tenant(&'a mut TenantTx),
    Platform(&'a mut PlatformTx),
}

impl ScopedTx<'_> {
    /// The tenant bound into associated data: the platform's nil id for platform tables.
    pub fn aad_tenant(&self) -> TenantId {
        match self {
            ScopedTx::Tenant(tx) => tx.tenant(),
            ScopedTx::Platform(_) => TenantId::PLATFORM,
        }
    }

    fn conn(&mut self) -> Result<&mut AsyncPgConnection, DbError> {
        match self {
            ScopedTx::Tenant(tx) => tx.conn(),
            ScopedTx::Platform(tx) => tx.conn(),
        }
    }

    /// `sql` has `{where}` where the scope's row filter goes; tenant scope binds `$1`.
    fn query(&self, sql: &str) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        match self {
            ScopedTx::Tenant(tx) => diesel::sql_query(sql.replace("{where}", "tenant_id = $1"))
                .into_boxed()
                .bind::<SqlUuid, _>(tx.tenant().0),
            ScopedTx::Platform(_) => diesel::sql_query(sql.replace("{where}", "$1::uuid IS NULL"))
                .into_boxed()
                .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(None::<uuid::Uuid>),
        }
    }
}

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

/// The stored prefix `<format>.<key version>` of a value (`ev1.2`, `ev2.1`), in SQL.
fn prefix_sql(column: &str) -> String {
    format!("split_part({column}, '.', 1) || '.' || split_part({column}, '.', 2)")
}

/// (key prefix such as `ev2.1`, number of ciphertexts) for `col` in this scope.
pub async fn count_by_version(
    tx: &mut ScopedTx<'_>,
    col: &EncryptedColumn,
) -> Result<Vec<(String, i64)>, DbError> {
    let sql = format!(
        "SELECT {p} AS version, count(*) AS n FROM {t} \
         WHERE {{where}} AND {c} IS NOT NULL GROUP BY 1 ORDER BY 1",
        p = prefix_sql(col.column),
        c = col.column,
        t = col.table
    );
    let rows: Vec<VersionCount> = tx.query(&sql).load(tx.conn()?).await?;
    Ok(rows.into_iter().map(|r| (r.version, r.n)).collect())
}

/// Up to `limit` ciphertexts not yet under `prefix` (`ev2.3`: the workspace's KEK version 3).
pub async fn not_under(
    tx: &mut ScopedTx<'_>,
    col: &EncryptedColumn,
    prefix: &str,
    limit: i64,
) -> Result<Vec<StoredCiphertext>, DbError> {
    let sql = format!(
        "SELECT {k}::text AS row_key, {c} AS value FROM {t} \
         WHERE {{where}} AND {p} <> $2 ORDER BY {k} LIMIT $3",
        p = prefix_sql(col.column),
        k = col.row_key,
        c = col.column,
        t = col.table
    );
    let q = tx
        .query(&sql)
        .bind::<Text, _>(prefix.to_string())
        .bind::<BigInt, _>(limit);
    Ok(q.load(tx.conn()?).await?)
}

/// Compare-and-swap: replaces the value only if nobody changed it meanwhile, so rotation is
/// safe while the service writes. Returns whether the row was replaced.
pub async fn replace(
    tx: &mut ScopedTx<'_>,
    col: &EncryptedColumn,
    row: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let sql = format!(
        "UPDATE {t} SET {c} = $4 WHERE {{where}} AND {k}::text = $2 AND {c} = $3",
        k = col.row_key,
        c = col.column,
        t = col.table
    );
    let q = tx
        .query(&sql)
        .bind::<Text, _>(row.to_string())
        .bind::<Text, _>(old.to_string())
        .bind::<Text, _>(new.to_string());
    Ok(q.execute(tx.conn()?).await? == 1)
}

/// Up to `limit` ciphertexts of `col` in this scope whose row key sorts after `after` (as
/// text), in that order: every stored value, page by page.
pub async fn page(
    tx: &mut ScopedTx<'_>,
    col: &EncryptedColumn,
    after: &str,
    limit: i64,
) -> Result<Vec<StoredCiphertext>, DbError> {
    let sql = format!(
        "SELECT {k}::text AS row_key, {c} AS value FROM {t} \
         WHERE {{where}} AND {c} IS NOT NULL AND {k}::text > $2 ORDER BY 1 LIMIT $3",
        k = col.row_key,
        c = col.column,
        t = col.table
    );
    let q = tx
        .query(&sql)
        .bind::<Text, _>(after.to_string())
        .bind::<BigInt, _>(limit);
    Ok(q.load(tx.conn()?).await?)
}
