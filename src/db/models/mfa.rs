//! Second factors of one tenant: TOTP seeds (encrypted), recovery code hashes, the
//! workspace's MFA rule, and sign-ins waiting for their second factor.

use crate::db::schema::{
    mfa_pending as mp, mfa_policies as pol, mfa_recovery_codes as rc, mfa_totp as mt,
};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub const TOTP_TABLE: &str = "mfa_totp";
pub const TOTP_COLUMN: &str = "secret_enc";

#[derive(Debug, Clone, Queryable)]
pub struct TotpRow {
    pub secret_enc: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<i64>,
}

/// Replaces any unconfirmed seed of `user`; refuses (returns `false`) while a confirmed one
/// exists.
pub async fn put_unconfirmed(
    tx: &mut TenantTx,
    user: Uuid,
    secret_enc: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let mine = mt::table.filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user)));
    let confirmed: Option<Option<DateTime<Utc>>> = mine
        .select(mt::confirmed_at)
        .first(tx.conn()?)
        .await
        .optional()?;
    if matches!(confirmed, Some(Some(_))) {
        return Ok(false);
    }
    diesel::delete(mine).execute(tx.conn()?).await?;
    diesel::insert_into(mt::table)
        .values((
            mt::tenant_id.eq(tenant),
            mt::user_id.eq(user),
            mt::secret_enc.eq(secret_enc),
            mt::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(true)
}

pub async fn totp(tx: &mut TenantTx, user: Uuid) -> Result<Option<TotpRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(mt::table
        .filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user)))
        .select((mt::secret_enc, mt::confirmed_at, mt::last_step))
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Records `step` as used if it is later than every step used before; `false` otherwise
/// (a replay, or a code older than one already accepted). Atomic against a racing use.
pub async fn use_step(tx: &mut TenantTx, user: Uuid, step: i64) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(
        mt::table
            .filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user)))
            .filter(mt::last_step.is_null().or(mt::last_step.lt(step))),
    )
    .set(mt::last_step.eq(step))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

pub async fn confirm(tx: &mut TenantTx, user: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(
        mt::table
            .filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user)))
            .filter(mt::confirmed_at.is_null()),
    )
    .set(mt::confirmed_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

/// Removes the seed and every recovery code of `user`; whether a confirmed seed existed.
pub async fn remove_all(tx: &mut TenantTx, user: Uuid) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let confirmed = diesel::delete(
        mt::table
            .filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user)))
            .filter(mt::confirmed_at.is_not_null()),
    )
    .execute(tx.conn()?)
    .await?;
    diesel::delete(mt::table.filter(mt::tenant_id.eq(tenant).and(mt::user_id.eq(user))))
        .execute(tx.conn()?)
        .await?;
    diesel::delete(rc::table.filter(rc::tenant_id.eq(tenant).and(rc::user_id.eq(user))))
        .execute(tx.conn()?)
        .await?;
    Ok(confirmed == 1)
}

/// Replaces the user's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    tx: &mut TenantTx,
    user: Uuid,
    hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::delete(rc::table.filter(rc::tenant_id.eq(tenant).and(rc::user_id.eq(user))))
        .execute(tx.conn()?)
        .await?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| {
            (
                rc::tenant_id.eq(tenant),
                rc::user_id.eq(user),
                rc::code_hash.eq(h.as_str()),
                rc::created_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(rc::table)
        .values(rows)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Marks an unused code used; `false` when it is unknown or already used.
pub async fn use_recovery_code(
    tx: &mut TenantTx,
    user: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(
        rc::table
            .filter(rc::tenant_id.eq(tenant).and(rc::user_id.eq(user)))
            .filter(rc::code_hash.eq(hash).and(rc::used_at.is_null())),
    )
    .set(rc::used_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

pub async fn recovery_codes_left(tx: &mut TenantTx, user: Uuid) -> Result<i64, DbError> {
    let tenant = tx.tenant().0;
    Ok(rc::table
        .filter(rc::tenant_id.eq(tenant).and(rc::user_id.eq(user)))
        .filter(rc::used_at.is_null())
        .count()
        .get_result(tx.conn()?)
        .await?)
}

#[derive(Debug, Clone, Queryable)]
pub struct PolicyRow {
    pub required: bool,
    pub grace_period_days: i32,
    pub enforced_since: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub async fn policy(tx: &mut TenantTx) -> Result<Option<PolicyRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(pol::table
        .filter(pol::tenant_id.eq(tenant))
        .select((
            pol::required,
            pol::grace_period_days,
            pol::enforced_since,
            pol::updated_at,
        ))
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn put_policy(tx: &mut TenantTx, row: &PolicyRow) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let values = (
        pol::required.eq(row.required),
        pol::grace_period_days.eq(row.grace_period_days),
        pol::enforced_since.eq(row.enforced_since),
        pol::updated_at.eq(row.updated_at),
    );
    diesel::insert_into(pol::table)
        .values((pol::tenant_id.eq(tenant), values))
        .on_conflict(pol::tenant_id)
        .do_update()
        .set(values)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub struct NewPending<'a> {
    pub token_hash: &'a str,
    pub user: Uuid,
    pub purpose: &'a str,
    pub request: &'a serde_json::Value,
    pub replaces_session: Option<Uuid>,
    pub primary_amr: &'a [String],
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_pending(tx: &mut TenantTx, new: &NewPending<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(mp::table)
        .values((
            mp::tenant_id.eq(tenant),
            mp::token_hash.eq(new.token_hash),
            mp::user_id.eq(new.user),
            mp::purpose.eq(new.purpose),
            mp::request.eq(new.request),
            mp::replaces_session.eq(new.replaces_session),
            mp::primary_amr.eq(new.primary_amr),
            mp::created_at.eq(new.now),
            mp::expires_at.eq(new.expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct PendingRow {
    pub user_id: Uuid,
    pub purpose: String,
    pub request: serde_json::Value,
    pub replaces_session: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub primary_amr: Vec<String>,
}

/// The unused, unexpired pending sign-in with this hash.
pub async fn pending(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<PendingRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(mp::table
        .filter(mp::tenant_id.eq(tenant).and(mp::token_hash.eq(token_hash)))
        .filter(mp::used_at.is_null().and(mp::expires_at.gt(now)))
        .select((
            mp::user_id,
            mp::purpose,
            mp::request,
            mp::replaces_session,
            mp::created_at,
            mp::primary_amr,
        ))
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Marks the pending sign-in used; `false` if it already was (a second tab, a replay).
pub async fn finish_pending(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(
        mp::table
            .filter(mp::tenant_id.eq(tenant).and(mp::token_hash.eq(token_hash)))
            .filter(mp::used_at.is_null().and(mp::expires_at.gt(now))),
    )
    .set(mp::used_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}
