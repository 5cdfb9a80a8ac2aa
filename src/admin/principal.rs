//! Who is calling the admin API. Accepted: a JWT for the admin audience whose subject is a
//! user of the token's tenant signed in through the console client (no other client's
//! token is an admin credential, whatever its audience) or an API key of the tenant, or an
//! API key itself. Permissions always come
//! from the database at request time (a token's `roles` claim is informational), so
//! disabling a user, changing roles or revoking a key takes effect at once; a key acts with
//! its role's permissions within its maker's current reach (`crate::authority`).

use crate::apikeys::{self, service as keys_service};
use crate::authority::{self, Permissions};
use crate::config::TokenSettings;
use crate::db::models::{revocations, sessions, users};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::{TenantId, UserId};
use crate::jwt::claims::ACCESS_TOKEN_TYP;
use crate::jwt::validate::Expect;
use crate::jwt::KeyStore;
use crate::oidc::console_client::CONSOLE_CLIENT_ID;
use crate::oidc::introspect::validate_access;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantId,
    /// `user:<id>` or `api_key:<id>`, as written to the audit log.
    pub actor: String,
    /// What this principal may do now; for a key, its role within its maker's reach.
    pub permissions: Permissions,
    /// For a person's token: the person and how their session signed in (`amr`).
    pub signed_in: Option<(UserId, Vec<String>)>,
}

impl Principal {
    pub fn require(&self, permission: &str) -> Result<(), AppError> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Every permission the table declares for `deed`.
    pub fn require_for(&self, deed: super::permissions::Deed) -> Result<(), AppError> {
        for p in super::permissions::needs(deed) {
            self.require(p)?;
        }
        Ok(())
    }

    /// A principal may only hand out permissions it holds itself.
    pub fn require_all<'a>(
        &self,
        permissions: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), AppError> {
        for p in permissions {
            self.require(p)?;
        }
        Ok(())
    }
}

/// What a bearer token is checked against: the database, the signing keys and the token
/// settings (issuer, admin audience, leeway).
pub struct Checks<'a> {
    pub db: &'a Db,
    pub keys: &'a KeyStore,
    pub tokens: &'a TokenSettings,
}

pub async fn resolve(
    checks: &Checks<'_>,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<Principal, AppError> {
    if bearer.starts_with(apikeys::PREFIX) {
        let key = keys_service::authenticate(checks.db, bearer, now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(key_principal(key));
    }
    let settings = checks.tokens;
    let expect = Expect {
        issuer: &settings.issuer,
        audience: Some(&settings.admin_audience),
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: settings.leeway_secs,
    };
    let claims = validate_access(checks.keys, bearer, &expect, now)
        .await
        .map_err(|_| AppError::Unauthorized)?;
    let tenant = claims
        .tid
        .as_deref()
        .and_then(|t| uuid::Uuid::try_parse(t).ok())
        .map(TenantId)
        .ok_or(AppError::Unauthorized)?;
    let mut tx = checks.db.tenant_read(tenant).await?;
    if revocations::is_revoked(&mut tx, &claims.jti).await? {
        return Err(AppError::Unauthorized);
    }
    // A person's token dies with its sign-in session.
    let mut session_amr = None;
    if let Some(sid) = &claims.sid {
        let session = uuid::Uuid::try_parse(sid).map_err(|_| AppError::Unauthorized)?;
        let row = sessions::get_active(&mut tx, session, now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        session_amr = Some(row.amr);
    }
    if let Some(id) = claims
        .sub
        .strip_prefix("user:")
        .and_then(|s| uuid::Uuid::try_parse(s).ok())
    {
        // A person's admin power only travels in the console's own tokens.
        if claims.client_id != CONSOLE_CLIENT_ID {
            return Err(AppError::Unauthorized);
        }
        let user = users::get(&mut tx, UserId(id))
            .await
            .map_err(|_| AppError::Unauthorized)?;
        if user.status != "active" {
            return Err(AppError::Unauthorized);
        }
        let permissions = authority::held_by(&mut tx, user.id).await?;
        tx.commit().await?;
        return Ok(Principal {
            tenant,
            actor: format!("user:{id}"),
            permissions,
            signed_in: Some((UserId(id), session_amr.unwrap_or_default())),
        });
    }
    tx.commit().await?;
    if let Some(id) = claims
        .sub
        .strip_prefix("apikey:")
        .and_then(|s| uuid::Uuid::try_parse(s).ok())
    {
        let key = keys_service::still_valid(checks.db, tenant, id, now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(key_principal(key));
    }
    Err(AppError::Unauthorized)
}

/// A key acts with its role's permissions, already cut down to its maker's current reach.
fn key_principal(key: keys_service::ApiKeyIdentity) -> Principal {
    Principal {
        tenant: key.tenant,
        actor: format!("api_key:{}", key.key_id),
        permissions: key.permissions.into_iter().collect(),
        signed_in: None,
    }
}
