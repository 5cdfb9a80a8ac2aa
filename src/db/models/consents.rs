//! A person's consents to workspace applications (one row a person and application, with
//! the scopes granted).

use crate::db::schema::{consents as c, oauth_clients as oc};
use crate::db::{DbError, TenantTx};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A consent as the account page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConsentRow {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub granted_at: DateTime<Utc>,
}

/// The scopes `user` granted `client_id`, if they consented at all.
pub async fn scopes(
    tx: &mut TenantTx,
    user: UserId,
    client_id: &str,
) -> Result<Option<Vec<String>>, DbError> {
    let tenant = tx.tenant().0;
    Ok(c::table
        .filter(c::tenant_id.eq(tenant).and(c::user_id.eq(user.0)))
        .filter(c::client_id.eq(client_id))
        .select(c::scopes)
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Records consent to `scopes` (added to what was granted before).
pub async fn grant(
    tx: &mut TenantTx,
    user: UserId,
    client_id: &str,
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let mut all = self::scopes(tx, user, client_id).await?.unwrap_or_default();
    for s in scopes {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    diesel::insert_into(c::table)
        .values((
            c::tenant_id.eq(tenant),
            c::user_id.eq(user.0),
            c::client_id.eq(client_id),
            c::scopes.eq(&all),
            c::granted_at.eq(now),
        ))
        .on_conflict((c::tenant_id, c::user_id, c::client_id))
        .do_update()
        .set((c::scopes.eq(&all), c::granted_at.eq(now)))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx, user: UserId) -> Result<Vec<ConsentRow>, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<(String, String, Vec<String>, DateTime<Utc>)> = c::table
        .inner_join(
            oc::table.on(oc::tenant_id
                .eq(c::tenant_id)
                .and(oc::client_id.eq(c::client_id))),
        )
        .filter(c::tenant_id.eq(tenant).and(c::user_id.eq(user.0)))
        .order(c::granted_at.desc())
        .select((c::client_id, oc::name, c::scopes, c::granted_at))
        .load(tx.conn()?)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(client_id, client_name, scopes, granted_at)| ConsentRow {
            client_id,
            client_name,
            scopes,
            granted_at,
        })
        .collect())
}

/// Withdraws the consent; `false` when there was none.
pub async fn delete(tx: &mut TenantTx, user: UserId, client_id: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::delete(
        c::table
            .filter(c::tenant_id.eq(tenant).and(c::user_id.eq(user.0)))
            .filter(c::client_id.eq(client_id)),
    )
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}
