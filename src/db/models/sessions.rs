//! Sign-in sessions of one tenant.

use crate::db::memory::Change;
use crate::db::schema::sessions as se;
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = se)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub idle_expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub secret_hash: &'a str,
    pub amr: &'a [String],
    pub now: DateTime<Utc>,
    pub idle_expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewSession<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(se::table)
        .values((
            se::id.eq(new.id),
            se::tenant_id.eq(tenant),
            se::user_id.eq(new.user_id),
            se::secret_hash.eq(new.secret_hash),
            se::amr.eq(new.amr),
            se::auth_time.eq(new.now),
            se::created_at.eq(new.now),
            se::last_seen_at.eq(new.now),
            se::idle_expires_at.eq(new.idle_expires_at),
            se::absolute_expires_at.eq(new.absolute_expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

#[diesel::dsl::auto_type(no_type_alias)]
fn active_at(now: DateTime<Utc>) -> _ {
    se::ended_at
        .is_null()
        .and(se::idle_expires_at.gt(now))
        .and(se::absolute_expires_at.gt(now))
}

/// The active session whose cookie hashes to `secret_hash`.
pub async fn find_active_by_secret(
    tx: &mut TenantTx,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(se::table
        .filter(
            se::tenant_id
                .eq(tenant)
                .and(se::secret_hash.eq(secret_hash)),
        )
        .filter(active_at(now))
        .select(SessionRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn is_active(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let found: Option<Uuid> = se::table
        .filter(se::tenant_id.eq(tenant).and(se::id.eq(id)))
        .filter(active_at(now))
        .select(se::id)
        .first(tx.conn()?)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// Records activity and pushes the idle expiry out, at most once a minute per session.
pub async fn touch(
    tx: &mut TenantTx,
    id: Uuid,
    idle_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(
        se::table
            .filter(se::tenant_id.eq(tenant).and(se::id.eq(id)))
            .filter(se::last_seen_at.lt(now - chrono::Duration::seconds(60))),
    )
    .set((
        se::last_seen_at.eq(now),
        se::idle_expires_at.eq(idle_expires_at),
    ))
    .execute(tx.conn()?)
    .await?;
    Ok(())
}

pub async fn list_active_for_user(
    tx: &mut TenantTx,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<SessionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(se::table
        .filter(se::tenant_id.eq(tenant).and(se::user_id.eq(user)))
        .filter(active_at(now))
        .order(se::created_at.desc())
        .select(SessionRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Every session of the user still stored, ended ones too, newest first (a person's
/// data export).
pub async fn all_for_user(tx: &mut TenantTx, user: Uuid) -> Result<Vec<SessionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(se::table
        .filter(se::tenant_id.eq(tenant).and(se::user_id.eq(user)))
        .order(se::created_at.desc())
        .select(SessionRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Ends one of the user's sessions; `false` when there was no such active session.
pub async fn end(
    tx: &mut TenantTx,
    user: Uuid,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Session(TenantId(tenant), id));
    let n = diesel::update(
        se::table
            .filter(
                se::tenant_id
                    .eq(tenant)
                    .and(se::user_id.eq(user))
                    .and(se::id.eq(id)),
            )
            .filter(se::ended_at.is_null()),
    )
    .set((se::ended_at.eq(now), se::end_reason.eq(reason)))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

/// Ends every open session of the user but `except` (the one making the change, if any);
/// returns how many ended.
pub async fn end_all_for_user(
    tx: &mut TenantTx,
    user: Uuid,
    except: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::SessionsOf(TenantId(tenant)));
    // The nil id is no session's, so `None` keeps nothing.
    let keep = except.unwrap_or(Uuid::nil());
    Ok(diesel::update(
        se::table
            .filter(se::tenant_id.eq(tenant).and(se::user_id.eq(user)))
            .filter(se::id.ne(keep).and(se::ended_at.is_null())),
    )
    .set((se::ended_at.eq(now), se::end_reason.eq(reason)))
    .returning(se::id)
    .get_results(tx.conn()?)
    .await?)
}

/// An active session by id.
pub async fn get_active(
    tx: &mut TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(se::table
        .filter(se::tenant_id.eq(tenant).and(se::id.eq(id)))
        .filter(active_at(now))
        .select(SessionRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// The person proved themselves again in this session (password and current factor).
pub async fn reauthenticated(
    tx: &mut TenantTx,
    id: Uuid,
    amr: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(se::table.filter(se::tenant_id.eq(tenant).and(se::id.eq(id))))
        .set((se::auth_time.eq(now), se::amr.eq(amr)))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// The idle and absolute expiry of a session active at `now`, or `None` (ended, expired,
/// or no such session): what an instance remembers of it (`crate::db::memory`).
pub async fn expiry_if_active(
    tx: &mut TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(se::table
        .filter(se::tenant_id.eq(tenant).and(se::id.eq(id)))
        .filter(active_at(now))
        .select((se::idle_expires_at, se::absolute_expires_at))
        .first(tx.conn()?)
        .await
        .optional()?)
}
