//! Introspection (RFC 7662) and revocation (RFC 7009). A token is active for a caller only
//! if it is valid *for that caller*: a JWT must name the caller's own resource audience,
//! an API key must belong to the caller's tenant (or the caller be a platform resource
//! server). Revocations, deleted clients and revoked API keys show at once, on every
//! instance, because they are read from the database on each call.

use super::clients::{self, Client};
use super::error::OAuthError;
use super::token::api_key_subject;
use crate::apikeys::{self, service as keys_service};
use crate::config::TokenSettings;
use crate::db::models::{api_keys, clients as client_model, refresh as refresh_model};
use crate::db::models::{revocations, sessions};
use crate::db::Db;
use crate::ids::TenantId;
use crate::tokens::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use crate::tokens::validate::{self, Expect, TokenError};
use crate::tokens::KeyStore;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::time::Duration;

/// Validates with the current keys; on an unknown `kid` reloads keys (at most once a
/// second) and tries again, so a key another instance just started using is found.
pub async fn validate_access(
    keys: &KeyStore,
    token: &str,
    expect: &Expect<'_>,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    match validate::access_token(&keys.current(), token, expect, now) {
        Err(TokenError::UnknownKey) if keys.refresh_if_older_than(Duration::from_secs(1)).await => {
            validate::access_token(&keys.current(), token, expect, now)
        }
        other => other,
    }
}

fn tenant_of_claims(claims: &AccessClaims) -> Option<TenantId> {
    match &claims.tid {
        None => Some(TenantId::PLATFORM),
        Some(t) => uuid::Uuid::try_parse(t).ok().map(TenantId),
    }
}

/// Whether a validated token is still honoured: not revoked, and its client or API key
/// still exists. One read session of the token's tenant.
pub async fn still_honoured(
    db: &Db,
    claims: &AccessClaims,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(tenant) = tenant_of_claims(claims) else {
        return Ok(false);
    };
    let mut tx = db.tenant_read(tenant).await?;
    if revocations::is_revoked(&mut tx, &claims.jti).await? {
        return Ok(false);
    }
    if let Some(sid) = &claims.sid {
        let live = match uuid::Uuid::try_parse(sid) {
            Ok(id) => sessions::is_active(&mut tx, id, now).await?,
            Err(_) => false,
        };
        if !live {
            return Ok(false);
        }
    }
    let honoured = match claims.sub.strip_prefix("apikey:") {
        Some(key) => match uuid::Uuid::try_parse(key) {
            Ok(key_id) => api_keys::find_usable(&mut tx, key_id, now).await?.is_some(),
            Err(_) => false,
        },
        // A tenant client's tokens stay in its tenant; a platform client (a CRM front end)
        // holds tokens of any tenant's people. Either way the client must still exist.
        None => match clients::tenant_of(&claims.client_id) {
            owner if owner == tenant => client_model::find(&mut tx, &claims.client_id)
                .await?
                .is_some(),
            TenantId::PLATFORM => clients::get(db, &claims.client_id).await?.is_some(),
            _ => false,
        },
    };
    tx.commit().await?;
    Ok(honoured)
}

fn inactive() -> Value {
    json!({"active": false})
}

pub async fn introspect(
    db: &Db,
    keys: &KeyStore,
    settings: &TokenSettings,
    caller: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Value, OAuthError> {
    if token.starts_with(apikeys::PREFIX) {
        let key = match keys_service::authenticate(db, token, now).await {
            Ok(Some(key)) => key,
            Ok(None) | Err(crate::db::DbError::TenantNotActive) => return Ok(inactive()),
            Err(e) => return Err(e.into()),
        };
        let allowed = match caller.tenant_id {
            Some(t) => t == key.tenant,
            None => caller.resource_audience.is_some(),
        };
        if !allowed {
            return Ok(inactive());
        }
        let mut out = json!({
            "active": true,
            "token_type": "api_key",
            "sub": api_key_subject(key.key_id),
            "client_id": api_key_subject(key.key_id),
            "tid": key.tenant.to_string(),
            "roles": [key.role],
            "scope": key.permissions.join(" "),
            "iat": key.created_at.timestamp(),
            "iss": settings.issuer,
        });
        if let (Some(exp), Some(obj)) = (key.expires_at, out.as_object_mut()) {
            obj.insert("exp".into(), exp.timestamp().into());
        }
        return Ok(out);
    }
    let Some(audience) = caller.resource_audience.as_deref() else {
        return Ok(inactive());
    };
    let expect = Expect {
        issuer: &settings.issuer,
        audience: Some(audience),
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: settings.leeway_secs,
    };
    let Ok(claims) = validate_access(keys, token, &expect, now).await else {
        return Ok(inactive());
    };
    if caller.tenant_id.is_some() && caller.tenant_id.map(|t| t.to_string()) != claims.tid {
        return Ok(inactive());
    }
    match still_honoured(db, &claims, now).await {
        Ok(true) => {}
        Ok(false) | Err(OAuthError::WorkspaceSuspended) => return Ok(inactive()),
        Err(e) => return Err(e),
    }
    let mut out = json!({
        "active": true,
        "token_type": "Bearer",
        "iss": claims.iss,
        "sub": claims.sub,
        "aud": claims.aud,
        "client_id": claims.client_id,
        "scope": claims.scope,
        "exp": claims.exp,
        "iat": claims.iat,
        "nbf": claims.nbf,
        "jti": claims.jti,
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(tid) = claims.tid {
            obj.insert("tid".into(), tid.into());
        }
        if let Some(roles) = claims.roles {
            obj.insert("roles".into(), roles.into());
        }
    }
    Ok(out)
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
