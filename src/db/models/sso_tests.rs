//! Connection tests: created by an admin, started once from a one-time link, finished by
//! the IdP's answer with the outcome an admin reads back.

use crate::db::personal_keys::PersonalKeys;
use crate::db::schema::sso_tests as st;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub struct NewTest<'a> {
    pub id: Uuid,
    pub connection: Uuid,
    pub started_by: &'a str,
    pub start_hash: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewTest<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(st::table)
        .values((
            st::tenant_id.eq(tenant),
            st::id.eq(new.id),
            st::connection_id.eq(new.connection),
            st::started_by.eq(new.started_by),
            st::start_hash.eq(new.start_hash),
            st::created_at.eq(new.now),
            st::expires_at.eq(new.expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Marks the unstarted, unexpired test with this link started; its id and connection.
pub async fn start(
    tx: &mut TenantTx,
    start_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Uuid)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        st::table
            .filter(st::tenant_id.eq(tenant).and(st::start_hash.eq(start_hash)))
            .filter(st::started_at.is_null().and(st::expires_at.gt(now))),
    )
    .set(st::started_at.eq(now))
    .returning((st::id, st::connection_id))
    .get_result(tx.conn()?)
    .await
    .optional()?)
}

pub const TABLE: &str = "sso_tests";
/// The outcome names whoever tried the connection: sealed like a person's fields.
pub const OUTCOME_COLUMN: &str = "outcome_sealed";

/// Stores the outcome of a started test (once), sealed.
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    outcome: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let sealed = keys.seal(TABLE, OUTCOME_COLUMN, &id.to_string(), &outcome.to_string())?;
    diesel::update(
        st::table
            .filter(st::tenant_id.eq(tenant).and(st::id.eq(id)))
            .filter(st::finished_at.is_null()),
    )
    .set((st::finished_at.eq(now), st::outcome_sealed.eq(sealed)))
    .execute(tx.conn()?)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct TestRow {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub started_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<serde_json::Value>,
}

pub async fn get(
    tx: &mut TenantTx,
    connection: Uuid,
    id: Uuid,
) -> Result<Option<TestRow>, DbError> {
    let tenant = tx.tenant().0;
    let found: Option<(TestRow, Option<String>)> = st::table
        .filter(st::tenant_id.eq(tenant).and(st::id.eq(id)))
        .filter(st::connection_id.eq(connection))
        .select((
            (
                st::id,
                st::connection_id,
                st::started_by,
                st::created_at,
                st::expires_at,
                st::started_at,
                st::finished_at,
                st::outcome,
            ),
            st::outcome_sealed,
        ))
        .first(tx.conn()?)
        .await
        .optional()?;
    let (mut row, sealed) = match found {
        Some((row, Some(sealed))) => (row, sealed),
        other => return Ok(other.map(|(row, _)| row)),
    };
    let keys = PersonalKeys::of(tx).await?;
    let clear = keys.open(TABLE, OUTCOME_COLUMN, &row.id.to_string(), &sealed)?;
    row.outcome = Some(
        serde_json::from_str(&clear)
            .map_err(|_| DbError::Sealed("a test outcome that is not JSON".into()))?,
    );
    Ok(Some(row))
}

/// Removes tests created before `before`.
pub async fn purge(tx: &mut TenantTx, before: DateTime<Utc>) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(
        diesel::delete(st::table.filter(st::tenant_id.eq(tenant).and(st::created_at.lt(before))))
            .execute(tx.conn()?)
            .await?,
    )
}
