//! Roles of a workspace through the admin API: list and create. The built-in roles and the
//! permission vocabulary are the authority model's (`crate::authority::vocabulary`).

use crate::authority::vocabulary::known_permissions;

#[derive(Debug, serde::Serialize)]
pub struct RoleView {
    pub id: crate::ids::RoleId,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
}

impl From<crate::db::models::roles::Role> for RoleView {
    fn from(r: crate::db::models::roles::Role) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            permissions: r.permissions,
            builtin: r.builtin,
        }
    }
}

pub async fn list(
    db: &crate::db::Db,
    who: &super::principal::Principal,
) -> Result<Vec<RoleView>, crate::error::AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    let roles = crate::db::models::roles::list(&mut tx).await?;
    tx.commit().await?;
    Ok(roles.into_iter().map(RoleView::from).collect())
}

/// A custom role `(name, description, permissions)`; its permissions must be known and
/// held by the principal.
pub async fn create(
    act: &super::act::Act<'_>,
    (name, description, permissions): (&str, &str, &[String]),
) -> Result<RoleView, crate::error::AppError> {
    use crate::error::AppError;
    let (db, who) = (act.db, act.who);
    let valid_name = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !valid_name {
        return Err(AppError::InvalidRequest(
            "name must be lowercase letters, digits, '_', '.', '-'".into(),
        ));
    }
    if !crate::text::is_plain_or_empty(description, 500) {
        return Err(AppError::InvalidRequest(
            "description must be at most 500 printable characters".into(),
        ));
    }
    let known = known_permissions();
    if permissions.iter().any(|p| !known.contains(&p.as_str())) {
        return Err(AppError::InvalidRequest("unknown permission".into()));
    }
    who.require_all(permissions)?;
    let perms: Vec<&str> = permissions.iter().map(String::as_str).collect();
    let mut tx = db.tenant(who.tenant).await?;
    let role = crate::db::models::roles::insert(
        &mut tx,
        &crate::db::models::roles::NewRole {
            name,
            description,
            permissions: &perms,
            builtin: false,
        },
    )
    .await?;
    let details = serde_json::json!({"name": name, "permissions": permissions});
    let target = format!("role:{}", role.id);
    act.context()
        .record(&mut tx, crate::audit::Action::RoleCreated, &target, details)
        .await?;
    tx.commit().await?;
    Ok(role.into())
}
