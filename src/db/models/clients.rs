//! OAuth clients and their hashed secrets. Platform clients live under the platform
//! pseudo-tenant, so the same tenant transaction type reaches both kinds.

use crate::db::memory::Change;
use crate::db::schema::{client_secrets as cs, oauth_clients as oc};
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oc)]
pub struct ClientRow {
    pub tenant_id: Uuid,
    pub client_id: String,
    pub name: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
    pub resource_audience: Option<String>,
    pub signing_alg: String,
    pub access_token_ttl_secs: i32,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Vouched for by the workspace: no consent screen.
    pub trusted: bool,
}

pub async fn insert(tx: &mut TenantTx, row: &ClientRow) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(oc::table)
        .values((
            oc::tenant_id.eq(tenant),
            oc::client_id.eq(&row.client_id),
            oc::name.eq(&row.name),
            oc::grant_types.eq(&row.grant_types),
            oc::redirect_uris.eq(&row.redirect_uris),
            oc::audiences.eq(&row.audiences),
            oc::scopes.eq(&row.scopes),
            oc::resource_audience.eq(&row.resource_audience),
            oc::signing_alg.eq(&row.signing_alg),
            oc::access_token_ttl_secs.eq(row.access_token_ttl_secs),
            oc::created_at.eq(row.created_at),
            oc::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
            oc::trusted.eq(row.trusted),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// An enabled client.
pub async fn find(tx: &mut TenantTx, client_id: &str) -> Result<Option<ClientRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(oc::table
        .filter(oc::tenant_id.eq(tenant).and(oc::client_id.eq(client_id)))
        .filter(oc::disabled_at.is_null())
        .select(ClientRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// The enabled client whose unexpired secret hashes to `secret_hash`.
pub async fn find_by_secret(
    tx: &mut TenantTx,
    client_id: &str,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<ClientRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(oc::table
        .inner_join(
            cs::table.on(cs::tenant_id
                .eq(oc::tenant_id)
                .and(cs::client_id.eq(oc::client_id))),
        )
        .filter(oc::tenant_id.eq(tenant).and(oc::client_id.eq(client_id)))
        .filter(oc::disabled_at.is_null())
        .filter(cs::secret_hash.eq(secret_hash))
        .filter(cs::expires_at.is_null().or(cs::expires_at.gt(now)))
        .select(ClientRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ClientRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(oc::table
        .filter(oc::tenant_id.eq(tenant))
        .order(oc::created_at.asc())
        .select(ClientRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Replaces a client's changeable settings; `false` when there is no such client.
pub async fn update(tx: &mut TenantTx, row: &ClientRow) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Client(TenantId(tenant), row.client_id.clone()));
    let mine = oc::table.filter(
        oc::tenant_id
            .eq(tenant)
            .and(oc::client_id.eq(&row.client_id)),
    );
    let n = diesel::update(mine)
        .set((
            oc::name.eq(&row.name),
            oc::grant_types.eq(&row.grant_types),
            oc::redirect_uris.eq(&row.redirect_uris),
            oc::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
            oc::audiences.eq(&row.audiences),
            oc::trusted.eq(row.trusted),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

pub async fn delete(tx: &mut TenantTx, client_id: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Client(TenantId(tenant), client_id.to_string()));
    let n =
        diesel::delete(oc::table.filter(oc::tenant_id.eq(tenant).and(oc::client_id.eq(client_id))))
            .execute(tx.conn()?)
            .await?;
    Ok(n == 1)
}

pub async fn add_secret(
    tx: &mut TenantTx,
    client_id: &str,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Client(TenantId(tenant), client_id.to_string()));
    diesel::insert_into(cs::table)
        .values((
            cs::tenant_id.eq(tenant),
            cs::client_id.eq(client_id),
            cs::secret_hash.eq(secret_hash),
            cs::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Lets every current secret of the client live until `until` at the latest.
pub async fn expire_secrets(
    tx: &mut TenantTx,
    client_id: &str,
    until: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Client(TenantId(tenant), client_id.to_string()));
    diesel::update(
        cs::table
            .filter(cs::tenant_id.eq(tenant).and(cs::client_id.eq(client_id)))
            .filter(cs::expires_at.is_null().or(cs::expires_at.gt(until))),
    )
    .set(cs::expires_at.eq(until))
    .execute(tx.conn()?)
    .await?;
    Ok(())
}

/// The unexpired secret hashes of a client, with their expiry.
pub async fn live_secrets(
    tx: &mut TenantTx,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(cs::table
        .filter(cs::tenant_id.eq(tenant).and(cs::client_id.eq(client_id)))
        .filter(cs::expires_at.is_null().or(cs::expires_at.gt(now)))
        .select((cs::secret_hash, cs::expires_at))
        .load(tx.conn()?)
        .await?)
}
