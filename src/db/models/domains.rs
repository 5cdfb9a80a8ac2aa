//! Email domains claimed by workspaces. A tenant sees and manages its own claims; before a
//! tenant is known, [`tenant_claiming`] finds the claim of one named domain through the
//! table's `domain_discovery` policy, which shows that row and no other.

use crate::db::schema::tenant_domains as td;
use crate::db::{DbError, PlatformTx, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Whether the claim was made; `false` when another workspace already holds the domain.
pub async fn claim(tx: &mut TenantTx, domain: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::insert_into(td::table)
        .values((
            td::tenant_id.eq(tenant),
            td::domain.eq(domain),
            td::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

pub async fn release(tx: &mut TenantTx, domain: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::delete(td::table.filter(td::tenant_id.eq(tenant).and(td::domain.eq(domain))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<String>, DbError> {
    let tenant = tx.tenant().0;
    Ok(td::table
        .filter(td::tenant_id.eq(tenant))
        .select(td::domain)
        .order(td::domain.asc())
        .load(tx.conn()?)
        .await?)
}

/// The workspace that claims `domain` (already lower-cased), if any.
pub async fn tenant_claiming(
    tx: &mut PlatformTx,
    domain: &str,
) -> Result<Option<TenantId>, DbError> {
    // Transaction-local: the lookup permission ends with this transaction.
    diesel::sql_query("SELECT set_config('app.domain_lookup', $1, true)")
        .bind::<Text, _>(domain)
        .execute(tx.conn()?)
        .await?;
    let found: Option<Uuid> = td::table
        .filter(td::domain.eq(domain))
        .select(td::tenant_id)
        .first(tx.conn()?)
        .await
        .optional()?;
    Ok(found.map(TenantId))
}
