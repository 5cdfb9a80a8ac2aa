//! `identity audit verify`: walks each tenant's chain and reports the first broken entry.

use super::chain::{Break, Verifier};
use super::{secret_context, CHAIN_KEY};
use crate::crypto::Envelope;
use crate::db::models::{audit as model, secrets, tenants};
use crate::db::{Db, DbError};

const PAGE: i64 = 1_000;

#[derive(Debug)]
pub struct ChainReport {
    pub tenant_slug: String,
    pub checked: u64,
    pub first_break: Option<Break>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no such tenant")]
    NoSuchTenant,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the audit secrets of tenant {0} do not open with this keyring")]
    Key(String),
}

/// Verifies one tenant (by slug) or all of them, the platform chain included.
pub async fn verify(
    db: &Db,
    envelope: &Envelope,
    slug: Option<&str>,
) -> Result<Vec<ChainReport>, VerifyError> {
    let mut ptx = db.platform().await?;
    let all = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let selected: Vec<_> = all
        .into_iter()
        .filter(|t| slug.is_none_or(|s| s == t.slug))
        .collect();
    if selected.is_empty() {
        return Err(VerifyError::NoSuchTenant);
    }
    let mut reports = Vec::with_capacity(selected.len());
    for tenant in selected {
        // Entries still waiting for the chainer are chained first, so they are verified too.
        super::chainer::settle(db, envelope, tenant.id)
            .await
            .map_err(|e| match e {
                super::AuditError::Db(db) => VerifyError::Db(db),
                super::AuditError::Secret(_) => VerifyError::Key(tenant.slug.clone()),
            })?;
        let mut tx = db.tenant_read_any_status(tenant.id).await?;
        let stored = secrets::get(&mut tx, CHAIN_KEY).await?;
        let key = match stored {
            // No key yet means no entry was ever written: an empty chain verifies.
            None => Vec::new(),
            Some(s) => envelope
                .for_tenant(&tx)
                .await?
                .open(&secret_context(&tx, CHAIN_KEY), &s)
                .map_err(|_| VerifyError::Key(tenant.slug.clone()))?
                .to_vec(),
        };
        tx.commit().await?;
        let mut verifier = Verifier::new(&key);
        let mut after = 0;
        let mut first_break = None;
        'pages: loop {
            let mut tx = db.tenant_any_status(tenant.id).await?;
            let rows = model::page(&mut tx, after, None, PAGE).await?;
            tx.commit().await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in &rows {
                if let Err(b) = verifier.push(row) {
                    first_break = Some(b);
                    break 'pages;
                }
            }
        }
        if first_break.is_none() {
            first_break = verifier.finish().err();
        }
        reports.push(ChainReport {
            tenant_slug: tenant.slug,
            checked: verifier.checked(),
            first_break,
        });
    }
    Ok(reports)
}
