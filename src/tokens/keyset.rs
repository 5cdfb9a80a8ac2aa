//! One snapshot of the signing keys with their lifecycle, derived from times:
//! `next` before activation (published, signs nothing, verifies nothing), `active` until a
//! newer key of its algorithm activates, then `retired` (published and verifying, never
//! signing) for `retention` (the longest token lifetime plus leeway), then gone.

use super::keys::{decoding_key, Alg, Signer};
use crate::crypto::{Envelope, SecretContext};
use crate::db::models::signing_keys::{self, SigningKeyRow};
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::DecodingKey;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Next,
    Active,
    Retired,
    Expired,
}

pub struct LoadedKey {
    pub kid: String,
    pub alg: Alg,
    pub activates_at: DateTime<Utc>,
    /// When the next key of the same algorithm activates (this key's retirement).
    pub superseded_at: Option<DateTime<Utc>>,
    pub signer: Arc<Signer>,
    pub decoding: DecodingKey,
    pub jwk: Value,
}

#[derive(Default)]
pub struct KeySet {
    keys: Vec<LoadedKey>,
    retention: Duration,
}

/// AAD context of a signing key's private part.
pub fn private_context(kid: &str) -> SecretContext<'_> {
    SecretContext {
        tenant: TenantId::PLATFORM,
        table: signing_keys::TABLE,
        column: signing_keys::COLUMN,
        row: kid,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("signing key {kid}: {reason}")]
    Key { kid: String, reason: String },
}

impl KeySet {
    /// Builds from non-revoked rows; `previous` signers are reused to avoid re-parsing.
    pub fn build(
        mut rows: Vec<SigningKeyRow>,
        envelope: &Envelope,
        retention: Duration,
        previous: &HashMap<String, Arc<Signer>>,
    ) -> Result<Self, KeySetError> {
        rows.sort_by(|a, b| (&a.alg, a.activates_at).cmp(&(&b.alg, b.activates_at)));
        let mut keys = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let fail = |reason: String| KeySetError::Key {
                kid: row.kid.clone(),
                reason,
            };
            let alg: Alg = row
                .alg
                .parse()
                .map_err(|e: super::keys::KeyError| fail(e.to_string()))?;
            let signer = match previous.get(&row.kid) {
                Some(s) => s.clone(),
                None => {
                    let der = envelope
                        .open(&private_context(&row.kid), &row.private_enc)
                        .map_err(|e| fail(e.to_string()))?;
                    Arc::new(
                        Signer::from_pkcs8(&row.kid, alg, &der).map_err(|e| fail(e.to_string()))?,
                    )
                }
            };
            let superseded_at = rows
                .get(i + 1)
                .filter(|next| next.alg == row.alg)
                .map(|next| next.activates_at);
            keys.push(LoadedKey {
                kid: row.kid.clone(),
                alg,
                activates_at: row.activates_at,
                superseded_at,
                decoding: decoding_key(alg, &row.public_jwk).map_err(|e| fail(e.to_string()))?,
                jwk: row.public_jwk.clone(),
                signer,
            });
        }
        Ok(Self { keys, retention })
    }

    pub fn signers(&self) -> HashMap<String, Arc<Signer>> {
        self.keys
            .iter()
            .map(|k| (k.kid.clone(), k.signer.clone()))
            .collect()
    }

    pub fn state(&self, key: &LoadedKey, now: DateTime<Utc>) -> KeyState {
        if now < key.activates_at {
            return KeyState::Next;
        }
        match key.superseded_at {
            Some(s) if now >= s + self.retention => KeyState::Expired,
            Some(s) if now >= s => KeyState::Retired,
            _ => KeyState::Active,
        }
    }

    /// The key that signs new tokens of `alg` now.
    pub fn signer(&self, alg: Alg, now: DateTime<Utc>) -> Option<Arc<Signer>> {
        self.keys
            .iter()
            .find(|k| k.alg == alg && self.state(k, now) == KeyState::Active)
            .map(|k| k.signer.clone())
    }

    /// The key that may verify a token with this `kid`: active or retired only.
    pub fn verifier(&self, kid: &str, now: DateTime<Utc>) -> Option<&LoadedKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid)
            .filter(|k| matches!(self.state(k, now), KeyState::Active | KeyState::Retired))
    }

    /// The published key set: next, active and retired keys.
    pub fn jwks(&self, now: DateTime<Utc>) -> Value {
        let keys: Vec<&Value> = self
            .keys
            .iter()
            .filter(|k| self.state(k, now) != KeyState::Expired)
            .map(|k| &k.jwk)
            .collect();
        json!({ "keys": keys })
    }

    pub fn keys(&self) -> &[LoadedKey] {
        &self.keys
    }
}
