//! Server-side sessions. The cookie value is `ids_`, the tenant (22 base64url characters)
//! and a 256-bit secret (43 characters): the tenant is readable without a lookup, only
//! SHA-256 of the whole value is stored, and every sign-in makes a new value. Sessions end
//! at their idle or absolute timeout, or when ended; ending is audited.

use crate::audit::Action;
use crate::audit::{AuditError, Context, Origin};
use crate::config::SessionSettings;
use crate::crypto::{tenant_token, Envelope};
use crate::db::models::sessions as model;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

const PREFIX: &str = "ids_";

/// A session as its owner or an admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub idle_expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
}

impl From<model::SessionRow> for SessionView {
    fn from(r: model::SessionRow) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            auth_time: r.auth_time,
            amr: r.amr,
            idle_expires_at: r.idle_expires_at,
            absolute_expires_at: r.absolute_expires_at,
        }
    }
}

/// The session behind a valid cookie.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub tenant: TenantId,
    pub id: Uuid,
    pub user: UserId,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
}

fn hash(cookie: &str) -> String {
    tenant_token::hash(cookie)
}

fn tenant_of(cookie: &str) -> Option<TenantId> {
    tenant_token::tenant_of(PREFIX, cookie)
}

/// Starts a session for `user`; returns it and the cookie value (never stored).
pub async fn start(
    tx: &mut TenantTx,
    settings: &SessionSettings,
    user: UserId,
    amr: &[String],
    now: DateTime<Utc>,
) -> Result<(SessionView, String), DbError> {
    let cookie = tenant_token::mint(PREFIX, tx.tenant());
    let absolute = now + Duration::seconds(settings.absolute_timeout_secs);
    let idle = (now + Duration::seconds(settings.idle_timeout_secs)).min(absolute);
    let id = Uuid::new_v4();
    model::insert(
        tx,
        &model::NewSession {
            id,
            user_id: user.0,
            secret_hash: &hash(&cookie),
            amr,
            now,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
        },
    )
    .await?;
    let view = SessionView {
        id,
        created_at: now,
        last_seen_at: now,
        auth_time: now,
        amr: amr.to_vec(),
        idle_expires_at: idle,
        absolute_expires_at: absolute,
    };
    Ok((view, cookie))
}

/// The active session a cookie names, its idle timeout pushed out.
pub async fn resolve(
    db: &Db,
    settings: &SessionSettings,
    cookie: &str,
    now: DateTime<Utc>,
) -> Result<Option<ActiveSession>, DbError> {
    let Some(tenant) = tenant_of(cookie) else {
        return Ok(None);
    };
    let mut tx = db.tenant_read(tenant).await?;
    let Some(row) = model::find_active_by_secret(&mut tx, &hash(cookie), now).await? else {
        return Ok(None);
    };
    let idle = (now + Duration::seconds(settings.idle_timeout_secs)).min(row.absolute_expires_at);
    model::touch(&mut tx, row.id, idle, now).await?;
    tx.commit().await?;
    Ok(Some(ActiveSession {
        tenant,
        id: row.id,
        user: UserId(row.user_id),
        amr: row.amr,
        auth_time: row.auth_time,
    }))
}

pub async fn list(
    tx: &mut TenantTx,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<SessionView>, DbError> {
    Ok(model::list_active_for_user(tx, user.0, now)
        .await?
        .into_iter()
        .map(SessionView::from)
        .collect())
}

/// A signed-in person's own live sessions, in a transaction of its own.
pub async fn list_mine(
    db: &crate::db::Db,
    me: &ActiveSession,
    now: DateTime<Utc>,
) -> Result<Vec<SessionView>, DbError> {
    let mut tx = db.tenant_read(me.tenant).await?;
    let found = list(&mut tx, me.user, now).await?;
    tx.commit().await?;
    Ok(found)
}

/// A signed-in person ends one of their own sessions; `false` if it is not theirs or open.
pub async fn end_mine(
    db: &crate::db::Db,
    envelope: &Envelope,
    me: &ActiveSession,
    id: Uuid,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<bool, AuditError> {
    let mut tx = db.tenant(me.tenant).await?;
    let actor = format!("user:{}", me.user);
    let ctx = Context {
        envelope,
        actor: &actor,
        origin,
        now,
    };
    let ended = end(&mut tx, &ctx, me.user, id, "ended_by_user").await?;
    tx.commit().await?;
    Ok(ended)
}

/// Ends one session of `user`; `false` if there was no such open session.
pub async fn end(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    id: Uuid,
    reason: &str,
) -> Result<bool, AuditError> {
    if !model::end(tx, user.0, id, reason, ctx.now).await? {
        return Ok(false);
    }
    let details = json!({"session": id, "reason": reason});
    ctx.record(tx, Action::SessionEnded, &format!("user:{user}"), details)
        .await?;
    Ok(true)
}

/// The person signs `session` out (logout): it ends, audited with them as the actor.
pub async fn sign_out(
    db: &crate::db::Db,
    envelope: &Envelope,
    session: &ActiveSession,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let mut tx = db.tenant(session.tenant).await?;
    let actor = format!("user:{}", session.user);
    let ctx = Context {
        envelope,
        actor: &actor,
        origin,
        now,
    };
    end(&mut tx, &ctx, session.user, session.id, "signed_out").await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of `user` (disabled, password reset, deprovisioned).
pub async fn end_all(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    reason: &str,
) -> Result<usize, AuditError> {
    let ended = model::end_all_for_user(tx, user.0, None, reason, ctx.now).await?;
    let n = ended.len();
    if n > 0 {
        let details = json!({"sessions": n, "reason": reason, "ended": ended});
        ctx.record(
            tx,
            Action::SessionEndedAll,
            &format!("user:{user}"),
            details,
        )
        .await?;
    }
    Ok(n)
}

/// Ends every session of `me`'s person but `me` (their own password change).
pub async fn end_others(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    me: &ActiveSession,
    reason: &str,
) -> Result<usize, AuditError> {
    let ended = model::end_all_for_user(tx, me.user.0, Some(me.id), reason, ctx.now).await?;
    let n = ended.len();
    if n > 0 {
        let details = json!({"sessions": n, "reason": reason, "kept": me.id, "ended": ended});
        let target = format!("user:{}", me.user);
        ctx.record(tx, Action::SessionEndedAll, &target, details)
            .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_carry_their_tenant_and_nothing_else_parses() {
        let t = TenantId::new();
        let cookie = tenant_token::mint(PREFIX, t);
        assert_eq!(tenant_of(&cookie), Some(t));
        assert_eq!(tenant_of("ids_short"), None);
        assert_eq!(tenant_of(&cookie.replacen("ids_", "xyz_", 1)), None);
        assert_ne!(hash(&cookie), cookie);
    }
}
