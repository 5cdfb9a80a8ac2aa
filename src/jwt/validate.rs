//! The one place where JWTs are accepted. Rules: the header may not carry `jku`, `x5u`,
//! `jwk` or `x5c` (never trusted, so refused); `typ` must be the expected one (an ID token
//! is never an access token); `kid` must name a published, active or retired key, and the
//! header's `alg` must be that key's; `iss` and `aud` must be exactly the expected values;
//! `iss`, `aud`, `exp`, `nbf` and `sub` are required, with a small configured leeway.

use super::claims::AccessClaims;
use super::keyset::KeySet;
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, decode_header, Validation};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("token header carries a key reference that is never trusted")]
    UntrustedHeader,
    #[error("wrong token type")]
    WrongType,
    #[error("unknown or unpublished key")]
    UnknownKey,
    #[error("algorithm does not match the key")]
    AlgorithmMismatch,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("bad signature")]
    BadSignature,
    #[error("missing or malformed claims")]
    BadClaims,
}

/// What the caller expects of a token.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// `None` only where the caller checks the audience itself (revocation).
    pub audience: Option<&'a str>,
    pub typ: &'a str,
    pub leeway_secs: u64,
}

fn typ_matches(actual: Option<&str>, expected: &str) -> bool {
    let Some(actual) = actual else { return false };
    let actual = actual.to_ascii_lowercase();
    let expected = expected.to_ascii_lowercase();
    actual == expected || actual.strip_prefix("application/") == Some(expected.as_str())
}

/// Validates `token` against the keys of `keys` as of `now`.
pub fn validate<C: DeserializeOwned>(
    keys: &KeySet,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
) -> Result<C, TokenError> {
    check(
        keys,
        token,
        expect,
        now,
        &["iss", "aud", "exp", "nbf", "sub"],
        true,
    )
}

fn check<C: DeserializeOwned>(
    keys: &KeySet,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
    required: &[&str],
    check_exp: bool,
) -> Result<C, TokenError> {
    let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
    if header.jku.is_some() || header.x5u.is_some() || header.jwk.is_some() || header.x5c.is_some()
    {
        return Err(TokenError::UntrustedHeader);
    }
    if !typ_matches(header.typ.as_deref(), expect.typ) {
        return Err(TokenError::WrongType);
    }
    let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
    let key = keys.verifier(kid, now).ok_or(TokenError::UnknownKey)?;
    if header.alg != key.alg.jwt() {
        return Err(TokenError::AlgorithmMismatch);
    }
    let mut validation = Validation::new(key.alg.jwt());
    validation.set_issuer(&[expect.issuer]);
    match expect.audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(required);
    validation.leeway = expect.leeway_secs;
    validation.validate_exp = check_exp;
    validation.validate_nbf = true;
    use jsonwebtoken::errors::ErrorKind;
    decode::<C>(token, &key.decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidAlgorithm => TokenError::AlgorithmMismatch,
            _ => TokenError::BadClaims,
        })
}

/// What logout needs from an `id_token_hint`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IdTokenHint {
    pub sub: String,
    pub aud: String,
    #[serde(default)]
    pub sid: Option<String>,
}

/// An ID token handed back at logout: our signature, our issuer, `typ: JWT`; an expired one
/// is still a fine hint (OIDC RP-Initiated Logout), so expiry is not checked.
pub fn id_token_hint(
    keys: &KeySet,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<IdTokenHint, TokenError> {
    let expect = Expect {
        issuer,
        audience: None,
        typ: super::claims::ID_TOKEN_TYP,
        leeway_secs: 0,
    };
    check(keys, token, &expect, now, &["iss", "aud", "sub"], false)
}

/// An access token for `expect.audience`.
pub fn access_token(
    keys: &KeySet,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    let claims: AccessClaims = validate(keys, token, expect, now)?;
    // jsonwebtoken compares the clock itself; `iat` far in the future is refused here.
    if claims.iat > now.timestamp() + expect.leeway_secs as i64 {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}
