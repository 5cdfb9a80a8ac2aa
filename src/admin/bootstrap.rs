//! `identity bootstrap`: creates a tenant, its built-in roles and its first admin in one
//! transaction, audited on the new tenant's chain.

use crate::audit::Action;
use crate::audit::{self};
use crate::auth::password::{check_policy, PasswordError, PasswordHasher};
use crate::crypto::Envelope;
use crate::db::models::{roles, tenants, users};
use crate::db::{Db, DbError};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(
        "tenant slug must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit"
    )]
    BadSlug,
    #[error("admin email is not a valid address")]
    BadEmail,
    #[error("workspace name must be 1-200 printable characters")]
    BadName,
    #[error("a tenant with this slug already exists")]
    TenantExists,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

pub struct BootstrapRequest<'a> {
    pub slug: &'a str,
    pub display_name: &'a str,
    pub admin_email: &'a str,
    pub admin_password: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Bootstrapped {
    pub tenant_id: TenantId,
    pub tenant_slug: String,
    pub admin_user_id: UserId,
    pub created: bool,
}

pub fn valid_slug(slug: &str) -> bool {
    let b = slug.as_bytes();
    (2..=63).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Deliberately plain: one `@`, a dot in the domain, no spaces or controls, ≤ 254 bytes.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The existing tenant and admin, for `--if-missing` runs.
pub async fn find_existing(
    db: &Db,
    slug: &str,
    admin_email: &str,
) -> Result<Option<Bootstrapped>, BootstrapError> {
    let mut ptx = db.platform().await?;
    let Some(tenant) = tenants::find_by_slug(&mut ptx, slug).await? else {
        return Ok(None);
    };
    let mut tx = ptx.into_tenant(tenant.id).await?;
    let admin = users::find_by_email(&mut tx, admin_email)
        .await?
        .ok_or(DbError::NotFound)?;
    tx.commit().await?;
    Ok(Some(Bootstrapped {
        tenant_id: tenant.id,
        tenant_slug: tenant.slug,
        admin_user_id: admin.id,
        created: false,
    }))
}

/// A new password for an existing first admin (`bootstrap --if-missing --fresh-password`,
/// when a local checkout lost its demo credentials): their sessions end, and it is audited.
pub async fn fresh_password(
    db: &Db,
    envelope: &Envelope,
    hasher: &PasswordHasher,
    found: &Bootstrapped,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), BootstrapError> {
    check_policy(password)?;
    let hash = hasher.hash(password).await?;
    let mut tx = db.tenant(found.tenant_id).await?;
    users::set_password(&mut tx, found.admin_user_id, &hash).await?;
    let ctx = audit::Context::without_request(envelope, "cli", now);
    let user = found.admin_user_id;
    crate::auth::sessions::end_all(&mut tx, &ctx, user, "password_reset").await?;
    let details = json!({"via": "bootstrap"});
    ctx.record(
        &mut tx,
        Action::PasswordChanged,
        &format!("user:{user}"),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn bootstrap(
    db: &Db,
    envelope: &Envelope,
    hasher: &PasswordHasher,
    req: &BootstrapRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Bootstrapped, BootstrapError> {
    if !valid_slug(req.slug) {
        return Err(BootstrapError::BadSlug);
    }
    if !valid_email(req.admin_email) {
        return Err(BootstrapError::BadEmail);
    }
    if !crate::text::is_plain(req.display_name, 200) {
        return Err(BootstrapError::BadName);
    }
    check_policy(req.admin_password)?;
    let password_hash = hasher.hash(req.admin_password).await?;

    let mut ptx = db.platform().await?;
    if tenants::find_by_slug(&mut ptx, req.slug).await?.is_some() {
        return Err(BootstrapError::TenantExists);
    }
    let tenant = tenants::insert(&mut ptx, TenantId::new(), req.slug, req.display_name)
        .await
        .map_err(|e| match e {
            DbError::Conflict(_) => BootstrapError::TenantExists,
            other => other.into(),
        })?;
    let mut tx = ptx.into_tenant(tenant.id).await?;
    audit::prepare_tenant(&mut tx, envelope).await?;
    let ctx = crate::audit::Context::without_request(envelope, "cli", now);
    let target = format!("tenant:{}", tenant.id);
    let details = json!({"slug": tenant.slug});
    ctx.record(&mut tx, Action::TenantCreated, &target, details)
        .await?;
    let mut admin_role = None;
    for (name, description, permissions) in crate::authority::vocabulary::BUILTIN {
        let role = roles::insert(
            &mut tx,
            &roles::NewRole {
                name,
                description,
                permissions,
                builtin: true,
            },
        )
        .await?;
        if *name == "admin" {
            admin_role = Some(role.id);
        }
    }
    let admin = users::insert(
        &mut tx,
        &users::NewUser {
            email: req.admin_email,
            display_name: None,
            password_hash: Some(&password_hash),
        },
    )
    .await?;
    let admin_role = admin_role.ok_or(DbError::NotFound)?;
    roles::grant(&mut tx, admin.id, admin_role).await?;
    for (action, details) in [
        (Action::UserCreated, json!({"source": "bootstrap"})),
        (Action::RoleGranted, json!({"role": "admin"})),
    ] {
        let target = format!("user:{}", admin.id);
        ctx.record(&mut tx, action, &target, details).await?;
    }
    tx.commit().await?;
    Ok(Bootstrapped {
        tenant_id: tenant.id,
        tenant_slug: tenant.slug,
        admin_user_id: admin.id,
        created: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_emails() {
        assert!(valid_slug("acme-2"));
        assert!(!valid_slug("Acme"));
        assert!(!valid_slug("-acme"));
        assert!(!valid_slug("a"));
        assert!(!valid_slug("_platform"));
        assert!(valid_email("ops@acme.example"));
        assert!(!valid_email("ops@acme"));
        assert!(!valid_email("o ps@acme.example"));
        assert!(!valid_email("@acme.example"));
    }
}
