//! Tokens for a signed-in person: the `authorization_code` and `refresh_token` grants. Each
//! gives an access token (bound to the session by `sid`), an ID token (OIDC Core: `aud` =
//! client_id, `nonce`, `auth_time`, `amr`, `sid`) and, for clients allowed the
//! `refresh_token` grant, a rotating refresh token.

use super::clients::Client;
use super::codes::{self, CodeError};
use super::error::OAuthError;
use super::refresh::{self, Family, RefreshError};
use super::service_grants::{issue, pick_audience, AccessGrant, TokenResponse};
use crate::config::TokenSettings;
use crate::crypto::random;
use crate::db::models::{sessions, users};
use crate::db::{Db, TenantTx};
use crate::ids::{TenantId, UserId};
use crate::jwt::claims::ID_TOKEN_TYP;
use crate::jwt::keyset::KeySet;
use crate::jwt::sign;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// The audience of access tokens meant for the userinfo endpoint (the default for
/// person tokens when no `resource` is asked for).
pub use super::resources::userinfo_audience;

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: &'a [String],
    acr: &'static str,
    sid: String,
    tid: String,
}

/// What the tokens are about.
struct Subject<'a> {
    tenant: TenantId,
    user: UserId,
    session: Uuid,
    scope: &'a str,
    nonce: Option<&'a str>,
    auth_time: DateTime<Utc>,
    amr: &'a [String],
}

/// What signs a person's tokens: the current keys and the token settings.
#[derive(Clone, Copy)]
pub struct Minting<'a> {
    pub keys: &'a KeySet,
    pub settings: &'a TokenSettings,
}

/// A code presented at the token endpoint, with what must match it.
pub struct Redemption<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
    /// RFC 8707 `resource`: the audience asked for, if any.
    pub resource: Option<&'a str>,
}

/// Access and ID token for `subject`; `None` refresh token here (the caller adds it).
async fn person_tokens(
    tx: &mut TenantTx,
    mint: Minting<'_>,
    client: &Client,
    subject: &Subject<'_>,
    resource: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(TokenResponse, String, DateTime<Utc>), OAuthError> {
    let (keys, settings) = (mint.keys, mint.settings);
    let user = users::get(tx, subject.user)
        .await
        .map_err(|_| OAuthError::InvalidGrant("the user no longer exists"))?;
    if user.status != "active" {
        return Err(OAuthError::InvalidGrant("the user is disabled"));
    }
    if !sessions::is_active(tx, subject.session, now).await? {
        return Err(OAuthError::InvalidGrant("the sign-in session has ended"));
    }
    // Every person-token grant passes here: the workspace's MFA rule holds for all of them.
    if crate::mfa::enforcement::blocks_tokens(tx, subject.user, subject.amr, now).await? {
        return Err(OAuthError::InvalidGrant(
            "the workspace requires multi-factor authentication; sign in again",
        ));
    }
    super::client_audiences::require_in_bounds(tx, settings, client).await?;
    let default_aud = userinfo_audience(settings);
    let audience = match resource {
        Some(r) => pick_audience(&client.audiences, Some(r), None)?,
        None => default_aud.as_str(),
    };
    let role_names = crate::authority::roles_of(tx, subject.user)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let sub = format!("user:{}", subject.user);
    let grant = AccessGrant {
        alg: client.signing_alg,
        sid: Some(subject.session.to_string()),
        sub: sub.clone(),
        client_id: client.client_id.clone(),
        audience,
        // Checked again here (the authorization request already filtered it): whatever a
        // code or refresh family carries, a person token never outgrows its client.
        scope: crate::oidc::authorize::granted_scope(subject.scope, &client.scopes),
        tid: Some(subject.tenant.to_string()),
        roles: Some(role_names),
        amr: Some(subject.amr.to_vec()),
        ttl_secs: client.access_token_ttl_secs,
    };
    let (access, claims) = issue(keys, settings, grant, now)?;
    let signer = keys
        .signer(client.signing_alg, now)
        .ok_or(OAuthError::Unavailable("no active signing key"))?;
    let id_claims = IdClaims {
        iss: &settings.issuer,
        sub,
        aud: &client.client_id,
        exp: claims.exp,
        iat: claims.iat,
        jti: random::token::<16>(),
        auth_time: subject.auth_time.timestamp(),
        nonce: subject.nonce,
        amr: subject.amr,
        acr: super::authorize::acr_for(subject.amr),
        sid: subject.session.to_string(),
        tid: subject.tenant.to_string(),
    };
    let id_token = sign::sign(&signer, ID_TOKEN_TYP, &id_claims).map_err(OAuthError::server)?;
    let exp = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
    let response = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        scope: claims.scope,
        issued_token_type: None,
        id_token: subject
            .scope
            .split(' ')
            .any(|s| s == "openid")
            .then_some(id_token),
        refresh_token: None,
    };
    Ok((response, claims.jti, exp))
}

fn usable_in(client: &Client, tenant: TenantId) -> bool {
    client.tenant_id.is_none_or(|t| t == tenant)
}

/// `grant_type=authorization_code` (PKCE required).
pub async fn authorization_code(
    db: &Db,
    mint: Minting<'_>,
    client: &Client,
    asked: &Redemption<'_>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let (code, redirect_uri, verifier) = (asked.code, asked.redirect_uri, asked.verifier);
    if !client.allows_grant("authorization_code") {
        return Err(OAuthError::UnauthorizedClient(
            "authorization_code is not allowed for this client",
        ));
    }
    let tenant = codes::tenant_of(code).ok_or(OAuthError::InvalidGrant("unknown code"))?;
    if !usable_in(client, tenant) {
        return Err(OAuthError::InvalidGrant("unknown code"));
    }
    let mut tx = db.tenant(tenant).await?;
    let redeemed = match codes::redeem(
        &mut tx,
        code,
        &client.client_id,
        redirect_uri,
        verifier,
        now,
    )
    .await?
    {
        Ok(r) => r,
        Err(e) => {
            // Keep what the failed redemption did: a burned code, revoked tokens.
            tx.commit().await?;
            return Err(OAuthError::InvalidGrant(match e {
                CodeError::Reused => "code already used; tokens issued with it are revoked",
                CodeError::Expired => "code expired",
                CodeError::WrongVerifier => "code_verifier does not match",
                CodeError::WrongRedirect => "redirect_uri does not match",
                CodeError::WrongClient | CodeError::Unknown => "unknown code",
            }));
        }
    };
    let subject = Subject {
        tenant,
        user: redeemed.user,
        session: redeemed.session,
        scope: &redeemed.scope,
        nonce: redeemed.nonce.as_deref(),
        auth_time: redeemed.auth_time,
        amr: &redeemed.amr,
    };
    let (mut response, jti, exp) =
        match person_tokens(&mut tx, mint, client, &subject, asked.resource, now).await {
            Ok(t) => t,
            Err(e) => {
                tx.commit().await?;
                return Err(e);
            }
        };
    let mut family_id = None;
    if client.allows_grant("refresh_token") {
        let family = Family::start(
            &client.client_id,
            redeemed.user,
            redeemed.session,
            &redeemed.scope,
            now,
        );
        response.refresh_token = Some(refresh::issue(&mut tx, &family, now).await?);
        family_id = Some(family.id);
    }
    codes::record_issued(&mut tx, &redeemed, family_id, &jti, exp).await?;
    tx.commit().await?;
    Ok(response)
}

/// `grant_type=refresh_token`: rotates the token; reuse revokes the family (audited
/// through `ctx`).
pub async fn refresh_token(
    db: &Db,
    ctx: &crate::audit::Context<'_>,
    mint: Minting<'_>,
    client: &Client,
    token: &str,
) -> Result<TokenResponse, OAuthError> {
    let (envelope, origin, now) = (ctx.envelope, ctx.origin, ctx.now);
    if !client.allows_grant("refresh_token") {
        return Err(OAuthError::UnauthorizedClient(
            "refresh_token is not allowed for this client",
        ));
    }
    let tenant =
        refresh::tenant_of(token).ok_or(OAuthError::InvalidGrant("invalid refresh token"))?;
    if !usable_in(client, tenant) {
        return Err(OAuthError::InvalidGrant("invalid refresh token"));
    }
    let mut tx = db.tenant(tenant).await?;
    let family = match refresh::rotate(&mut tx, envelope, token, &client.client_id, origin, now)
        .await
        .map_err(OAuthError::server)?
    {
        Ok(f) => f,
        Err(e) => {
            tx.commit().await?;
            return Err(OAuthError::InvalidGrant(match e {
                RefreshError::Reused => "refresh token reused; the sign-in is revoked",
                RefreshError::Invalid => "invalid refresh token",
            }));
        }
    };
    let Some(session) = sessions::get_active(&mut tx, family.session, now).await? else {
        tx.commit().await?;
        return Err(OAuthError::InvalidGrant("the sign-in session has ended"));
    };
    // The ID token keeps describing the original sign-in.
    let subject = Subject {
        tenant,
        user: family.user,
        session: family.session,
        scope: &family.scope,
        nonce: None,
        auth_time: session.auth_time,
        amr: &session.amr,
    };
    let (mut response, _, _) = person_tokens(&mut tx, mint, client, &subject, None, now).await?;
    response.refresh_token = Some(refresh::issue(&mut tx, &family, now).await?);
    tx.commit().await?;
    Ok(response)
}
