//! The seal of a waiting audit entry. The runtime role can write `audit_pending`, so the
//! table alone must not decide what gets chained: each entry carries an envelope
//! ciphertext (platform key, bound to its tenant and id) of its own digest and source IP.
//! Only the service can make one; the chainer refuses an entry whose seal does not open
//! or does not match. The IP also stays out of the table in clear.

use super::chain::{canonical_json, time_text};
use crate::crypto::envelope::EnvelopeError;
use crate::crypto::{Sealer, SecretContext};
use crate::db::models::audit_pending::{PendingEntry, SEAL_COLUMN, TABLE};
use crate::ids::TenantId;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Why an entry is refused (recorded in its place in the chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The seal does not open here: forged, or moved from another entry.
    Unsealed,
    /// The seal opens but names other content: the entry was edited.
    Altered,
    /// An entry of this id is in the chain already: a replayed copy.
    Replayed,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Unsealed => "seal does not open",
            Refusal::Altered => "entry does not match its seal",
            Refusal::Replayed => "entry already chained",
        }
    }
}

fn context(tenant: TenantId, row: &str) -> SecretContext<'_> {
    SecretContext {
        tenant,
        table: TABLE,
        column: SEAL_COLUMN,
        row,
    }
}

/// SHA-256 of everything the chain will record of the entry (its seal aside).
fn digest(e: &PendingEntry) -> String {
    let body = serde_json::json!({
        "id": e.id,
        "tenant": e.tenant_id,
        "time": time_text(e.occurred_at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "trace_id": e.trace_id,
        "details": e.details,
    });
    hex::encode(Sha256::digest(canonical_json(&body).as_bytes()))
}

/// Seals `entry` (its `seal` field is ignored) with its source IP.
pub fn seal(
    sealer: &Sealer<'_>,
    entry: &PendingEntry,
    ip: Option<IpAddr>,
) -> Result<String, EnvelopeError> {
    let payload = serde_json::json!({
        "digest": digest(entry),
        "ip": ip.map(|ip| ip.to_string()),
    });
    let row = entry.id.to_string();
    sealer.seal(
        &context(TenantId(entry.tenant_id), &row),
        payload.to_string().as_bytes(),
    )
}

/// The entry's source IP when its seal holds. `Err(Ok(refusal))`: the entry is refused;
/// `Err(Err(e))`: the seal needs a platform key this keyring lacks, so the entry must wait
/// for an instance that has it.
pub fn open(
    sealer: &Sealer<'_>,
    entry: &PendingEntry,
) -> Result<Option<IpAddr>, Result<Refusal, EnvelopeError>> {
    let row = entry.id.to_string();
    let opened = match sealer.open(&context(TenantId(entry.tenant_id), &row), &entry.seal) {
        Ok(o) => o,
        Err(
            e @ (EnvelopeError::UnknownVersion(_)
            | EnvelopeError::UnknownTenantVersion(_)
            | EnvelopeError::KeyDestroyed),
        ) => return Err(Err(e)),
        Err(_) => return Err(Ok(Refusal::Unsealed)),
    };
    let payload: serde_json::Value =
        serde_json::from_slice(&opened).map_err(|_| Ok(Refusal::Unsealed))?;
    if payload["digest"].as_str() != Some(digest(entry).as_str()) {
        return Err(Ok(Refusal::Altered));
    }
    Ok(payload["ip"].as_str().and_then(|ip| ip.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Envelope, Keyring};

    fn entry() -> PendingEntry {
        PendingEntry {
            id: uuid::Uuid::now_v7(),
            tenant_id: TenantId::PLATFORM.0,
            occurred_at: crate::audit::chain::to_micros(chrono::Utc::now()),
            actor: "user:1".into(),
            action: "role.granted".into(),
            target: "user:2".into(),
            trace_id: "t".into(),
            details: serde_json::json!({"role": "admin"}),
            seal: String::new(),
        }
    }

    #[test]
    fn a_seal_holds_for_its_entry_only() {
        let env = Envelope::new(Keyring::from_keys([(1, [7u8; 32])]));
        let env = env.platform_sealer();
        let mut e = entry();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        e.seal = seal(&env, &e, Some(ip)).unwrap();
        assert_eq!(open(&env, &e), Ok(Some(ip)));
        assert!(!e.seal.contains("192.0.2.7"));

        let mut edited = e.clone();
        edited.action = "role.revoked".into();
        assert_eq!(open(&env, &edited), Err(Ok(Refusal::Altered)));
        let mut moved = entry();
        moved.seal = e.seal.clone();
        assert_eq!(open(&env, &moved), Err(Ok(Refusal::Unsealed)));
        let other_key = Envelope::new(Keyring::from_keys([(1, [8u8; 32])]));
        assert_eq!(
            open(&other_key.platform_sealer(), &e),
            Err(Ok(Refusal::Unsealed))
        );
        let newer_only = Envelope::new(Keyring::from_keys([(2, [7u8; 32])]));
        assert!(matches!(
            open(&newer_only.platform_sealer(), &e),
            Err(Err(EnvelopeError::UnknownVersion(1)))
        ));
    }
}
