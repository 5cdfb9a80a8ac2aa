//! Rows whose use is over, removed by the retention job: each kind only once nothing can
//! still depend on it (a day after it expired or ended, by default).

use crate::db::schema::{
    authorization_codes as codes, events as ev, mfa_pending as pending, password_resets as resets,
    refresh_tokens as refresh, revoked_tokens as revoked, sessions as se,
};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

/// How many rows of each kind one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Ended or timed-out sessions (their codes and refresh tokens go with them).
    pub sessions: usize,
    pub codes: usize,
    /// Refresh tokens of families past their end (a live family keeps its rotated tokens,
    /// which reuse detection needs).
    pub refresh_tokens: usize,
    pub reset_links: usize,
    pub pending_sign_ins: usize,
    /// Revocations of tokens that have expired since.
    pub revocations: usize,
    /// Events older than [`EVENTS_KEPT_DAYS`] (until delivery exists, nothing else takes
    /// them out of the outbox).
    pub events: usize,
}

/// How long a written event waits in the outbox at most.
pub const EVENTS_KEPT_DAYS: i64 = 7;

impl Purged {
    pub fn total(&self) -> usize {
        self.sessions
            + self.codes
            + self.refresh_tokens
            + self.reset_links
            + self.pending_sign_ins
            + self.revocations
            + self.events
    }
}

/// Removes the transaction's workspace's rows that expired or ended before `before`.
pub async fn purge(tx: &mut TenantTx, before: DateTime<Utc>) -> Result<Purged, DbError> {
    let t = tx.tenant().0;
    let sessions = diesel::delete(
        se::table.filter(se::tenant_id.eq(t)).filter(
            se::ended_at
                .lt(before)
                .or(se::absolute_expires_at.lt(before))
                .or(se::idle_expires_at.lt(before)),
        ),
    )
    .execute(tx.conn()?)
    .await?;
    let codes = diesel::delete(
        codes::table
            .filter(codes::tenant_id.eq(t).and(codes::expires_at.lt(before)))
            .filter(codes::issued_exp.is_null().or(codes::issued_exp.lt(before))),
    )
    .execute(tx.conn()?)
    .await?;
    let refresh_tokens = diesel::delete(
        refresh::table.filter(
            refresh::tenant_id
                .eq(t)
                .and(refresh::family_expires_at.lt(before)),
        ),
    )
    .execute(tx.conn()?)
    .await?;
    let reset_links = diesel::delete(
        resets::table.filter(resets::tenant_id.eq(t).and(resets::expires_at.lt(before))),
    )
    .execute(tx.conn()?)
    .await?;
    let pending_sign_ins = diesel::delete(
        pending::table.filter(pending::tenant_id.eq(t).and(pending::expires_at.lt(before))),
    )
    .execute(tx.conn()?)
    .await?;
    let revocations = diesel::delete(
        revoked::table.filter(revoked::tenant_id.eq(t).and(revoked::expires_at.lt(before))),
    )
    .execute(tx.conn()?)
    .await?;
    let events = diesel::delete(
        ev::table
            .filter(ev::tenant_id.eq(t))
            .filter(ev::occurred_at.lt(before - chrono::Duration::days(EVENTS_KEPT_DAYS - 1))),
    )
    .execute(tx.conn()?)
    .await?;
    Ok(Purged {
        sessions,
        codes,
        refresh_tokens,
        reset_links,
        pending_sign_ins,
        revocations,
        events,
    })
}
