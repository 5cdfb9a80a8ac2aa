//! Home-realm discovery: the SSO connection an email address belongs to. The domain picks
//! the workspace (`tenant_domains`, claimed by the operator) and then the workspace's
//! connection serving that domain.

use super::domains;
use crate::db::models::sso_connections as model;
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use uuid::Uuid;

/// Where an email signs in, when a connection serves its domain.
#[derive(Debug, Clone, Copy)]
pub struct Realm {
    pub tenant: TenantId,
    pub connection: Uuid,
    /// Whether password sign-in stays allowed for these people.
    pub password_allowed: bool,
}

/// The enabled connection serving the email's domain in `tenant`.
pub async fn realm_for(db: &Db, tenant: TenantId, email: &str) -> Result<Option<Realm>, DbError> {
    let Some(domain) = domains::of_email(email) else {
        return Ok(None);
    };
    let mut tx = db.tenant_read(tenant).await?;
    let found = match model::for_domain(&mut tx, &domain).await? {
        Some((id, _)) => model::get(&mut tx, id).await?,
        None => None,
    };
    tx.commit().await?;
    Ok(found.filter(|c| c.enabled).map(|c| Realm {
        tenant,
        connection: c.id,
        password_allowed: c.password_signin_allowed,
    }))
}

/// The connection that enforces SSO for this stored email (its domain served by an enabled
/// connection that forbids passwords). Checked on the account's own address, so a look-alike
/// typed at the form (another case, a Unicode twin) cannot slip past the form's discovery.
pub async fn enforced_for(
    tx: &mut crate::db::TenantTx,
    stored_email: &str,
) -> Result<Option<Uuid>, DbError> {
    let Some(domain) = domains::of_email(stored_email) else {
        return Ok(None);
    };
    let Some((id, _)) = model::for_domain(tx, &domain).await? else {
        return Ok(None);
    };
    Ok(model::get(tx, id)
        .await?
        .filter(|c| c.enabled && !c.password_signin_allowed)
        .map(|c| c.id))
}
