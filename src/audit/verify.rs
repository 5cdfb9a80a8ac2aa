//! `identity audit verify`: walks each tenant's chain and reports the first broken entry.

use super::chain::{Break, Verifier};
use crate::db::models::{audit as model, tenants};
use crate::db::{Db, DbError};

const PAGE: i64 = 1_000;

#[derive(Debug)]
pub struct ChainReport {
    pub tenant_slug: String,
    pub checked: u64,
    pub first_break: Option<Break>,
}

/// Verifies one tenant (by slug) or all of them, the platform chain included.
pub async fn verify(db: &Db, slug: Option<&str>) -> Result<Vec<ChainReport>, DbError> {
    let mut ptx = db.platform().await?;
    let all = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let selected: Vec<_> = all
        .into_iter()
        .filter(|t| slug.is_none_or(|s| s == t.slug))
        .collect();
    if selected.is_empty() {
        return Err(DbError::NotFound);
    }
    let mut reports = Vec::with_capacity(selected.len());
    for tenant in selected {
        let mut verifier = Verifier::default();
        let mut after = 0;
        let mut first_break = None;
        'pages: loop {
            let mut tx = db.tenant(tenant.id).await?;
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
        reports.push(ChainReport {
            tenant_slug: tenant.slug,
            checked: verifier.checked(),
            first_break,
        });
    }
    Ok(reports)
}
