//! A tenant's SSO connections, the email domains each serves, and their envelope-encrypted
//! secrets.

use crate::db::schema::{sso_connection_domains as scd, sso_connections as sc, sso_secrets as ss};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub const SECRETS_TABLE: &str = "sso_secrets";
pub const SECRETS_COLUMN: &str = "value_enc";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sc)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub password_signin_allowed: bool,
    pub idp_mfa_accepted: bool,
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub configured_by: String,
}

pub struct NewConnection<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub password_signin_allowed: bool,
    pub idp_mfa_accepted: bool,
    pub settings: &'a serde_json::Value,
    /// The actor configuring it: its IdP's assertions reach no further than they do.
    pub configured_by: &'a str,
    pub now: DateTime<Utc>,
    /// When its IdP metadata is next fetched from its URL (none: pasted metadata).
    pub metadata_refresh_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewConnection<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(sc::table)
        .values((
            sc::id.eq(new.id),
            sc::tenant_id.eq(tenant),
            sc::kind.eq(new.kind),
            sc::name.eq(new.name),
            sc::enabled.eq(new.enabled),
            sc::password_signin_allowed.eq(new.password_signin_allowed),
            sc::idp_mfa_accepted.eq(new.idp_mfa_accepted),
            sc::settings.eq(new.settings),
            sc::configured_by.eq(new.configured_by),
            sc::created_at.eq(new.now),
            sc::updated_at.eq(new.now),
            sc::metadata_refresh_at.eq(new.metadata_refresh_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Replaces the mutable fields; `false` when there is no such connection.
pub async fn update(tx: &mut TenantTx, new: &NewConnection<'_>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(sc::table.filter(sc::tenant_id.eq(tenant).and(sc::id.eq(new.id))))
        .set((
            sc::name.eq(new.name),
            sc::enabled.eq(new.enabled),
            sc::password_signin_allowed.eq(new.password_signin_allowed),
            sc::idp_mfa_accepted.eq(new.idp_mfa_accepted),
            sc::settings.eq(new.settings),
            sc::configured_by.eq(new.configured_by),
            sc::updated_at.eq(new.now),
            sc::metadata_refresh_at.eq(new.metadata_refresh_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ConnectionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(sc::table
        .filter(sc::tenant_id.eq(tenant).and(sc::id.eq(id)))
        .select(ConnectionRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ConnectionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(sc::table
        .filter(sc::tenant_id.eq(tenant))
        .order((sc::name.asc(), sc::id.asc()))
        .select(ConnectionRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// The connections whose metadata fetch is due at `now`, with when each was due.
pub async fn refresh_due(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = sc::table
        .filter(
            sc::tenant_id
                .eq(tenant)
                .and(sc::metadata_refresh_at.le(now)),
        )
        .select((sc::id, sc::metadata_refresh_at))
        .load(tx.conn()?)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((id, at?)))
        .collect())
}

/// Moves a due fetch to `next`, only if it is still due at `seen` (compare and set): of
/// several instances that saw it due, one wins.
pub async fn claim_refresh(
    tx: &mut TenantTx,
    id: Uuid,
    seen: DateTime<Utc>,
    next: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let row = sc::table.filter(sc::tenant_id.eq(tenant).and(sc::id.eq(id)));
    let n = diesel::update(row.filter(sc::metadata_refresh_at.eq(seen)))
        .set(sc::metadata_refresh_at.eq(next))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

/// Replaces the settings (refreshed metadata) if they are still `old`; `false` when a
/// change came in between.
pub async fn swap_settings(
    tx: &mut TenantTx,
    id: Uuid,
    (old, new): (&serde_json::Value, &serde_json::Value),
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let row = sc::table.filter(sc::tenant_id.eq(tenant).and(sc::id.eq(id)));
    let n = diesel::update(row.filter(sc::settings.eq(old)))
        .set((sc::settings.eq(new), sc::updated_at.eq(now)))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::delete(sc::table.filter(sc::tenant_id.eq(tenant).and(sc::id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, serde::Serialize)]
pub struct DomainRow {
    pub domain: String,
    pub verified: bool,
}

pub async fn domains(tx: &mut TenantTx, connection: Uuid) -> Result<Vec<DomainRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(scd::table
        .filter(
            scd::tenant_id
                .eq(tenant)
                .and(scd::connection_id.eq(connection)),
        )
        .order(scd::domain.asc())
        .select((scd::domain, scd::verified))
        .load(tx.conn()?)
        .await?)
}

/// Replaces the connection's domains. A domain the workspace has not claimed, or that
/// another connection serves, fails with a foreign-key or unique violation.
pub async fn set_domains(
    tx: &mut TenantTx,
    connection: Uuid,
    list: &[DomainRow],
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::delete(
        scd::table.filter(
            scd::tenant_id
                .eq(tenant)
                .and(scd::connection_id.eq(connection)),
        ),
    )
    .execute(tx.conn()?)
    .await?;
    for d in list {
        diesel::insert_into(scd::table)
            .values((
                scd::tenant_id.eq(tenant),
                scd::domain.eq(&d.domain),
                scd::connection_id.eq(connection),
                scd::verified.eq(d.verified),
            ))
            .execute(tx.conn()?)
            .await?;
    }
    Ok(())
}

/// The connection serving `domain`, with whether it is verified there.
pub async fn for_domain(tx: &mut TenantTx, domain: &str) -> Result<Option<(Uuid, bool)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(scd::table
        .filter(scd::tenant_id.eq(tenant).and(scd::domain.eq(domain)))
        .select((scd::connection_id, scd::verified))
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Stores (or replaces) a secret of the connection; returns the row id bound into the
/// ciphertext's associated data (the caller seals with it).
pub async fn secret_row_id(
    tx: &mut TenantTx,
    connection: Uuid,
    kind: &str,
) -> Result<Option<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ss::table
        .filter(
            ss::tenant_id
                .eq(tenant)
                .and(ss::connection_id.eq(connection))
                .and(ss::kind.eq(kind)),
        )
        .select(ss::id)
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn put_secret(
    tx: &mut TenantTx,
    id: Uuid,
    connection: Uuid,
    kind: &str,
    value_enc: &str,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(ss::table)
        .values((
            ss::tenant_id.eq(tenant),
            ss::id.eq(id),
            ss::connection_id.eq(connection),
            ss::kind.eq(kind),
            ss::value_enc.eq(value_enc),
        ))
        .on_conflict((ss::tenant_id, ss::id))
        .do_update()
        .set(ss::value_enc.eq(value_enc))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// (row id, ciphertext) of the connection's secret of this kind.
pub async fn secret(
    tx: &mut TenantTx,
    connection: Uuid,
    kind: &str,
) -> Result<Option<(Uuid, String)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ss::table
        .filter(
            ss::tenant_id
                .eq(tenant)
                .and(ss::connection_id.eq(connection))
                .and(ss::kind.eq(kind)),
        )
        .select((ss::id, ss::value_enc))
        .first(tx.conn()?)
        .await
        .optional()?)
}
