//! Authorization codes (`idc_...`): single use, at most 60 seconds, bound to the client, the
//! exact redirect URI and the PKCE S256 challenge. Any failed redemption burns the code. A
//! second use of a redeemed code revokes what the first use issued (its refresh family and
//! its access token), as RFC 6749 §4.1.2 recommends.

use crate::crypto::tenant_token;
use crate::db::models::{codes as model, refresh as refresh_model, revocations};
use crate::db::{DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PREFIX: &str = "idc_";
pub const CODE_TTL_SECS: i64 = 60;

/// What a code stands for.
pub struct CodeGrant<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub user: UserId,
    pub session: Uuid,
    /// BASE64URL(SHA-256(verifier)); `plain` is never accepted.
    pub code_challenge: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("unknown code")]
    Unknown,
    #[error("code already used")]
    Reused,
    #[error("code expired")]
    Expired,
    #[error("code was issued to another client")]
    WrongClient,
    #[error("redirect_uri differs from the authorization request")]
    WrongRedirect,
    #[error("code_verifier does not match the challenge")]
    WrongVerifier,
}

/// A redeemed code: what the token endpoint issues tokens for.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub code_hash: String,
    pub user: UserId,
    pub session: Uuid,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
}

/// The tenant whose transaction holds this code.
pub fn tenant_of(code: &str) -> Option<TenantId> {
    tenant_token::tenant_of(PREFIX, code)
}

/// PKCE S256: the verifier is 43-128 unreserved characters and hashes to the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

pub async fn issue(
    tx: &mut TenantTx,
    grant: &CodeGrant<'_>,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let code = tenant_token::mint(PREFIX, tx.tenant());
    let row = model::CodeRow {
        code_hash: tenant_token::hash(&code),
        client_id: grant.client_id.to_string(),
        redirect_uri: grant.redirect_uri.to_string(),
        user_id: grant.user.0,
        session_id: grant.session,
        code_challenge: grant.code_challenge.to_string(),
        scope: grant.scope.to_string(),
        nonce: grant.nonce.map(str::to_string),
        auth_time: grant.auth_time,
        amr: grant.amr.to_vec(),
        expires_at: now + Duration::seconds(CODE_TTL_SECS),
        used_at: None,
        issued_family: None,
        issued_jti: None,
        issued_exp: None,
    };
    model::insert(tx, &row).await?;
    Ok(code)
}

/// Redeems `code` inside `tx` (a transaction of the code's tenant). On `Err(Reused)` the
/// caller must still commit: the revocations made here are the point.
pub async fn redeem(
    tx: &mut TenantTx,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    verifier: &str,
    now: DateTime<Utc>,
) -> Result<Result<Redeemed, CodeError>, DbError> {
    let hash = tenant_token::hash(code);
    let Some(row) = model::lock(tx, &hash).await? else {
        return Ok(Err(CodeError::Unknown));
    };
    if row.used_at.is_some() {
        if let Some(family) = row.issued_family {
            refresh_model::revoke_family(tx, family, now).await?;
        }
        if let (Some(jti), Some(exp)) = (&row.issued_jti, row.issued_exp) {
            revocations::insert(tx, jti, exp).await?;
        }
        return Ok(Err(CodeError::Reused));
    }
    // From here on the code is spent, whatever the outcome.
    model::mark_used(tx, &hash, now).await?;
    let outcome = if now >= row.expires_at {
        Err(CodeError::Expired)
    } else if row.client_id != client_id {
        Err(CodeError::WrongClient)
    } else if row.redirect_uri != redirect_uri {
        Err(CodeError::WrongRedirect)
    } else if !pkce_matches(verifier, &row.code_challenge) {
        Err(CodeError::WrongVerifier)
    } else {
        Ok(Redeemed {
            code_hash: hash,
            user: UserId(row.user_id),
            session: row.session_id,
            scope: row.scope,
            nonce: row.nonce,
            auth_time: row.auth_time,
            amr: row.amr,
        })
    };
    Ok(outcome)
}

/// Notes what the redemption issued, in the same transaction.
pub async fn record_issued(
    tx: &mut TenantTx,
    redeemed: &Redeemed,
    family: Option<Uuid>,
    jti: &str,
    exp: DateTime<Utc>,
) -> Result<(), DbError> {
    model::record_issued(tx, &redeemed.code_hash, family, jti, exp).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(challenge, challenge), "plain is not S256");
        assert!(!pkce_matches("short", challenge));
    }
}
