//! Email domains a workspace claims, so that sign-in can find the workspace from the email
//! alone. Claims are an operator action (after checking that the workspace owns the
//! domain), because a claim routes every address of the domain to that workspace.

use crate::audit::Action;
use crate::audit::Context;
use crate::db::models::domains;
use crate::db::{Db, DbError};
use crate::error::AppError;
use crate::ids::TenantId;
use serde_json::json;

/// A domain name in its canonical form (ASCII, lower case, no trailing dot), or `None`.
/// International names are accepted in their punycode (`xn--`) form only.
pub fn normalize(domain: &str) -> Option<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (d.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok)).then_some(d)
}

/// The domain of an email address, canonical, when the address has one. The address is
/// first brought to its lookup key (`text::email_key`), so discovery and SSO enforcement see
/// the same domain as account lookup does, look-alike characters included.
pub fn of_email(email: &str) -> Option<String> {
    let key = crate::text::email_key(email);
    let (local, domain) = key.rsplit_once('@')?;
    if local.is_empty() {
        return None;
    }
    normalize(domain)
}

/// The active workspace that claims the email's domain.
pub async fn tenant_for_email(db: &Db, email: &str) -> Result<Option<TenantId>, DbError> {
    let Some(domain) = of_email(email) else {
        return Ok(None);
    };
    let mut tx = db.platform().await?;
    let tenant = domains::tenant_claiming(&mut tx, &domain).await?;
    tx.commit().await?;
    Ok(tenant)
}

pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<String>, DbError> {
    let mut tx = db.tenant(tenant).await?;
    let all = domains::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all)
}

/// Claims `domain` for `tenant`; 409 when another workspace holds it. Idempotent for the
/// same workspace.
pub async fn claim(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    domain: &str,
) -> Result<String, AppError> {
    let domain = normalize(domain)
        .ok_or_else(|| AppError::InvalidRequest("not a valid domain name".into()))?;
    let mut tx = db.tenant(tenant).await?;
    if domains::list(&mut tx).await?.contains(&domain) {
        tx.commit().await?;
        return Ok(domain);
    }
    if !domains::claim(&mut tx, &domain, ctx.now).await? {
        return Err(AppError::Conflict(
            "the domain is claimed by another workspace",
        ));
    }
    let target = format!("domain:{domain}");
    ctx.record(&mut tx, Action::DomainClaimed, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(domain)
}

pub async fn release(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    domain: &str,
) -> Result<(), AppError> {
    let domain = normalize(domain).ok_or(AppError::NotFound)?;
    let mut tx = db.tenant(tenant).await?;
    if !domains::release(&mut tx, &domain).await? {
        return Err(AppError::NotFound);
    }
    let target = format!("domain:{domain}");
    ctx.record(&mut tx, Action::DomainReleased, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{normalize, of_email};

    #[test]
    fn domains_are_canonical_or_refused() {
        assert_eq!(normalize("Example.COM.").as_deref(), Some("example.com"));
        assert_eq!(
            normalize("xn--bcher-kva.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a..com",
            "bücher.de",
            "a_b.com",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_domain_comes_from_the_last_at_sign() {
        assert_eq!(
            of_email(" Ada@Acme.Example ").as_deref(),
            Some("acme.example")
        );
        assert_eq!(
            of_email("\"a@b\"@acme.example").as_deref(),
            Some("acme.example")
        );
        assert_eq!(of_email("@acme.example"), None);
        assert_eq!(of_email("no-at-sign"), None);
    }
}
