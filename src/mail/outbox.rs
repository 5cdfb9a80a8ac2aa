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
    let sealer = envelope.for_tenant(tx).await?;
    let sealed = |column, text: &str| {
        sealer
            .seal(&context(tx.tenant(), column, &row), text.as_bytes())
            // Only a destroyed workspace key (a purged workspace) refuses to seal.
            .map_err(|e| DbError::Unavailable(e.to_string()))
    };
    let recipient = sealed(model::RECIPIENT_COLUMN, to)?;
    let body = sealed(model::BODY_COLUMN, body)?;
    model::insert(tx, id, &recipient, subject, &body, now).await?;
    Ok(id)
}
