//! A person's data export (GDPR articles 15 and 20): one JSON document with everything the
//! service stores about them, in a form another system can read. Profile, roles (given
//! here and mapped, with why), SSO links, sessions, second factors (kinds and dates, never
//! a secret, hash or seed), the API keys they made (last four characters only), and the
//! audit entries they acted in or were the target of. Every export is itself audited.

use super::act::Act;
use super::permissions::Deed;
use super::users::{view, UserView};
use crate::apikeys::service::{self as keys, ApiKeyView};
use crate::audit::{Action, Context};
use crate::db::models::{audit as audit_log, sessions, users};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// The document's format name; a reader checks it before reading on.
pub const FORMAT: &str = "identity.person-export/1";

#[derive(Debug, Serialize)]
pub struct PersonExport {
    pub format: &'static str,
    pub exported_at: DateTime<Utc>,
    /// Profile, status, roles (given and mapped, with the rule's reason) and SSO links.
    pub profile: UserView,
    /// Every session still stored, ended ones too. Sessions keep no IP address or device:
    /// the hashed IP of each sign-in is in the audit entries (`ip_hash`).
    pub sessions: Vec<SessionEntry>,
    pub factors: Factors,
    /// Keys the person made, by their last four characters.
    pub api_keys: Vec<ApiKeyView>,
    pub audit: Vec<AuditEntry>,
}

#[derive(Debug, Serialize)]
pub struct SessionEntry {
    pub id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// How the person proved who they were (`pwd`, `otp`, `hwk`, `fed`, ...).
    pub amr: Vec<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// The second factors: what kind, and since when; never the secret behind them.
#[derive(Debug, Serialize)]
pub struct Factors {
    pub authenticator_app: bool,
    pub recovery_codes_left: i64,
    pub passkeys: Vec<crate::passkeys::credentials::PasskeyView>,
}

/// An audit entry as stored: the IP only as its keyed hash.
#[derive(Debug, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip_hash: Option<String>,
    pub details: serde_json::Value,
}

/// An admin's export of person `id`: `users:read`, and the authority rule (the caller
/// holds every permission the person holds), as for any action on the account.
pub async fn export(act: &Act<'_>, id: UserId) -> Result<PersonExport, AppError> {
    act.who.require_for(Deed::ExportUser)?;
    let mut tx = act.db.tenant(act.who.tenant).await?;
    users::get(&mut tx, id).await?;
    crate::authority::require_over(&mut tx, &act.who.permissions, id).await?;
    let doc = gather(&mut tx, act.envelope, id, act.now).await?;
    let ctx = act.context();
    recorded(&mut tx, &ctx, id, &doc).await?;
    tx.commit().await?;
    Ok(doc)
}

/// The person's own export, from their account page; `ctx` names them as the actor.
pub async fn export_own(
    db: &crate::db::Db,
    ctx: &Context<'_>,
    me: &crate::auth::sessions::ActiveSession,
) -> Result<PersonExport, AppError> {
    let mut tx = db.tenant(me.tenant).await?;
    let doc = gather(&mut tx, ctx.envelope, me.user, ctx.now).await?;
    recorded(&mut tx, ctx, me.user, &doc).await?;
    tx.commit().await?;
    Ok(doc)
}

/// The export's own audit entry: what it held, by count (never the data itself).
async fn recorded(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    id: UserId,
    doc: &PersonExport,
) -> Result<(), AppError> {
    let details = json!({
        "sessions": doc.sessions.len(), "api_keys": doc.api_keys.len(),
        "audit_entries": doc.audit.len(),
    });
    let target = format!("user:{id}");
    ctx.record(tx, Action::UserExported, &target, details)
        .await?;
    Ok(())
}

async fn gather(
    tx: &mut TenantTx,
    envelope: &crate::crypto::Envelope,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<PersonExport, AppError> {
    let user = users::get(tx, id).await?;
    let profile = view(tx, user).await?;
    let sessions = sessions::all_for_user(tx, id.0)
        .await?
        .into_iter()
        .map(|s| SessionEntry {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            amr: s.amr,
            ended_at: s.ended_at,
        })
        .collect();
    let status = crate::mfa::factors::status(tx, id).await?;
    let factors = Factors {
        authenticator_app: status.enrolled,
        recovery_codes_left: status.recovery_codes_left,
        passkeys: crate::passkeys::credentials::list(tx, id).await?,
    };
    let maker = format!("user:{id}");
    let all_keys = keys::list(tx, envelope, now).await?;
    let api_keys = all_keys
        .into_iter()
        .filter(|k| k.created_by == maker)
        .collect();
    let audit = audit_log::about(tx, &maker)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            ip_hash: r.ip_hash,
            details: r.details,
        })
        .collect();
    Ok(PersonExport {
        format: FORMAT,
        exported_at: now,
        profile,
        sessions,
        factors,
        api_keys,
        audit,
    })
}
