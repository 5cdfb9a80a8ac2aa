//! Introspection (RFC 7662) and revocation (RFC 7009). A token is active for a caller only
//! if it is valid *for that caller*: a JWT must name the caller's own resource audience,
//! an API key must belong to the caller's tenant (or the caller be a platform resource
//! server). Whether a token is still honoured (revocations, ended sessions, deleted clients,
//! revoked API keys) is answered by `super::honour` from memory kept current by the change
//! feed, or from the database whenever that feed is not trusted.

use super::clients::Client;
use super::error::OAuthError;
use super::honour::{still_honoured, tenant_of_claims};
use super::service_grants::api_key_subject;
use crate::apikeys;
use crate::config::TokenSettings;
use crate::db::models::{refresh as refresh_model, revocations};
use crate::db::Db;
use crate::jwt::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use crate::jwt::validate::{self, Expect, TokenError};
use crate::jwt::verified::Verified;
use crate::jwt::KeyStore;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Checks an access token: from the verified-token memory when this exact token passed
/// before, else signature and claims with the current keys (on an unknown `kid` the keys
/// are reloaded, at most once a second, and the check runs again, so a key another instance
/// just started using is found).
pub async fn verified_access(
    keys: &KeyStore,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
) -> Result<Arc<Verified>, TokenError> {
    let set = keys.current();
    if let Some(hit) = keys.verified().get(token, &set, expect, now) {
        return Ok(hit);
    }
    let claims = match validate::access_token(&set, token, expect, now) {
        Err(TokenError::UnknownKey) if keys.refresh_if_older_than(Duration::from_secs(1)).await => {
            validate::access_token(&keys.current(), token, expect, now)
        }
        other => other,
    }?;
    let kid = jsonwebtoken::decode_header(token)
        .ok()
        .and_then(|h| h.kid)
        .ok_or(TokenError::UnknownKey)?;
    Ok(keys.verified().put(token, claims, kid, now))
}

/// [`verified_access`], as owned claims.
pub async fn validate_access(
    keys: &KeyStore,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    Ok(verified_access(keys, token, expect, now)
        .await?
        .claims
        .clone())
}

/// The `active: true` answer for a JWT (RFC 7662 §2.2).
#[derive(Serialize)]
struct ActiveJwt<'a> {
    active: bool,
    token_type: &'static str,
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    client_id: &'a str,
    scope: &'a str,
    exp: i64,
    iat: i64,
    nbf: i64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<&'a [String]>,
}

fn active_body(c: &AccessClaims) -> Vec<u8> {
    let answer = ActiveJwt {
        active: true,
        token_type: "Bearer",
        iss: &c.iss,
        sub: &c.sub,
        aud: &c.aud,
        client_id: &c.client_id,
        scope: &c.scope,
        exp: c.exp,
        iat: c.iat,
        nbf: c.nbf,
        jti: &c.jti,
        tid: c.tid.as_deref(),
        roles: c.roles.as_deref(),
    };
    serde_json::to_vec(&answer).unwrap_or_else(|_| INACTIVE.to_vec())
}

/// The serialised answer of an introspection.
pub const INACTIVE: &[u8] = br#"{"active":false}"#;

pub async fn introspect(
    db: &Db,
    keys: &KeyStore,
    settings: &TokenSettings,
    caller: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, OAuthError> {
    if token.starts_with(apikeys::PREFIX) {
        return Ok(
            match introspect_api_key(db, settings, caller, token, now).await? {
                Some(answer) => serde_json::to_vec(&answer).map_err(OAuthError::server)?,
                None => INACTIVE.to_vec(),
            },
        );
    }
    let Some(audience) = caller.resource_audience.as_deref() else {
        return Ok(INACTIVE.to_vec());
    };
    let expect = Expect {
        issuer: &settings.issuer,
        audience: Some(audience),
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: settings.leeway_secs,
    };
    let Ok(verified) = verified_access(keys, token, &expect, now).await else {
        return Ok(INACTIVE.to_vec());
    };
    let claims = &verified.claims;
    if caller.tenant_id.is_some() && caller.tenant_id.map(|t| t.to_string()) != claims.tid {
        return Ok(INACTIVE.to_vec());
    }
    match still_honoured(db, claims, now).await {
        Ok(true) => {}
        Ok(false) | Err(OAuthError::WorkspaceSuspended) => return Ok(INACTIVE.to_vec()),
        Err(e) => return Err(e),
    }
    Ok(verified
        .introspection
        .get_or_init(|| active_body(claims))
        .clone())
}

/// An API key presented for introspection: its tenant must be the caller's (or the caller a
/// platform resource server). From memory when it can (`apikeys::remembered`): the answer
/// carries the permissions its maker holds now, and memory forgets a workspace's keys when
/// anything that decides them changes.
async fn introspect_api_key(
    db: &Db,
    settings: &TokenSettings,
    caller: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Value>, OAuthError> {
    let key = match crate::apikeys::remembered::authenticate(db, token, now).await {
        Ok(Some(key)) => key,
        Ok(None) | Err(crate::db::DbError::TenantNotActive) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let allowed = match caller.tenant_id {
        Some(t) => t == key.tenant,
        None => caller.resource_audience.is_some(),
    };
    if !allowed {
        return Ok(None);
    }
    let mut out = json!({
        "active": true,
        "token_type": "api_key",
        "sub": api_key_subject(key.key_id),
        "client_id": api_key_subject(key.key_id),
        "tid": key.tenant.to_string(),
        "roles": key.named_roles(),
        "scope": key.permissions.join(" "),
        "iat": key.created_at.timestamp(),
        "iss": settings.issuer,
    });
    if let (Some(exp), Some(obj)) = (key.expires_at, out.as_object_mut()) {
        obj.insert("exp".into(), exp.timestamp().into());
    }
    Ok(Some(out))
}

/// Revokes a refresh token issued to the caller (its whole family), or a JWT issued to the
/// caller (or presented to it as a resource server) together with the refresh tokens of
/// the grant it belongs to (its sign-in session and client). Anything else is ignored, and
/// the answer is the same either way (RFC 7009 §2.2).
pub async fn revoke(
    db: &Db,
    keys: &KeyStore,
    settings: &TokenSettings,
    caller: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    if token.starts_with(apikeys::PREFIX) {
        return Ok(());
    }
    if super::refresh::is_refresh_token(token) {
        return Ok(super::refresh::revoke(db, token, &caller.client_id, now).await?);
    }
    let expect = Expect {
        issuer: &settings.issuer,
        audience: None,
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: settings.leeway_secs,
    };
    let Ok(claims) = validate_access(keys, token, &expect, now).await else {
        return Ok(());
    };
    let mine = claims.client_id == caller.client_id
        || caller.resource_audience.as_deref() == Some(claims.aud.as_str());
    let Some(tenant) = tenant_of_claims(&claims) else {
        return Ok(());
    };
    if !mine || caller.tenant_id.is_some_and(|t| t != tenant) {
        return Ok(());
    }
    let expires_at = Utc.timestamp_opt(claims.exp, 0).single().unwrap_or(now);
    let mut tx = db.tenant(tenant).await?;
    revocations::insert(&mut tx, &claims.jti, expires_at).await?;
    if let Some(session) = claims
        .sid
        .as_deref()
        .and_then(|s| uuid::Uuid::try_parse(s).ok())
    {
        refresh_model::revoke_for_session(&mut tx, session, &claims.client_id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
