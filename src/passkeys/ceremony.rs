//! WebAuthn challenges kept server-side, as webauthn-rs requires: the state of each
//! ceremony is stored under SHA-256 of a random cookie value, with the purpose and what
//! it is bound to (the session or pending sign-in). Taking it deletes it, so an answer
//! can be checked once; it expires after five minutes.

use super::PasskeyError;
use crate::crypto::{random, tenant_token};
use crate::db::models::passkeys as model;
use crate::db::Db;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const LIFETIME_SECS: i64 = 300;
const PREFIX: &str = "idpk_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to a signed-in person's account.
    Register,
    /// A passwordless sign-in with a discoverable credential.
    SignIn,
    /// A passkey as the second factor of a pending sign-in.
    SecondFactor,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::SecondFactor => "second_factor",
        }
    }
}

/// What a ceremony is bound to besides the cookie, as stored: a hash, never the value.
pub fn binding(of: &str) -> String {
    if of.is_empty() {
        String::new()
    } else {
        tenant_token::hash(of)
    }
}

/// Stores a ceremony's state; answers the cookie value for the browser (never stored).
pub async fn start<S: Serialize>(
    db: &Db,
    purpose: Purpose,
    bound_to: &str,
    state: &S,
    now: DateTime<Utc>,
) -> Result<String, PasskeyError> {
    let cookie = format!("{PREFIX}{}", random::token::<32>());
    let state =
        serde_json::to_value(state).map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
    let mut tx = db.platform().await?;
    let new = model::NewChallenge {
        token_hash: &tenant_token::hash(&cookie),
        purpose: purpose.as_str(),
        bound_to: &binding(bound_to),
        state: &state,
        expires_at: now + Duration::seconds(LIFETIME_SECS),
    };
    model::put_challenge(&mut tx, &new, now).await?;
    tx.commit().await?;
    Ok(cookie)
}

/// Uses up the ceremony behind `cookie`: its state when it is live, for this purpose and
/// bound to `bound_to`; [`PasskeyError::Expired`] otherwise (it is gone either way).
pub async fn take<S: DeserializeOwned>(
    db: &Db,
    cookie: &str,
    purpose: Purpose,
    bound_to: &str,
    now: DateTime<Utc>,
) -> Result<S, PasskeyError> {
    if !cookie.starts_with(PREFIX) {
        return Err(PasskeyError::Expired);
    }
    let mut tx = db.platform().await?;
    let hash = tenant_token::hash(cookie);
    let found =
        model::take_challenge(&mut tx, &hash, purpose.as_str(), &binding(bound_to), now).await?;
    tx.commit().await?;
    let state = found.ok_or(PasskeyError::Expired)?;
    serde_json::from_value(state).map_err(|_| PasskeyError::Expired)
}
