//! The proof of a purge: every value of a workspace that a database still holds (the live
//! one, or a backup restored from before the purge) is tried with the workspace's keys as
//! the keys database has them now. After a purge none opens; another workspace's all do.

use crate::crypto::envelope::{Envelope, SecretContext};
use crate::db::models::ciphertexts::{self, Scope, ScopedTx, ENCRYPTED_COLUMNS};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use std::collections::BTreeMap;

const PAGE: i64 = 500;

/// Values found and opened, in total and by `table.column`.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Probe {
    pub values: u64,
    pub opened: u64,
    pub by_column: BTreeMap<String, (u64, u64)>,
    /// Why values did not open (e.g. "the workspace's key has been destroyed"), with counts.
    pub refusals: BTreeMap<String, u64>,
}

/// Tries every value of `tenant` in `db` (any status: a backup holds it as it was).
pub async fn probe(db: &Db, envelope: &Envelope, tenant: TenantId) -> Result<Probe, DbError> {
    let mut out = Probe::default();
    for col in ENCRYPTED_COLUMNS
        .iter()
        .filter(|c| c.scope == Scope::Tenant)
    {
        let mut after = String::new();
        loop {
            let mut tx = db.tenant_read_any_status(tenant).await?;
            let sealer = envelope.for_tenant(&tx).await?;
            let rows = ciphertexts::page(&mut ScopedTx::Tenant(&mut tx), col, &after, PAGE).await?;
            tx.commit().await?;
            let Some(last) = rows.last() else { break };
            after = last.row_key.clone();
            let tally = out
                .by_column
                .entry(format!("{}.{}", col.table, col.column))
                .or_default();
            for row in &rows {
                let ctx = SecretContext {
                    tenant,
                    table: col.table,
                    column: col.column,
                    row: &row.row_key,
                };
                out.values += 1;
                tally.0 += 1;
                match sealer.open(&ctx, &row.value) {
                    Ok(_) => {
                        out.opened += 1;
                        tally.1 += 1;
                    }
                    Err(e) => *out.refusals.entry(e.to_string()).or_default() += 1,
                }
            }
        }
    }
    Ok(out)
}
