//! Group→role rules: declarative, per workspace. A rule gives a role to every member of
//! an identity-provider group (by name, case-insensitive). One engine for SCIM groups and
//! enterprise SSO; a rule may only hand out permissions its author holds.

use super::principal::Principal;
use crate::audit::{self, Event, Origin};
use crate::crypto::Envelope;
use crate::db::models::{role_mappings as model, roles};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<model::Rule>, AppError> {
    let mut tx = db.tenant(tenant).await?;
    let rules = model::list(&mut tx).await?;
    tx.commit().await?;
    Ok(rules)
}

pub async fn create(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    group: &str,
    role: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<model::Rule, AppError> {
    let group = group.trim();
    if group.is_empty() || group.len() > 256 || !crate::text::is_plain_or_empty(group, 256) {
        return Err(AppError::InvalidRequest(
            "group must be 1 to 256 printable characters".into(),
        ));
    }
    let mut tx = db.tenant(who.tenant).await?;
    let found = roles::find_by_name(&mut tx, role)
        .await?
        .ok_or_else(|| AppError::InvalidRequest("role does not exist in this workspace".into()))?;
    who.require_all(&found.permissions)?;
    let id = Uuid::new_v4();
    model::insert(&mut tx, id, group, found.id.0, now).await?;
    let event = Event {
        actor: &who.actor,
        action: "role_mapping.created",
        target: &format!("role_mapping:{id}"),
        details: json!({ "group": group, "role": role }),
    };
    audit::record(&mut tx, envelope, event, origin, now).await?;
    tx.commit().await?;
    Ok(model::Rule {
        id,
        group_name: group.to_string(),
        role: role.to_string(),
        created_at: now,
    })
}

pub async fn delete(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: Uuid,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    if !model::delete(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    let event = Event {
        actor: &who.actor,
        action: "role_mapping.deleted",
        target: &format!("role_mapping:{id}"),
        details: json!({}),
    };
    audit::record(&mut tx, envelope, event, origin, now).await?;
    tx.commit().await?;
    Ok(())
}
