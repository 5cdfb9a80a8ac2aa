//! SCIM Users over the tenant's people. `userName`, `active`, `externalId` and
//! `displayName` live in their own columns; the other attributes in a document. Setting
//! `active` to false, or deleting, takes every way in away at once: sessions (and with
//! them refresh tokens and person tokens) end and the person's API keys and SCIM tokens
//! are revoked. A token changes an existing account only within its maker's reach.

use super::attrs::{self, Write};
use super::error::ScimError;
use super::patch;
use super::query;
use super::resource::{check_if_match, with_meta, ListParams, WriteCtx};
use super::schema::{Kind, ENTERPRISE_USER, USER};
use crate::admin::person_erasure;
use crate::audit::Action;
use crate::auth::cutoff;
use crate::db::models::scim_store::{self as store, UserRow, UserWrite};
use crate::db::personal_keys::PersonalKeys;
use crate::db::TenantTx;
use crate::ids::UserId;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Stored in the document when a client removed `active`: the attribute is then not
/// shown, while the person's access stays as it was (removing it never re-enables).
const ACTIVE_UNASSIGNED: &str = "activeUnassigned";

/// The attributes a client may change, as one document (what PATCH works on).
fn editable(row: &UserRow) -> Map<String, Value> {
    let mut doc = row.scim.as_object().cloned().unwrap_or_default();
    let unassigned = doc.remove(ACTIVE_UNASSIGNED).is_some();
    doc.insert(
        "userName".into(),
        json!(row.user_name.clone().unwrap_or_else(|| row.email.clone())),
    );
    if !unassigned {
        doc.insert("active".into(), json!(row.status == "active"));
    }
    if let Some(x) = &row.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    if let Some(d) = &row.display_name {
        doc.insert("displayName".into(), json!(d));
    }
    doc
}

struct Written {
    user_name: String,
    email: String,
    display_name: Option<String>,
    external_id: Option<String>,
    /// `None`: the client left `active` unassigned.
    active: Option<bool>,
    scim: Value,
}

/// Splits a checked document into columns and the stored document.
fn written(mut doc: Map<String, Value>) -> Result<Written, ScimError> {
    let take_str = |doc: &mut Map<String, Value>, k: &str| {
        doc.remove(k).and_then(|v| v.as_str().map(str::to_string))
    };
    let user_name = take_str(&mut doc, "userName")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(|| ScimError::invalid_value("userName is required (1 to 256 characters)"))?;
    let active = doc.remove("active").and_then(|v| v.as_bool());
    if active.is_none() {
        doc.insert(ACTIVE_UNASSIGNED.into(), json!(true));
    }
    let external_id = take_str(&mut doc, "externalId");
    let display_name = take_str(&mut doc, "displayName");
    // The sign-in address: the primary email, else the first, else the userName.
    let emails = doc
        .get("emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let primary = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.first())
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let email = primary.unwrap_or_else(|| user_name.clone());
    Ok(Written {
        user_name,
        email,
        display_name,
        external_id,
        active,
        scim: Value::Object(doc),
    })
}

/// `was_active`: the person's current access, kept when `active` is unassigned.
fn write_of(w: &Written, was_active: bool) -> UserWrite<'_> {
    UserWrite {
        user_name: &w.user_name,
        email: &w.email,
        display_name: w.display_name.as_deref(),
        external_id: w.external_id.as_deref(),
        scim: &w.scim,
        active: w.active.unwrap_or(was_active),
    }
}

/// Renders rows as SCIM resources, with their groups (one query for all).
pub async fn render(
    tx: &mut TenantTx,
    rows: &[UserRow],
    base: &str,
) -> Result<Vec<Value>, ScimError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut groups: HashMap<Uuid, Vec<Value>> = HashMap::new();
    if !ids.is_empty() {
        for m in store::memberships(tx, &ids).await? {
            groups.entry(m.user_id).or_default().push(json!({
                "value": m.group_id.to_string(),
                "$ref": format!("{base}/scim/v2/Groups/{}", m.group_id),
                "display": m.group_name,
                "type": "direct",
            }));
        }
    }
    Ok(render_rows(rows, &groups, base))
}

fn render_rows(rows: &[UserRow], groups: &HashMap<Uuid, Vec<Value>>, base: &str) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let doc = editable(row);
            let mut schemas = vec![json!(USER)];
            if doc.contains_key(ENTERPRISE_USER) {
                schemas.push(json!(ENTERPRISE_USER));
            }
            let mut out = Map::new();
            out.insert("schemas".into(), Value::Array(schemas));
            out.insert("id".into(), json!(row.id.to_string()));
            out.extend(doc);
            if let Some(g) = groups.get(&row.id) {
                out.insert("groups".into(), Value::Array(g.clone()));
            }
            let mut resource = Value::Object(out);
            with_meta(
                &mut resource,
                "User",
                format!("{base}/scim/v2/Users/{}", row.id),
                row.created_at,
                row.updated_at,
            );
            resource
        })
        .collect()
}

async fn render_one(tx: &mut TenantTx, row: &UserRow, base: &str) -> Result<Value, ScimError> {
    render(tx, std::slice::from_ref(row), base)
        .await?
        .pop()
        .ok_or(ScimError::Unavailable)
}

async fn record(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    action: Action,
    id: Uuid,
    details: Value,
) -> Result<(), ScimError> {
    let actor = ctx.client.actor();
    let target = format!("user:{id}");
    ctx.audit(&actor)
        .record(tx, action, &target, details)
        .await?;
    Ok(())
}

/// Ends every way in of a deactivated or deleted person (`crate::auth::cutoff`).
async fn deprovision(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    reason: &str,
) -> Result<(), ScimError> {
    let actor = ctx.client.actor();
    cutoff::deprovision(tx, &ctx.audit(&actor), UserId(id), reason).await?;
    Ok(())
}

/// A SCIM token writes to an existing account only when its maker reaches it now (holds
/// every permission the account holds): otherwise a narrow admin's token could rename an
/// admin's sign-in address and take the account over.
async fn require_reach(tx: &mut TenantTx, ctx: &WriteCtx<'_>, id: Uuid) -> Result<(), ScimError> {
    let reach = crate::authority::reach_of_maker(tx, &ctx.client.creator, ctx.now).await?;
    crate::authority::require_over(tx, &reach, UserId(id)).await?;
    Ok(())
}

pub async fn create(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    body: &Value,
) -> Result<Value, ScimError> {
    let w = written(attrs::normalize(Kind::User, body, Write::Create)?)?;
    let id = Uuid::new_v4();
    let write = write_of(&w, true);
    store::insert_user(tx, id, &write, ctx.now).await?;
    // What was just written, rendered without reading it back (a new user has no groups).
    let row = UserRow {
        id,
        email: w.email.clone(),
        display_name: w.display_name.clone(),
        status: if write.active { "active" } else { "disabled" }.into(),
        user_name: Some(w.user_name.clone()),
        external_id: w.external_id.clone(),
        scim: w.scim.clone(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let resource = render_rows(&[row], &HashMap::new(), ctx.base)
        .pop()
        .ok_or(ScimError::Unavailable)?;
    // Last before commit: the audit chain's lock is then held for the shortest time.
    record(
        tx,
        ctx,
        Action::ScimUserCreated,
        id,
        json!({ "active": write.active }),
    )
    .await?;
    Ok(resource)
}

pub async fn get(tx: &mut TenantTx, id: Uuid, base: &str) -> Result<Value, ScimError> {
    let row = store::user(tx, id, false)
        .await?
        .ok_or(ScimError::NotFound)?;
    render_one(tx, &row, base).await
}

/// Writes a new state for an existing user (PUT and PATCH end here).
async fn update(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    before: &UserRow,
    doc: Map<String, Value>,
    action: Action,
) -> Result<Value, ScimError> {
    let w = written(doc)?;
    let was_active = before.status == "active";
    let write = write_of(&w, was_active);
    store::update_user(tx, before.id, &write, ctx.now).await?;
    let actor = ctx.client.actor();
    let emails = (before.email.as_str(), w.email.as_str());
    cutoff::email_changed(tx, &ctx.audit(&actor), UserId(before.id), emails).await?;
    let deactivated = was_active && !write.active;
    if deactivated {
        deprovision(tx, ctx, before.id, "deprovisioned").await?;
    }
    let row = store::user(tx, before.id, false)
        .await?
        .ok_or(ScimError::Unavailable)?;
    let resource = render_one(tx, &row, ctx.base).await?;
    record(
        tx,
        ctx,
        action,
        before.id,
        json!({ "active": write.active, "deactivated": deactivated }),
    )
    .await?;
    Ok(resource)
}

/// The account to change, locked, once `If-Match` and the token maker's reach allow it.
async fn locked(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<UserRow, ScimError> {
    let row = store::user(tx, id, true)
        .await?
        .ok_or(ScimError::NotFound)?;
    if if_match.is_some() {
        check_if_match(if_match, &render_one(tx, &row, ctx.base).await?)?;
    }
    require_reach(tx, ctx, id).await?;
    Ok(row)
}

pub async fn replace(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimError> {
    let before = locked(tx, ctx, id, if_match).await?;
    let doc = attrs::normalize(Kind::User, body, Write::Replace)?;
    update(tx, ctx, &before, doc, Action::ScimUserReplaced).await
}

pub async fn patch(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimError> {
    let before = locked(tx, ctx, id, if_match).await?;
    let mut doc = editable(&before);
    patch::apply(Kind::User, &id.to_string(), &mut doc, body)?;
    let mut checked_input = doc.clone();
    checked_input.insert("schemas".into(), json!([USER]));
    let doc = attrs::normalize(Kind::User, &Value::Object(checked_input), Write::Replace)?;
    update(tx, ctx, &before, doc, Action::ScimUserPatched).await
}

/// A hard delete is an erasure (GDPR article 17): `prepared` holds the chain already
/// rewritten for the person (`person_erasure::prepare`, run by the session before this).
pub async fn delete(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    if_match: Option<&str>,
    prepared: &person_erasure::Pending,
) -> Result<(), ScimError> {
    locked(tx, ctx, id, if_match).await?;
    let user = crate::db::models::users::get(tx, crate::ids::UserId(id)).await?;
    let actor = ctx.client.actor();
    record(tx, ctx, Action::ScimUserDeleted, id, json!({})).await?;
    person_erasure::remove(tx, &ctx.audit(&actor), &user, prepared).await?;
    Ok(())
}

/// The account `id`, for an erasure's first step, once the token is shown to reach it and
/// `If-Match` holds: nothing is rewritten for a delete that would be refused.
pub async fn to_erase(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<crate::db::models::users::User, ScimError> {
    locked(tx, ctx, id, if_match).await?;
    Ok(crate::db::models::users::get(tx, crate::ids::UserId(id)).await?)
}

pub async fn list(
    tx: &mut TenantTx,
    params: &ListParams,
    base: &str,
) -> Result<(Vec<Value>, i64), ScimError> {
    let keys = PersonalKeys::of(tx).await?;
    let (condition, order, binds) =
        query::list_parts(Kind::User, tx.tenant().0.to_string(), Some(&keys), params)?;
    let page = store::Page {
        condition: &condition,
        order: &order,
        binds: &binds.0,
        offset: params.start_index - 1,
        limit: params.count,
    };
    let (rows, total) = store::list_users(tx, &page).await?;
    let mut resources = render(tx, &rows, base).await?;
    for r in &mut resources {
        attrs::project(r, &params.attributes, &params.excluded);
    }
    Ok((resources, total))
}
