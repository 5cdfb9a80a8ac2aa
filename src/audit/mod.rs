//! Tamper-evident audit log: every privileged action writes its entry in the same
//! transaction as the action itself; the chainer then appends it to the tenant's hash chain.

pub mod action;
pub mod chain;
pub mod chainer;
pub mod erasure;
pub mod retention;
pub mod seal;
pub mod verify;

pub use action::Action;

use crate::crypto::{Envelope, SecretContext};
use crate::db::models::audit_pending::PendingEntry;
use crate::db::models::secrets;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

const IP_SALT: &str = "audit_ip_salt";
/// Name of the tenant secret that keys the chain's HMAC.
pub const CHAIN_KEY: &str = "audit_chain_key";

/// Who did it, e.g. `user:<id>`, `cli`, `scim_token:<id>`.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: &'a str,
    pub action: Action,
    pub target: &'a str,
    pub details: Value,
}

/// Request facts every entry carries.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub trace_id: String,
    pub ip: Option<IpAddr>,
}

/// The origin of work no request asked for (schedules, the operator's commands).
pub static NO_REQUEST: Origin = Origin {
    trace_id: String::new(),
    ip: None,
};

/// One audited write's circumstances: who acts, from where, when, and the key that seals
/// the entry. A change passes this one value instead of four, and records its entry in its
/// own transaction with [`Context::record`].
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub envelope: &'a Envelope,
    pub actor: &'a str,
    pub origin: &'a Origin,
    pub now: DateTime<Utc>,
}

impl<'a> Context<'a> {
    /// Work the service does on its own schedule (retention, refreshes, rotation flags),
    /// recorded with `system` as the actor.
    pub fn system(envelope: &'a Envelope, now: DateTime<Utc>) -> Context<'a> {
        Context::without_request(envelope, "system", now)
    }

    /// Work by `actor` that no request carried (a CLI command, a test's set-up).
    pub fn without_request(
        envelope: &'a Envelope,
        actor: &'a str,
        now: DateTime<Utc>,
    ) -> Context<'a> {
        Context {
            envelope,
            actor,
            origin: &NO_REQUEST,
            now,
        }
    }

    /// The same circumstances, acted by `actor` (a person once known, `anonymous` for an
    /// unauthenticated browser).
    pub fn by(self, actor: &'a str) -> Context<'a> {
        Context { actor, ..self }
    }

    /// Records `action` on `target` by this context's actor, in `tx`: the entry commits or
    /// rolls back with the change it describes.
    pub async fn record(
        &self,
        tx: &mut TenantTx,
        action: Action,
        target: &str,
        details: Value,
    ) -> Result<(), AuditError> {
        let event = Event {
            actor: self.actor,
            action,
            target,
            details,
        };
        record(tx, self.envelope, event, self.origin, self.now).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// A tenant audit secret, or a waiting entry's seal, needs a key this keyring lacks
    /// or does not open.
    #[error("audit secret: {0}")]
    Secret(#[from] crate::crypto::envelope::EnvelopeError),
}

impl From<AuditError> for crate::error::AppError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Db(db) => db.into(),
            other => crate::error::AppError::internal(other),
        }
    }
}

/// Adds `event` to the audit log of the transaction's tenant, committed with the action
/// (or at once in a read session). The chainer appends it to the tenant's hash chain
/// moments later (see [`chainer`]); exports and `audit verify` chain what waits first.
/// Private: a change records through its [`Context`], the one audited write.
async fn record(
    tx: &mut TenantTx,
    envelope: &Envelope,
    event: Event<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let mut entry = PendingEntry {
        id: uuid::Uuid::now_v7(),
        tenant_id: tx.tenant().0,
        occurred_at: chain::to_micros(now),
        actor: event.actor.to_string(),
        action: event.action.to_string(),
        target: event.target.to_string(),
        trace_id: origin.trace_id.clone(),
        details: event.details,
        seal: String::new(),
    };
    let sealer = envelope.for_tenant(tx).await?;
    entry.seal = seal::seal(&sealer, &entry, origin.ip)?;
    // The change's events (if any) commit or roll back with it and its entry.
    crate::events::stage(tx, &entry.action, &entry.target, &entry.details, now).await?;
    tx.add_audit(entry).await?;
    Ok(())
}

/// Appends to the platform chain (key rotations and other platform-wide actions) in a
/// transaction of its own.
pub async fn record_platform(
    db: &Db,
    envelope: &Envelope,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    record(&mut tx, envelope, event, &Origin::default(), now).await?;
    tx.commit().await?;
    Ok(())
}

pub fn secret_context(tx: &TenantTx, name: &'static str) -> SecretContext<'static> {
    SecretContext {
        tenant: tx.tenant(),
        table: secrets::TABLE,
        column: secrets::COLUMN,
        row: name,
    }
}

/// The tenant's secret `name` (IP salt, chain key), 32 random bytes made on first use and
/// kept envelope-encrypted.
pub async fn ensure_secret(
    tx: &mut TenantTx,
    envelope: &Envelope,
    name: &'static str,
) -> Result<Vec<u8>, AuditError> {
    let ctx = secret_context(tx, name);
    let sealer = envelope.for_tenant(tx).await?;
    let stored = match secrets::get(tx, name).await? {
        Some(s) => s,
        None => {
            let fresh = sealer.seal(&ctx, &crate::crypto::random::bytes::<32>())?;
            secrets::insert_or_get(tx, name, &fresh).await?
        }
    };
    Ok(sealer.open(&ctx, &stored)?.to_vec())
}

/// Creates the secrets a new tenant's audit log needs.
pub async fn prepare_tenant(tx: &mut TenantTx, envelope: &Envelope) -> Result<(), AuditError> {
    ensure_secret(tx, envelope, IP_SALT).await?;
    ensure_secret(tx, envelope, CHAIN_KEY).await?;
    Ok(())
}

pub(crate) fn hash_ip(salt: &[u8], ip: IpAddr) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(ip.to_string().as_bytes());
    hex::encode(h.finalize())
}
