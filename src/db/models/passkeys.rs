//! Passkeys of one tenant (the credential as webauthn-rs serialises it), the one
//! cross-workspace question a passwordless sign-in asks (which workspace holds this
//! credential), and WebAuthn ceremonies in progress (platform rows, used once).

use crate::db::schema::{passkey_challenges as pc, passkeys as pk};
use crate::db::{DbError, PlatformTx, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Nullable, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pk)]
pub struct PasskeyRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub credential: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub struct NewPasskey<'a> {
    pub id: Uuid,
    pub user: Uuid,
    pub credential_id: &'a [u8],
    pub name: &'a str,
    pub credential: &'a serde_json::Value,
    pub now: DateTime<Utc>,
}

/// Stores a new passkey; `false` when its credential is already registered (anywhere).
pub async fn insert(tx: &mut TenantTx, new: &NewPasskey<'_>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let done = diesel::insert_into(pk::table)
        .values((
            pk::tenant_id.eq(tenant),
            pk::id.eq(new.id),
            pk::user_id.eq(new.user),
            pk::credential_id.eq(new.credential_id),
            pk::name.eq(new.name),
            pk::credential.eq(new.credential),
            pk::created_at.eq(new.now),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    Ok(done == 1)
}

pub async fn of_user(tx: &mut TenantTx, user: Uuid) -> Result<Vec<PasskeyRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(pk::table
        .filter(pk::tenant_id.eq(tenant).and(pk::user_id.eq(user)))
        .order(pk::created_at.asc())
        .select(PasskeyRow::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn by_credential(
    tx: &mut TenantTx,
    credential_id: &[u8],
) -> Result<Option<PasskeyRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(pk::table
        .filter(pk::tenant_id.eq(tenant))
        .filter(pk::credential_id.eq(credential_id))
        .select(PasskeyRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Records a use: the updated credential (counter, backup state) and the time. With a
/// signature counter (`counter` > 0), only if it is above the stored one, in the same
/// statement: `false` when another use already got there (a clone racing the device).
pub async fn used(
    tx: &mut TenantTx,
    id: Uuid,
    (credential, counter): (Option<&serde_json::Value>, u32),
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let row = pk::table.filter(pk::tenant_id.eq(tenant).and(pk::id.eq(id)));
    let n = match (credential, counter) {
        (Some(c), n) if n > 0 => {
            let counter = i64::from(n);
            diesel::update(row.filter(pk::sign_count.lt(counter)))
                .set((
                    pk::credential.eq(c),
                    pk::sign_count.eq(counter),
                    pk::last_used_at.eq(now),
                ))
                .execute(tx.conn()?)
                .await?
        }
        (Some(c), _) => {
            diesel::update(row)
                .set((pk::credential.eq(c), pk::last_used_at.eq(now)))
                .execute(tx.conn()?)
                .await?
        }
        (None, _) => {
            diesel::update(row)
                .set(pk::last_used_at.eq(now))
                .execute(tx.conn()?)
                .await?
        }
    };
    Ok(n == 1)
}

/// Removes one of `user`'s passkeys (`Some(id)`) or all of them; answers how many went.
pub async fn remove(tx: &mut TenantTx, user: Uuid, id: Option<Uuid>) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    let mine = pk::table.filter(pk::tenant_id.eq(tenant).and(pk::user_id.eq(user)));
    Ok(match id {
        Some(id) => {
            diesel::delete(mine.filter(pk::id.eq(id)))
                .execute(tx.conn()?)
                .await?
        }
        None => diesel::delete(mine).execute(tx.conn()?).await?,
    })
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    tenant: Option<Uuid>,
}

/// The workspace holding this credential, through the reviewed `SECURITY DEFINER`
/// function of migration 18 (it answers a tenant id, nothing else).
pub async fn tenant_of(
    tx: &mut PlatformTx,
    credential_id: &[u8],
) -> Result<Option<TenantId>, DbError> {
    let row: Owner = diesel::sql_query("SELECT identity_tenant_of_passkey($1) AS tenant")
        .bind::<Bytea, _>(credential_id)
        .get_result(tx.conn()?)
        .await?;
    Ok(row.tenant.map(TenantId))
}

pub struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub purpose: &'a str,
    pub bound_to: &'a str,
    pub state: &'a serde_json::Value,
    pub expires_at: DateTime<Utc>,
}

/// Stores a ceremony, clearing expired ones on the way.
pub async fn put_challenge(
    tx: &mut PlatformTx,
    new: &NewChallenge<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::delete(pc::table.filter(pc::expires_at.lt(now)))
        .execute(tx.conn()?)
        .await?;
    diesel::insert_into(pc::table)
        .values((
            pc::token_hash.eq(new.token_hash),
            pc::purpose.eq(new.purpose),
            pc::bound_to.eq(new.bound_to),
            pc::state.eq(new.state),
            pc::expires_at.eq(new.expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Uses a ceremony up: the state of a live one for this purpose and binding, deleted in the
/// same statement so a second use finds nothing.
pub async fn take_challenge(
    tx: &mut PlatformTx,
    token_hash: &str,
    purpose: &str,
    bound_to: &str,
    now: DateTime<Utc>,
) -> Result<Option<serde_json::Value>, DbError> {
    let state: Option<(serde_json::Value, DateTime<Utc>, String, String)> =
        diesel::delete(pc::table.filter(pc::token_hash.eq(token_hash)))
            .returning((pc::state, pc::expires_at, pc::purpose, pc::bound_to))
            .get_result(tx.conn()?)
            .await
            .optional()?;
    Ok(state.and_then(|(state, expires_at, p, b)| {
        (expires_at > now && p == purpose && b == bound_to).then_some(state)
    }))
}
