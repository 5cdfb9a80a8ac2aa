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
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde_json::json;

const HEADER: &str =
    "seq,occurred_at,actor,action,target,trace_id,ip_hash,details,prev_hash,hash\n";
/// Entries read per page; each page is its own short read, so a slow download never holds
/// a connection.
const PAGE: i64 = 1_000;

/// Where a streamed export stands.
struct Cursor {
    db: Db,
    tenant: TenantId,
    filter: model::Filter,
    /// The last seq sent; the export ends at `through`.
    after: i64,
    through: i64,
    header_sent: bool,
}

/// Starts an export of the entries `filter` selects in its period (both ends required):
/// the export is audited first (no export without its entry), then the CSV is read page
/// by page, every entry chained when it began and none after, with no row cap.
pub async fn export_csv(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    filter: &model::Filter,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<impl Stream<Item = Result<String, AppError>>, AppError> {
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
    let through = model::head_seq(&mut tx).await?.unwrap_or(0);
    let details = json!({
        "from": from, "to": to, "through_seq": through, "action_prefix": filter.action_prefix,
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
    let cursor = Cursor {
        db: db.clone(),
        tenant: who.tenant,
        filter: filter.clone(),
        after: 0,
        through,
        header_sent: false,
    };
    Ok(futures_util::stream::try_unfold(cursor, next_page))
}

/// A CSV cell: quoted when it must be, and a leading formula character defused.
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

/// The next chunk of CSV, or the end.
async fn next_page(mut c: Cursor) -> Result<Option<(String, Cursor)>, AppError> {
    if !c.header_sent {
        c.header_sent = true;
        return Ok(Some((HEADER.to_string(), c)));
    }
    if c.after >= c.through {
        return Ok(None);
    }
    let mut tx = c.db.tenant_read_any_status(c.tenant).await?;
    let rows = model::page_matching(&mut tx, c.after, &c.filter, PAGE).await?;
    tx.commit().await?;
    let rows: Vec<_> = rows.into_iter().filter(|r| r.seq <= c.through).collect();
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    c.after = last.seq;
    let mut out = String::with_capacity(rows.len() * 256);
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
    }
    Ok(Some((out, c)))
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
