//! Role-mapping rules: declarative, per workspace. A rule gives a role to every member of
//! an identity-provider group, or to everyone whose IdP attribute has a value (names and
//! values case-insensitive). One engine (`crate::authority::mapping_engine`) for SCIM groups and
//! enterprise SSO; a rule may only hand out permissions its author holds. A dry run
//! explains which rule gives which role for sample claims.

use super::act::Act;
use crate::audit::Action;
use crate::authority::mapping_engine as engine;
use crate::db::models::{role_mappings as model, roles};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::TenantId;
use serde_json::json;
use uuid::Uuid;

pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<model::Rule>, AppError> {
    let mut tx = db.tenant(tenant).await?;
    let rules = model::list(&mut tx).await?;
    tx.commit().await?;
    Ok(rules)
}

pub async fn create(
    act: &Act<'_>,
    matcher: &Matcher<'_>,
    role: &str,
) -> Result<model::Rule, AppError> {
    let (db, who, now) = (act.db, act.who, act.now);
    let (claim, value) = match matcher {
        Matcher::Group(g) => (None, plain("group", g)?),
        Matcher::Attribute { name, value } => {
            (Some(plain("attribute", name)?), plain("value", value)?)
        }
    };
    let mut tx = db.tenant(who.tenant).await?;
    let found = roles::find_by_name(&mut tx, role)
        .await?
        .ok_or_else(|| AppError::InvalidRequest("role does not exist in this workspace".into()))?;
    who.require_all(&found.permissions)?;
    let id = Uuid::new_v4();
    model::insert(&mut tx, id, claim, value, found.id.0, now).await?;
    let rule = model::view(
        id,
        claim.map(str::to_string),
        value.to_string(),
        role.to_string(),
        now,
    );
    act.context()
        .record(
            &mut tx,
            Action::RoleMappingCreated,
            &format!("role_mapping:{id}"),
            serde_json::to_value(&rule).unwrap_or_default(),
        )
        .await?;
    tx.commit().await?;
    Ok(rule)
}

/// What a new rule matches.
pub enum Matcher<'a> {
    Group(&'a str),
    Attribute { name: &'a str, value: &'a str },
}

fn plain<'a>(field: &str, v: &'a str) -> Result<&'a str, AppError> {
    let v = v.trim();
    if v.is_empty() || v.len() > 256 || !crate::text::is_plain_or_empty(v, 256) {
        return Err(AppError::InvalidRequest(format!(
            "{field} must be 1 to 256 printable characters"
        )));
    }
    Ok(v)
}

/// Which rules would match these claims, and the roles they would give: what the next
/// SSO sign-in (or SCIM membership) with these groups and attributes gets.
pub async fn dry_run(
    db: &Db,
    tenant: TenantId,
    claims: &engine::Claims,
) -> Result<(Vec<String>, Vec<engine::Match>), AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let rules = crate::authority::mapping_rules::rules(&mut tx).await?;
    tx.commit().await?;
    let matches = engine::evaluate(&rules, claims);
    let mut roles: Vec<String> = matches.iter().map(|m| m.role.clone()).collect();
    roles.sort();
    roles.dedup();
    Ok((roles, matches))
}

pub async fn delete(act: &Act<'_>, id: Uuid) -> Result<(), AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    if !model::delete(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    act.context()
        .record(
            &mut tx,
            Action::RoleMappingDeleted,
            &format!("role_mapping:{id}"),
            json!({}),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}
