//! Home-realm discovery, and the one SSO enforcement rule. The workspace a sign-in names
//! (its slug, or the workspace claiming the email's domain), then that workspace's
//! connection serving the domain, and [`idp_for`]: whether the connection takes the sign-in.
//! Every first factor (password form, passkey, reset request) asks [`idp_for`], so the rule
//! is written here once.

use super::domains;
use crate::db::models::{sso_connections as model, tenants};
use crate::db::{Db, DbError, TenantTx};
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

/// How far the first step has come when the rule is asked.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    /// An address typed at the form, before any password check: an empty password asks
    /// for the identity provider.
    Typed { password: &'a str },
    /// The person proved a first factor (a matching password, a passkey), or asks for a
    /// password they would use (a reset): checked on the account's stored address, so a
    /// look-alike typed at the form (another case, a Unicode twin) cannot slip past.
    Proved,
}

/// The SSO enforcement rule: the connection serving the address takes the sign-in when it
/// forbids passwords, and, at the form, when the password is left empty.
pub fn idp_for(realm: Option<&Realm>, stage: Stage<'_>) -> Option<Uuid> {
    let takes = |r: &&Realm| match stage {
        Stage::Typed { password } => !r.password_allowed || password.is_empty(),
        Stage::Proved => !r.password_allowed,
    };
    realm.filter(takes).map(|r| r.connection)
}

/// The workspace if it may be signed in to; a suspended or cancelled one is said as such
/// (`DbError::TenantNotActive`): its slug or domain is not a secret.
fn open(t: Option<tenants::Tenant>) -> Result<Option<TenantId>, DbError> {
    match t.filter(|t| t.id != TenantId::PLATFORM) {
        Some(t) if t.status != "active" => Err(DbError::TenantNotActive),
        t => Ok(t.map(|t| t.id)),
    }
}

pub async fn tenant_by_slug(db: &Db, slug: &str) -> Result<Option<TenantId>, DbError> {
    let mut tx = db.platform().await?;
    let t = tenants::find_by_slug(&mut tx, slug).await?;
    tx.commit().await?;
    open(t)
}

/// The workspace a sign-in names: by its slug, or, when no slug is given, the active
/// workspace that claims the email's domain. Looked up once per attempt.
pub async fn workspace_for(db: &Db, slug: &str, email: &str) -> Result<Option<TenantId>, DbError> {
    let slug = slug.trim();
    if !slug.is_empty() {
        return tenant_by_slug(db, &slug.to_lowercase()).await;
    }
    let Some(tenant) = domains::tenant_for_email(db, email).await? else {
        return Ok(None);
    };
    let mut tx = db.platform().await?;
    let t = tenants::get(&mut tx, tenant).await?;
    tx.commit().await?;
    open(t)
}

/// The enabled connection serving the email's domain in `tenant`.
pub async fn realm_for(db: &Db, tenant: TenantId, email: &str) -> Result<Option<Realm>, DbError> {
    let mut tx = db.tenant_read(tenant).await?;
    let found = realm_in(&mut tx, email).await?;
    tx.commit().await?;
    Ok(found)
}

/// [`realm_for`] inside the workspace's open transaction.
pub async fn realm_in(tx: &mut TenantTx, email: &str) -> Result<Option<Realm>, DbError> {
    let Some(domain) = domains::of_email(email) else {
        return Ok(None);
    };
    let found = match model::for_domain(tx, &domain).await? {
        Some((id, _)) => model::get(tx, id).await?,
        None => None,
    };
    Ok(found.filter(|c| c.enabled).map(|c| Realm {
        tenant: tx.tenant(),
        connection: c.id,
        password_allowed: c.password_signin_allowed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn realm(password_allowed: bool) -> Realm {
        Realm {
            tenant: TenantId::new(),
            connection: Uuid::new_v4(),
            password_allowed,
        }
    }

    #[test]
    fn sso_enforcement_hands_off_even_with_a_password() {
        let enforced = realm(false);
        let typed = Stage::Typed {
            password: "a typed password",
        };
        assert_eq!(idp_for(Some(&enforced), typed), Some(enforced.connection));
        assert_eq!(
            idp_for(Some(&enforced), Stage::Proved),
            Some(enforced.connection)
        );
    }

    #[test]
    fn an_optional_connection_takes_only_an_empty_password_at_the_form() {
        let optional = realm(true);
        let empty = Stage::Typed { password: "" };
        let typed = Stage::Typed { password: "pw" };
        assert_eq!(idp_for(Some(&optional), empty), Some(optional.connection));
        assert_eq!(idp_for(Some(&optional), typed), None);
        assert_eq!(idp_for(Some(&optional), Stage::Proved), None);
        assert_eq!(
            idp_for(None, empty),
            None,
            "no connection: the password form"
        );
    }
}
