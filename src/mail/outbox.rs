//! Putting a message in a tenant's outbox. Recipient and body are envelope-encrypted (a
//! body may carry a one-time link); the subject stays readable for operators.

use crate::crypto::{Envelope, SecretContext};
use crate::db::models::outbox as model;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub fn context<'a>(
    tx_tenant: crate::ids::TenantId,
    column: &'static str,
    row: &'a str,
) -> SecretContext<'a> {
    SecretContext {
        tenant: tx_tenant,
        table: model::TABLE,
        column,
        row,
    }
}

/// Queues a message; it is sent once the surrounding transaction commits.
pub async fn enqueue(
    tx: &mut TenantTx,
    envelope: &Envelope,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, DbError> {
    let id = Uuid::new_v4();
    let row = id.to_string();
    let recipient = envelope.seal(
        &context(tx.tenant(), model::RECIPIENT_COLUMN, &row),
        to.as_bytes(),
    );
    let body = envelope.seal(
        &context(tx.tenant(), model::BODY_COLUMN, &row),
        body.as_bytes(),
    );
    model::insert(tx, id, &recipient, subject, &body, now).await?;
    Ok(id)
}
