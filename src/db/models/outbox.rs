//! The mail outbox of one tenant.

use crate::db::schema::mail_outbox as mo;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub const TABLE: &str = "mail_outbox";
pub const RECIPIENT_COLUMN: &str = "recipient_enc";
pub const BODY_COLUMN: &str = "body_enc";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mo)]
pub struct OutboxRow {
    pub id: Uuid,
    pub recipient_enc: String,
    pub subject: String,
    pub body_enc: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    recipient_enc: &str,
    subject: &str,
    body_enc: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(mo::table)
        .values((
            mo::id.eq(id),
            mo::tenant_id.eq(tenant),
            mo::recipient_enc.eq(recipient_enc),
            mo::subject.eq(subject),
            mo::body_enc.eq(body_enc),
            mo::next_attempt_at.eq(now),
            mo::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Due messages, locked for this sender; other senders skip them.
pub async fn claim_due(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(mo::table
        .filter(mo::tenant_id.eq(tenant))
        .filter(mo::status.eq("pending").and(mo::next_attempt_at.le(now)))
        .order(mo::next_attempt_at.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(OutboxRow::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn mark_sent(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(mo::table.filter(mo::tenant_id.eq(tenant).and(mo::id.eq(id))))
        .set((
            mo::status.eq("sent"),
            mo::sent_at.eq(now),
            mo::attempts.eq(mo::attempts + 1),
            mo::last_error.eq(None::<String>),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Records a failed attempt: retry at `next`, or give up (`failed`) when `next` is `None`.
pub async fn mark_failed(
    tx: &mut TenantTx,
    id: Uuid,
    error: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let target = mo::table.filter(mo::tenant_id.eq(tenant).and(mo::id.eq(id)));
    let error = error.chars().take(200).collect::<String>();
    match next {
        Some(at) => {
            diesel::update(target)
                .set((
                    mo::attempts.eq(mo::attempts + 1),
                    mo::next_attempt_at.eq(at),
                    mo::last_error.eq(error),
                ))
                .execute(tx.conn()?)
                .await?
        }
        None => {
            diesel::update(target)
                .set((
                    mo::attempts.eq(mo::attempts + 1),
                    mo::status.eq("failed"),
                    mo::last_error.eq(error),
                ))
                .execute(tx.conn()?)
                .await?
        }
    };
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<OutboxRow, DbError> {
    let tenant = tx.tenant().0;
    Ok(mo::table
        .filter(mo::tenant_id.eq(tenant).and(mo::id.eq(id)))
        .select(OutboxRow::as_select())
        .first(tx.conn()?)
        .await?)
}

/// Every message's id and sealed recipient, for dropping a person's mail on erasure.
pub async fn recipients(tx: &mut TenantTx) -> Result<Vec<(Uuid, String)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(mo::table
        .filter(mo::tenant_id.eq(tenant))
        .select((mo::id, mo::recipient_enc))
        .load(tx.conn()?)
        .await?)
}

/// Removes the messages `ids`.
pub async fn delete(tx: &mut TenantTx, ids: &[Uuid]) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::delete(
        mo::table
            .filter(mo::tenant_id.eq(tenant))
            .filter(mo::id.eq_any(ids)),
    )
    .execute(tx.conn()?)
    .await?)
}
