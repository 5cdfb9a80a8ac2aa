//! SCIM tokens: a workspace admin creates, lists and revokes them; an identity provider
//! presents one as a Bearer token. The value is `idscim_` + tenant + secret (the tenant is
//! read from it, so a token can never be tried against another workspace); only its
//! SHA-256 is stored.

use super::error::ScimError;
use crate::admin::act::Act;
use crate::audit::{Action, Context};
use crate::crypto::tenant_token;
use crate::db::models::scim_tokens as model;
use crate::db::TenantTx;
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub const PREFIX: &str = "idscim_";

/// Who is calling the SCIM API.
#[derive(Debug, Clone)]
pub struct ScimClient {
    pub tenant: TenantId,
    pub token: Uuid,
    /// Who made the token: what it writes reaches no further than they do now.
    pub creator: String,
}

impl ScimClient {
    /// The actor written to the audit log.
    pub fn actor(&self) -> String {
        format!("scim_token:{}", self.token)
    }
}

/// A new token made by `actor` holding `permissions`. A SCIM token asserts the group
/// memberships that role mappings turn into roles, so making one needs every permission the
/// workspace's mappings could hand out; it is stored with its maker, and what it writes
/// reaches no further than the maker does at the time (`crate::authority`).
pub async fn create(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    name: &str,
    permissions: &crate::authority::Permissions,
) -> Result<(model::TokenRow, String), AppError> {
    let (actor, now) = (ctx.actor, ctx.now);
    let reach = crate::authority::mapping_reach(tx).await?;
    crate::authority::require_cover(permissions, &reach).map_err(|_| AppError::Forbidden)?;
    if !crate::text::is_plain_or_empty(name, 200) || name.trim().is_empty() {
        return Err(AppError::InvalidRequest(
            "name must be 1 to 200 printable characters".into(),
        ));
    }
    let value = tenant_token::mint(PREFIX, tx.tenant());
    let id = Uuid::new_v4();
    model::insert(tx, id, name, &tenant_token::hash(&value), actor, now).await?;
    ctx.record(
        tx,
        Action::ScimTokenCreated,
        &format!("scim_token:{id}"),
        json!({ "name": name }),
    )
    .await?;
    let row = model::TokenRow {
        id,
        name: name.to_string(),
        created_by: actor.to_string(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((row, value))
}

pub async fn revoke(tx: &mut TenantTx, ctx: &Context<'_>, id: Uuid) -> Result<(), AppError> {
    if !model::revoke(tx, id, ctx.now).await? {
        return Err(AppError::NotFound);
    }
    ctx.record(
        tx,
        Action::ScimTokenRevoked,
        &format!("scim_token:{id}"),
        json!({}),
    )
    .await?;
    Ok(())
}

/// The workspace's tokens (never their values), for the admin API.
pub async fn list(db: &crate::db::Db, tenant: TenantId) -> Result<Vec<model::TokenRow>, AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let all = model::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all)
}

/// [`create`] in a transaction of its own, for `who`.
pub async fn create_for(act: &Act<'_>, name: &str) -> Result<(model::TokenRow, String), AppError> {
    let who = act.who;
    let mut tx = act.db.tenant(who.tenant).await?;
    let made = create(&mut tx, &act.context(), name, &who.permissions).await?;
    tx.commit().await?;
    Ok(made)
}

/// [`revoke`] in a transaction of its own.
pub async fn revoke_for(act: &Act<'_>, id: Uuid) -> Result<(), AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    revoke(&mut tx, &act.context(), id).await?;
    tx.commit().await?;
    Ok(())
}

/// The workspace a Bearer value claims (not yet checked), or 401.
pub fn claimed_tenant(bearer: &str) -> Result<TenantId, ScimError> {
    tenant_token::tenant_of(PREFIX, bearer).ok_or(ScimError::Unauthorized)
}

/// The client behind a Bearer value, checked inside `tx` (opened for the tenant the value
/// claims, so the request needs no second connection), or 401.
pub async fn authenticate(
    tx: &mut TenantTx,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<ScimClient, ScimError> {
    let tenant = claimed_tenant(bearer)?;
    if tenant != tx.tenant() {
        return Err(ScimError::Unauthorized);
    }
    model::authenticate(tx, &tenant_token::hash(bearer), now)
        .await?
        .map(|(token, creator)| ScimClient {
            tenant,
            token,
            creator,
        })
        .ok_or(ScimError::Unauthorized)
}
