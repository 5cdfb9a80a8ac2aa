//! Grants of the token endpoint that issue access tokens without a person present:
//! `client_credentials` and the exchange of an API key for a short JWT (RFC 8693).

use super::clients::Client;
use super::error::OAuthError;
use crate::apikeys::service::{self as apikeys, ApiKeyIdentity};
use crate::config::TokenSettings;
use crate::crypto::random;
use crate::db::Db;
use crate::jwt::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use crate::jwt::keyset::KeySet;
use crate::jwt::{sign, Alg};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `subject_token_type` of a workspace API key.
pub const API_KEY_TOKEN_TYPE: &str = "urn:identity:params:oauth:token-type:api-key";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Everything an access token says.
pub struct AccessGrant<'a> {
    pub alg: Alg,
    /// The sign-in session behind the token, for tokens that act for a person.
    pub sid: Option<String>,
    pub sub: String,
    pub client_id: String,
    pub audience: &'a str,
    pub scope: String,
    pub tid: Option<String>,
    pub roles: Option<Vec<String>>,
    /// Sign-in methods, for tokens that act for a person.
    pub amr: Option<Vec<String>>,
    pub ttl_secs: i64,
}

/// Signs an access token with the active key of the grant's algorithm.
pub fn issue(
    keys: &KeySet,
    settings: &TokenSettings,
    grant: AccessGrant<'_>,
    now: DateTime<Utc>,
) -> Result<(String, AccessClaims), OAuthError> {
    let signer = keys
        .signer(grant.alg, now)
        .ok_or(OAuthError::Unavailable("no active signing key"))?;
    let iat = now.timestamp();
    let ttl = grant.ttl_secs.min(settings.max_token_ttl_secs);
    let claims = AccessClaims {
        iss: settings.issuer.clone(),
        sub: grant.sub,
        aud: grant.audience.to_string(),
        exp: iat + ttl,
        iat,
        nbf: iat,
        jti: random::token::<16>(),
        client_id: grant.client_id,
        scope: grant.scope,
        tid: grant.tid,
        roles: grant.roles,
        sid: grant.sid,
        acr: grant
            .amr
            .as_deref()
            .map(|amr| super::authorize::acr_for(amr).to_string()),
        amr: grant.amr,
    };
    let token = sign::sign(&signer, ACCESS_TOKEN_TYP, &claims).map_err(OAuthError::server)?;
    Ok((token, claims))
}

/// Exactly one audience: `audience` (RFC 8693) or `resource` (RFC 8707), or the client's
/// only allowed audience when it has one.
pub(crate) fn pick_audience<'a>(
    allowed: &'a [String],
    audience: Option<&str>,
    resource: Option<&str>,
) -> Result<&'a str, OAuthError> {
    let requested = match (audience, resource) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "give audience or resource, not both",
            ))
        }
        (Some(a), None) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    match requested {
        Some(r) => allowed
            .iter()
            .find(|a| a.as_str() == r)
            .map(String::as_str)
            .ok_or(OAuthError::InvalidTarget(
                "audience not allowed for this client",
            )),
        None if allowed.len() == 1 => Ok(allowed[0].as_str()),
        None => Err(OAuthError::InvalidTarget("audience is required")),
    }
}

/// Requested scopes must all be allowed; none requested means all allowed ones.
fn pick_scope(allowed: &[String], requested: Option<&str>) -> Result<String, OAuthError> {
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(allowed.join(" ")),
        Some(req) => {
            let mut out: Vec<&str> = Vec::new();
            for s in req.split(' ').filter(|s| !s.is_empty()) {
                if !allowed.iter().any(|a| a == s) {
                    return Err(OAuthError::InvalidScope(
                        "scope not allowed for this client",
                    ));
                }
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            Ok(out.join(" "))
        }
    }
}

pub fn client_credentials(
    keys: &KeySet,
    settings: &TokenSettings,
    client: &Client,
    audience: Option<&str>,
    resource: Option<&str>,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant("client_credentials") {
        return Err(OAuthError::UnauthorizedClient(
            "client_credentials is not allowed for this client",
        ));
    }
    let aud = pick_audience(&client.audiences, audience, resource)?;
    let scope = pick_scope(&client.scopes, scope)?;
    let grant = AccessGrant {
        sid: None,
        alg: client.signing_alg,
        sub: client.client_id.clone(),
        client_id: client.client_id.clone(),
        audience: aud,
        scope: scope.clone(),
        tid: client.tenant_id.map(|t| t.to_string()),
        roles: None,
        amr: None,
        ttl_secs: client.access_token_ttl_secs,
    };
    let (token, claims) = issue(keys, settings, grant, now)?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        scope,
        issued_token_type: None,
        id_token: None,
        refresh_token: None,
    })
}

/// `sub` of tokens that act for an API key.
pub fn api_key_subject(key_id: uuid::Uuid) -> String {
    format!("apikey:{key_id}")
}

/// Exchanges a valid API key for a short JWT carrying its tenant and role.
pub fn exchange_api_key(
    keys: &KeySet,
    settings: &TokenSettings,
    identity: &ApiKeyIdentity,
    audience: Option<&str>,
    resource: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let mut allowed = settings.api_key_audiences.clone();
    allowed.push(settings.admin_audience.clone());
    let aud = match (audience, resource) {
        (None, None) => settings.admin_audience.as_str(),
        _ => pick_audience(&allowed, audience, resource)?,
    };
    let sub = api_key_subject(identity.key_id);
    let grant = AccessGrant {
        sid: None,
        alg: Alg::EdDSA,
        sub: sub.clone(),
        client_id: sub,
        audience: aud,
        scope: identity.permissions.join(" "),
        tid: Some(identity.tenant.to_string()),
        // Only a role the maker's reach left whole is named; the scope lists what is left.
        roles: Some(identity.named_roles()),
        amr: None,
        // Never beyond the key's own end (the earliest along its maker chain).
        ttl_secs: identity
            .expires_at
            .map_or(settings.api_key_token_ttl_secs, |e| {
                settings
                    .api_key_token_ttl_secs
                    .min((e - now).num_seconds().max(1))
            }),
    };
    let (token, claims) = issue(keys, settings, grant, now)?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        scope: claims.scope,
        issued_token_type: Some(ACCESS_TOKEN_TYPE),
        id_token: None,
        refresh_token: None,
    })
}

/// The API key presented as `subject_token`, if valid.
pub async fn api_key_subject_token(
    db: &Db,
    subject_token: &str,
    subject_token_type: &str,
    now: DateTime<Utc>,
) -> Result<ApiKeyIdentity, OAuthError> {
    if subject_token_type != API_KEY_TOKEN_TYPE {
        return Err(OAuthError::InvalidRequest("unsupported subject_token_type"));
    }
    apikeys::authenticate(db, subject_token, now)
        .await?
        .ok_or(OAuthError::InvalidGrant(
            "subject_token is not a valid API key",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_and_scope_selection() {
        let allowed = vec!["https://a".to_string(), "https://b".to_string()];
        assert_eq!(
            pick_audience(&allowed, Some("https://b"), None).unwrap(),
            "https://b"
        );
        assert!(pick_audience(&allowed, Some("https://c"), None).is_err());
        assert!(pick_audience(&allowed, None, None).is_err());
        assert!(pick_audience(&allowed, Some("https://a"), Some("https://a")).is_err());
        assert_eq!(
            pick_audience(&allowed[..1], None, None).unwrap(),
            "https://a"
        );
        let scopes = vec!["read".to_string(), "write".to_string()];
        assert_eq!(pick_scope(&scopes, None).unwrap(), "read write");
        assert_eq!(
            pick_scope(&scopes, Some("write read write")).unwrap(),
            "write read"
        );
        assert!(pick_scope(&scopes, Some("admin")).is_err());
    }
}
