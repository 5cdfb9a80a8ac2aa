//! Audit log export as CSV, for a time range and optionally a filter (kind of action,
//! actor, target). Cells that a spreadsheet would run as a
//! formula are prefixed with `'`.

use super::principal::Principal;
use crate::audit::Action;
use crate::audit::{self, Origin};
use crate::crypto::Envelope;
use crate::db::models::audit as model;
use crate::db::Db;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;

const HEADER: &str =
    "seq,occurred_at,actor,action,target,trace_id,ip_hash,details,prev_hash,hash\n";
const PAGE: i64 = 1_000;
/// One export is capped so a request cannot hold a connection for minutes.
pub const MAX_ROWS: usize = 100_000;

fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The entries `filter` selects in its period (both ends required), as CSV.
pub async fn export_csv(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    filter: &model::Filter,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (Some(from), Some(to)) = (filter.from, filter.to) else {
        return Err(AppError::InvalidRequest(
            "an export needs from and to".into(),
        ));
    };
    if from >= to {
        return Err(AppError::InvalidRequest("from must be before to".into()));
    }
    // Entries still waiting for the chainer are chained first, so the export has them all.
    crate::audit::chainer::settle(db, envelope, who.tenant).await?;
    let mut tx = db.tenant(who.tenant).await?;
    let mut out = String::from(HEADER);
    let mut after = 0;
    let mut rows_out = 0usize;
    loop {
        let rows = model::page_matching(&mut tx, after, filter, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            let fields = [
                r.seq.to_string(),
                r.occurred_at.to_rfc3339(),
                r.actor.clone(),
                r.action.clone(),
                r.target.clone(),
                r.trace_id.clone(),
                r.ip_hash.clone().unwrap_or_default(),
                audit::chain::canonical_json(&r.details),
                r.prev_hash.clone(),
                r.hash.clone(),
            ];
            out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
            rows_out += 1;
        }
        if rows_out >= MAX_ROWS {
            break;
        }
    }
    let details = json!({
        "from": from, "to": to, "rows": rows_out, "action_prefix": filter.action_prefix,
        "actor": filter.actor, "target": filter.target,
    });
    let ctx = audit::Context {
        envelope,
        actor: &who.actor,
        origin,
        now,
    };
    ctx.record(&mut tx, Action::AuditExported, "audit_log", details)
        .await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
