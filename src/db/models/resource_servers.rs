//! The platform's resource servers: the audiences a workspace's application may hold
//! (platform scope, managed by the operator).

use crate::db::schema::resource_servers as rs;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = rs)]
pub struct ResourceServer {
    pub audience: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    tx: &mut TenantTx,
    audience: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(rs::table)
        .values((
            rs::audience.eq(audience),
            rs::name.eq(name),
            rs::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ResourceServer>, DbError> {
    Ok(rs::table
        .order(rs::audience.asc())
        .select(ResourceServer::as_select())
        .load(tx.conn()?)
        .await?)
}

/// `false` when no such resource server was registered.
pub async fn delete(tx: &mut TenantTx, audience: &str) -> Result<bool, DbError> {
    let n = diesel::delete(rs::table.filter(rs::audience.eq(audience)))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

/// The audiences of `wanted` that are not registered resource servers (read inside a
/// workspace's transaction: the table is platform data every workspace may read).
pub async fn unregistered(tx: &mut TenantTx, wanted: &[String]) -> Result<Vec<String>, DbError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let known: Vec<String> = rs::table
        .filter(rs::audience.eq_any(wanted))
        .select(rs::audience)
        .load(tx.conn()?)
        .await?;
    Ok(wanted
        .iter()
        .filter(|w| !known.contains(w))
        .cloned()
        .collect())
}
