//! Start-up check that this process's platform key opens the signing keys the database
//! holds. Without it an instance would serve with no usable key (every token request a
//! 503) after someone lost or replaced the key; stopping with a clear message is kinder.

use super::keyset::private_context;
use crate::crypto::envelope::EnvelopeError;
use crate::crypto::Envelope;
use crate::db::models::signing_keys;
use crate::db::{Db, DbError};

#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    /// The stored keys were sealed under another platform key: nothing can sign.
    #[error("signing key {kid} does not open with the platform key given ({reason})")]
    SealedWithAnotherKey { kid: String, reason: EnvelopeError },
    /// The database did not answer; the service starts and its refresher keeps trying.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// `Ok` when every live signing key opens, or when none is stored yet.
pub async fn platform_key_opens_signing_keys(
    db: &Db,
    envelope: &Envelope,
) -> Result<(), KeyCheckError> {
    let mut tx = db.platform().await?;
    let rows = signing_keys::list_all(&mut tx).await?;
    tx.commit().await?;
    for row in rows.iter().filter(|r| r.revoked_at.is_none()) {
        if let Err(reason) = envelope.open(&private_context(&row.kid), &row.private_enc) {
            return Err(KeyCheckError::SealedWithAnotherKey {
                kid: row.kid.clone(),
                reason,
            });
        }
    }
    Ok(())
}
