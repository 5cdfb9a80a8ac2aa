//! Group→role rules of one tenant, and the roles they give a person through the
//! identity-provider groups the person belongs to.

use crate::db::schema::{role_mappings as rm, roles};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Rule {
    pub id: Uuid,
    pub group_name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Rule>, DbError> {
    let tenant = tx.tenant().0;
    Ok(rm::table
        .inner_join(
            roles::table.on(roles::id
                .eq(rm::role_id)
                .and(roles::tenant_id.eq(rm::tenant_id))),
        )
        .filter(rm::tenant_id.eq(tenant))
        .order((rm::group_name.asc(), roles::name.asc()))
        .select((rm::id, rm::group_name, roles::name, rm::created_at))
        .load(tx.conn()?)
        .await?)
}

pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    group_name: &str,
    role: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(rm::table)
        .values((
            rm::id.eq(id),
            rm::tenant_id.eq(tenant),
            rm::group_name.eq(group_name),
            rm::role_id.eq(role),
            rm::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::delete(rm::table.filter(rm::tenant_id.eq(tenant).and(rm::id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

#[derive(QueryableByName)]
struct RoleIdRow {
    #[diesel(sql_type = SqlUuid)]
    role_id: Uuid,
}

/// Roles that rules give `user` through the groups they are a member of (group names
/// compared case-insensitively).
pub async fn mapped_role_ids(tx: &mut TenantTx, user: Uuid) -> Result<Vec<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<RoleIdRow> = diesel::sql_query(
        "SELECT DISTINCT m.role_id FROM role_mappings m \
         JOIN scim_groups g ON g.tenant_id = m.tenant_id AND lower(g.display_name) = lower(m.group_name) \
         WHERE m.tenant_id = $1 AND g.members @> jsonb_build_array(jsonb_build_object('value', $2::text))",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Text, _>(user.to_string())
    .load(tx.conn()?)
    .await?;
    Ok(rows.into_iter().map(|r| r.role_id).collect())
}
