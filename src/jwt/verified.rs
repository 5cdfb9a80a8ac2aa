//! Access tokens whose signature and claims this instance has checked, by the SHA-256 of
//! the token: a repeated introspection skips the signature check. An entry lives until the
//! token expires or [`MAX_AGE_SECS`], whichever is first; a hit still needs the expected
//! issuer and audience and a key that is still published, and callers still ask whether the
//! token is honoured (revocation, session, client) on every call.

use super::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use super::keyset::KeySet;
use super::validate::Expect;
use crate::db::memory::GuardedMap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

pub const MAX_AGE_SECS: i64 = 60;
const CAPACITY: usize = 50_000;

/// A checked token, and its introspection answer once one was written.
pub struct Verified {
    pub claims: AccessClaims,
    kid: String,
    until: i64,
    /// The `active: true` body, serialised once (it depends on the claims only).
    pub introspection: OnceLock<Vec<u8>>,
}

pub struct VerifiedTokens {
    map: GuardedMap<[u8; 32], Arc<Verified>>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self {
            map: GuardedMap::new(CAPACITY),
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// The checked token, if it was checked before and still meets `expect` at `now`.
    pub fn get(
        &self,
        token: &str,
        keys: &KeySet,
        expect: &Expect<'_>,
        now: DateTime<Utc>,
    ) -> Option<Arc<Verified>> {
        // Only access tokens are remembered: any other expectation checks afresh.
        if expect.typ != ACCESS_TOKEN_TYP {
            return None;
        }
        let found = self.map.get(&digest(token))?;
        let c = &found.claims;
        let fits = now.timestamp() < found.until
            && c.iss == expect.issuer
            && expect.audience.is_none_or(|a| c.aud == a)
            && keys.verifier(&found.kid, now).is_some();
        fits.then_some(found)
    }

    /// Remembers a token that just passed every check.
    pub fn put(
        &self,
        token: &str,
        claims: AccessClaims,
        kid: String,
        now: DateTime<Utc>,
    ) -> Arc<Verified> {
        let until = claims.exp.min(now.timestamp() + MAX_AGE_SECS);
        let entry = Arc::new(Verified {
            claims,
            kid,
            until,
            introspection: OnceLock::new(),
        });
        if until > now.timestamp() {
            self.map.insert_if(digest(token), entry.clone(), || true);
        }
        entry
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
