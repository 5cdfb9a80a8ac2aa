//! A person's erasure in the audit chain (GDPR article 17): entries stay, so the chain still
//! proves what happened, but every mention of the person (their id, email address, display
//! name) becomes `erased:<pseudonym>`. The pseudonym is random and its mapping is never
//! stored, so nothing links it back. Entries from the first changed one to the head are
//! re-linked with the tenant's chain key, under the chain lock, so `verify` passes. The
//! entries of the erasure's own transaction are written with the pseudonym already
//! ([`scrub_staged`]), so nothing it commits names the person.

use super::chain::entry_hash;
use super::seal;
use super::{secret_context, AuditError, CHAIN_KEY};
use crate::crypto::{Envelope, EnvelopeError};
use crate::db::models::audit::{self as model, AuditRow};
use crate::db::{Db, TenantTx};
use crate::ids::TenantId;
use serde_json::Value;

const PAGE: i64 = 1000;

/// What identifies the person; matched in actors, targets and every string of the details.
pub struct Mentions {
    /// The account id; replaced wherever it appears inside a string.
    pub id: String,
    /// Replaced wherever it appears, in any letter case.
    pub email: String,
    /// Replaced where a whole string equals it (a name is too short to look for inside text).
    pub display_name: Option<String>,
}

/// What the rewrite changed.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Rewritten {
    pub entries_changed: u64,
    pub entries_relinked: u64,
    pub from_seq: Option<i64>,
    /// The chain's head hash before the rewrite (an earlier copy of the chain ends there).
    pub head_before: Option<String>,
}

impl Mentions {
    fn scrub_text(&self, text: &str, label: &str) -> String {
        let mut out = text.replace(&self.id, label);
        if !self.email.is_empty() {
            out = replace_ignoring_case(&out, &self.email, label);
        }
        if self.display_name.as_deref() == Some(out.as_str()) {
            out = label.to_string();
        }
        out
    }

    fn scrub_json(&self, value: &mut Value, label: &str) {
        match value {
            Value::String(s) => *s = self.scrub_text(s, label),
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v, label)),
            Value::Object(map) => map.values_mut().for_each(|v| self.scrub_json(v, label)),
            _ => {}
        }
    }

    /// `row` with the person replaced by `label`, or `None` when it does not mention them.
    fn scrub(&self, row: &AuditRow, label: &str) -> Option<AuditRow> {
        let mut out = row.clone();
        out.actor = self.scrub_text(&row.actor, label);
        out.target = self.scrub_text(&row.target, label);
        self.scrub_json(&mut out.details, label);
        let changed =
            out.actor != row.actor || out.target != row.target || out.details != row.details;
        changed.then_some(out)
    }
}

fn replace_ignoring_case(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_lowercase();
    let needle = needle.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; then only an exact match is safe.
    if lower.len() != text.len() || needle.is_empty() {
        return text.replace(&needle, with);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(&needle) {
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Replaces the person in the entries `tx` will write at commit, sealing each changed one
/// again (with the source IP its seal held). Call it after the transaction's last record.
pub async fn scrub_staged(
    tx: &mut TenantTx,
    envelope: &Envelope,
    who: &Mentions,
    pseudonym: &str,
) -> Result<(), AuditError> {
    let label = format!("erased:{pseudonym}");
    let sealer = envelope.for_tenant(tx).await?;
    for entry in tx.staged_audit_mut() {
        let mut row = AuditRow {
            seq: 0,
            occurred_at: entry.occurred_at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            trace_id: entry.trace_id.clone(),
            ip_hash: None,
            details: entry.details.clone(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let Some(scrubbed) = who.scrub(&row, &label) else {
            continue;
        };
        row = scrubbed;
        let ip =
            seal::open(&sealer, entry).map_err(|_| AuditError::Secret(EnvelopeError::Rejected))?;
        entry.actor = row.actor;
        entry.target = row.target;
        entry.details = row.details;
        entry.seal = seal::seal(&sealer, entry, ip)?;
    }
    Ok(())
}

/// Replaces the person in `tenant`'s chain by `erased:<pseudonym>` and re-links the chain.
/// Waiting entries are chained first, so the ones the erasure itself wrote are covered.
pub async fn pseudonymize(
    db: &Db,
    envelope: &Envelope,
    tenant: TenantId,
    who: &Mentions,
    pseudonym: &str,
) -> Result<Rewritten, AuditError> {
    super::chainer::settle(db, envelope, tenant).await?;
    let label = format!("erased:{pseudonym}");
    let mut tx = db.tenant_any_status(tenant).await?;
    let head = model::lock_and_head(&mut tx).await?;
    let Some(sealed) = head.chain_key_enc else {
        tx.rollback().await?;
        return Ok(Rewritten::default());
    };
    let key = envelope
        .for_tenant(&tx)
        .await?
        .open(&secret_context(&tx, CHAIN_KEY), &sealed)?
        .to_vec();
    let mut out = Rewritten {
        head_before: head.hash,
        ..Rewritten::default()
    };
    // Once an entry changes, every later one is re-linked to its new predecessor.
    let mut prev: Option<String> = None;
    let mut after = 0;
    loop {
        let rows = model::page(&mut tx, after, None, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let mut batch = Vec::new();
        for row in rows {
            let scrubbed = who.scrub(&row, &label);
            if scrubbed.is_some() {
                out.entries_changed += 1;
                out.from_seq.get_or_insert(row.seq);
            }
            let Some(prev_hash) = prev
                .clone()
                .or(scrubbed.as_ref().map(|_| row.prev_hash.clone()))
            else {
                continue;
            };
            let mut new = scrubbed.unwrap_or(row);
            new.prev_hash = prev_hash;
            new.hash = entry_hash(&key, &new.prev_hash, &new);
            prev = Some(new.hash.clone());
            batch.push(new);
        }
        out.entries_relinked += batch.len() as u64;
        model::rewrite(&mut tx, &batch).await?;
    }
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mention_goes_and_nothing_else() {
        let who = Mentions {
            id: "0190-ab".into(),
            email: "Pat@Example.com".into(),
            display_name: Some("Pat".into()),
        };
        assert_eq!(who.scrub_text("user:0190-ab", "erased:x"), "user:erased:x");
        assert_eq!(
            who.scrub_text("to pat@example.COM now", "erased:x"),
            "to erased:x now"
        );
        assert_eq!(who.scrub_text("Pat", "erased:x"), "erased:x");
        assert_eq!(who.scrub_text("Patricia", "erased:x"), "Patricia");
        let mut details = serde_json::json!({"by": ["user:0190-ab"], "n": 3, "name": "Pat"});
        who.scrub_json(&mut details, "erased:x");
        assert_eq!(
            details,
            serde_json::json!({"by": ["user:erased:x"], "n": 3, "name": "erased:x"})
        );
    }
}
