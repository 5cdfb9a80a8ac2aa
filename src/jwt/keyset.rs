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
    /// Builds from every row, revoked ones included: a revoked key is left out, but still
    /// supersedes the keys before it (revoking the newest key never revives an older one).
    /// `previous` signers are reused to avoid re-parsing.
    pub fn build(
        mut rows: Vec<SigningKeyRow>,
        envelope: &Envelope,
        retention: Duration,
        previous: &HashMap<String, Arc<Signer>>,
    ) -> Result<Self, KeySetError> {
        rows.sort_by(|a, b| (&a.alg, a.activates_at).cmp(&(&b.alg, b.activates_at)));
        let mut keys = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if row.revoked_at.is_some() {
                continue;
            }
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
    /// The `kid`s the JWKS shows at `now`: what decides whether a served copy is current.
    pub fn published_kids(&self, now: DateTime<Utc>) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|k| self.state(k, now) != KeyState::Expired)
            .map(|k| k.kid.as_str())
            .collect()
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;
    use crate::jwt::keys::generate;

    fn row(env: &Envelope, alg: Alg, activates_at: DateTime<Utc>) -> SigningKeyRow {
        let k = generate(alg).unwrap();
        SigningKeyRow {
            private_enc: env.seal(&private_context(&k.kid), &k.pkcs8),
            kid: k.kid,
            alg: alg.as_str().into(),
            public_jwk: k.public_jwk,
            created_at: activates_at,
            activates_at,
            revoked_at: None,
        }
    }

    fn published(set: &KeySet, kid: &str, now: DateTime<Utc>) -> bool {
        set.jwks(now).to_string().contains(kid)
    }

    #[test]
    fn next_active_retired_expired_follow_the_clock() {
        let env = Envelope::new(Keyring::from_keys([(1, [9u8; 32])]));
        let t0 = Utc::now();
        let old = row(&env, Alg::EdDSA, t0);
        let new = row(&env, Alg::EdDSA, t0 + Duration::minutes(10));
        let other_alg = row(&env, Alg::ES256, t0);
        let (old_kid, new_kid) = (old.kid.clone(), new.kid.clone());
        let set = KeySet::build(
            vec![new, old, other_alg],
            &env,
            Duration::hours(1),
            &HashMap::new(),
        )
        .unwrap();

        // Before activation the new key is published but neither signs nor verifies.
        let t = t0 + Duration::minutes(5);
        assert_eq!(set.signer(Alg::EdDSA, t).unwrap().kid(), old_kid);
        assert!(published(&set, &new_kid, t));
        assert!(set.verifier(&new_kid, t).is_none());

        // After activation it signs; the old key retires but still verifies and is published.
        let t = t0 + Duration::minutes(11);
        assert_eq!(set.signer(Alg::EdDSA, t).unwrap().kid(), new_kid);
        assert!(set.verifier(&old_kid, t).is_some());
        assert!(published(&set, &old_kid, t));
        // Another algorithm's key is not retired by it.
        assert!(set.signer(Alg::ES256, t).is_some());

        // Revoking the newest key does not bring the older one back.
        let mut rows_again = vec![
            row(&env, Alg::EdDSA, t0),
            row(&env, Alg::EdDSA, t0 + Duration::minutes(10)),
        ];
        rows_again[1].revoked_at = Some(t0 + Duration::minutes(20));
        let older = rows_again[0].kid.clone();
        let revoked = KeySet::build(rows_again, &env, Duration::hours(1), &HashMap::new()).unwrap();
        let t = t0 + Duration::minutes(30);
        assert!(
            revoked.signer(Alg::EdDSA, t).is_none(),
            "a retired key signs again"
        );
        assert!(
            revoked.verifier(&older, t).is_some(),
            "still within its retention"
        );

        // Once every token it signed has expired, the old key is gone.
        let t = t0 + Duration::minutes(10) + Duration::hours(1) + Duration::seconds(1);
        assert!(set.verifier(&old_kid, t).is_none());
        assert!(!published(&set, &old_kid, t));
    }
}
