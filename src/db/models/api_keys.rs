//! Workspace API keys and their hashed secrets.

use crate::db::memory::Change;
use crate::db::schema::{api_key_secrets as aks, api_keys as ak, roles};
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ak)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub role_id: Uuid,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: DateTime<Utc>,
    pub rotation_flagged_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub role_id: Uuid,
    pub created_by: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewApiKey<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(ak::table)
        .values((
            ak::id.eq(new.id),
            ak::tenant_id.eq(tenant),
            ak::name.eq(new.name),
            ak::role_id.eq(new.role_id),
            ak::created_by.eq(new.created_by),
            ak::created_at.eq(new.now),
            ak::rotated_at.eq(new.now),
            ak::expires_at.eq(new.expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn add_secret(
    tx: &mut TenantTx,
    key_id: Uuid,
    hash: &str,
    last4: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(aks::table)
        .values((
            aks::tenant_id.eq(tenant),
            aks::key_id.eq(key_id),
            aks::secret_hash.eq(hash),
            aks::last4.eq(last4),
            aks::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// The key (with its role name) whose unexpired secret hashes to `hash`, if the key itself
/// is neither revoked nor expired.
pub async fn find_usable_by_secret(
    tx: &mut TenantTx,
    key_id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ApiKeyRow, String, Vec<String>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ak::table
        .inner_join(aks::table.on(aks::tenant_id.eq(ak::tenant_id).and(aks::key_id.eq(ak::id))))
        .inner_join(
            roles::table.on(roles::tenant_id
                .eq(ak::tenant_id)
                .and(roles::id.eq(ak::role_id))),
        )
        .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
        .filter(aks::secret_hash.eq(hash))
        .filter(aks::expires_at.is_null().or(aks::expires_at.gt(now)))
        .filter(ak::revoked_at.is_null())
        .filter(ak::expires_at.is_null().or(ak::expires_at.gt(now)))
        .select((ApiKeyRow::as_select(), roles::name, roles::permissions))
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// The key by id (with its role name) if neither revoked nor expired.
pub async fn find_usable(
    tx: &mut TenantTx,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(ApiKeyRow, String, Vec<String>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ak::table
        .inner_join(
            roles::table.on(roles::tenant_id
                .eq(ak::tenant_id)
                .and(roles::id.eq(ak::role_id))),
        )
        .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
        .filter(ak::revoked_at.is_null())
        .filter(ak::expires_at.is_null().or(ak::expires_at.gt(now)))
        .select((ApiKeyRow::as_select(), roles::name, roles::permissions))
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn get(tx: &mut TenantTx, key_id: Uuid) -> Result<Option<ApiKeyRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ak::table
        .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
        .select(ApiKeyRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Every key with its role name and the last four characters of its newest secret.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<(ApiKeyRow, String, String)>, DbError> {
    let tenant = tx.tenant().0;
    let keys: Vec<(ApiKeyRow, String)> = ak::table
        .inner_join(
            roles::table.on(roles::tenant_id
                .eq(ak::tenant_id)
                .and(roles::id.eq(ak::role_id))),
        )
        .filter(ak::tenant_id.eq(tenant))
        .order(ak::created_at.asc())
        .select((ApiKeyRow::as_select(), roles::name))
        .load(tx.conn()?)
        .await?;
    let mut out = Vec::with_capacity(keys.len());
    for (row, role) in keys {
        let last4: String = aks::table
            .filter(aks::tenant_id.eq(tenant).and(aks::key_id.eq(row.id)))
            .order(aks::created_at.desc())
            .select(aks::last4)
            .first(tx.conn()?)
            .await
            .optional()?
            .unwrap_or_default();
        out.push((row, role, last4));
    }
    Ok(out)
}

/// Records use at most once a minute, so hot keys do not write on every request.
pub async fn touch(tx: &mut TenantTx, key_id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let stale = now - chrono::Duration::seconds(60);
    diesel::update(
        ak::table
            .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
            .filter(ak::last_used_at.is_null().or(ak::last_used_at.lt(stale))),
    )
    .set(ak::last_used_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(())
}

/// Starts a new secret generation: older secrets live until `overlap_until`.
pub async fn mark_rotated(
    tx: &mut TenantTx,
    key_id: Uuid,
    overlap_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(Change::ApiKey(tx.tenant(), key_id));
    let tenant = tx.tenant().0;
    diesel::update(
        aks::table
            .filter(aks::tenant_id.eq(tenant).and(aks::key_id.eq(key_id)))
            .filter(
                aks::expires_at
                    .is_null()
                    .or(aks::expires_at.gt(overlap_until)),
            ),
    )
    .set(aks::expires_at.eq(overlap_until))
    .execute(tx.conn()?)
    .await?;
    diesel::update(ak::table.filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id))))
        .set((
            ak::rotated_at.eq(now),
            ak::rotation_flagged_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn revoke(tx: &mut TenantTx, key_id: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::ApiKey(TenantId(tenant), key_id));
    let n = diesel::update(
        ak::table
            .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
            .filter(ak::revoked_at.is_null()),
    )
    .set(ak::revoked_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

pub async fn flag_rotation_due(
    tx: &mut TenantTx,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(ak::table.filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id))))
        .set(ak::rotation_flagged_at.eq(now))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Permissions of the role a key carries (whether or not the key is still usable).
pub async fn role_permissions(
    tx: &mut TenantTx,
    key_id: Uuid,
) -> Result<Option<Vec<String>>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ak::table
        .inner_join(
            roles::table.on(roles::tenant_id
                .eq(ak::tenant_id)
                .and(roles::id.eq(ak::role_id))),
        )
        .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
        .select(roles::permissions)
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Revokes every live key `creator` (an audit actor such as `user:<id>`) made; their ids.
pub async fn revoke_created_by(
    tx: &mut TenantTx,
    creator: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::ApiKeysOf(TenantId(tenant)));
    Ok(diesel::update(
        ak::table
            .filter(ak::tenant_id.eq(tenant))
            .filter(ak::created_by.eq(creator))
            .filter(ak::revoked_at.is_null()),
    )
    .set(ak::revoked_at.eq(now))
    .returning(ak::id)
    .get_results(tx.conn()?)
    .await?)
}

/// A usable key's expiry (`Some(None)`: it never expires), or `None` when it is revoked,
/// expired or unknown: what an instance remembers of it (`crate::db::memory`).
pub async fn usable_until(
    tx: &mut TenantTx,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Option<DateTime<Utc>>>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ak::table
        .filter(ak::tenant_id.eq(tenant).and(ak::id.eq(key_id)))
        .filter(ak::revoked_at.is_null())
        .filter(ak::expires_at.is_null().or(ak::expires_at.gt(now)))
        .select(ak::expires_at)
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// The unexpired secret hashes of a key, with their expiry.
pub async fn live_secrets(
    tx: &mut TenantTx,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(aks::table
        .filter(aks::tenant_id.eq(tenant).and(aks::key_id.eq(key_id)))
        .filter(aks::expires_at.is_null().or(aks::expires_at.gt(now)))
        .select((aks::secret_hash, aks::expires_at))
        .load(tx.conn()?)
        .await?)
}

/// Names another creator on every key `from` made (an erased person's pseudonym).
pub async fn rename_creator(tx: &mut TenantTx, from: &str, to: &str) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::ApiKeysOf(TenantId(tenant)));
    Ok(diesel::update(
        ak::table
            .filter(ak::tenant_id.eq(tenant))
            .filter(ak::created_by.eq(from)),
    )
    .set(ak::created_by.eq(to))
    .execute(tx.conn()?)
    .await?)
}
