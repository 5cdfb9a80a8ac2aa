//! SCIM Groups: a name, an optional externalId and member users. Membership is what the
//! workspace's group→role rules read, so a change here shows in the members' next token.

use super::attrs::{self, Write};
use super::error::ScimError;
use super::patch;
use super::query;
use super::resource::{check_if_match, with_meta, ListParams, WriteCtx};
use super::schema::{Kind, GROUP};
use crate::audit::Action;
use crate::db::models::scim_store::{self as store, GroupRow, GroupWrite};
use crate::db::TenantTx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

fn editable(row: &GroupRow) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("displayName".into(), json!(row.display_name));
    if let Some(x) = &row.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    if row.members.as_array().is_some_and(|m| !m.is_empty()) {
        doc.insert("members".into(), row.members.clone());
    }
    doc
}

struct Written {
    display_name: String,
    external_id: Option<String>,
    members: Value,
    member_ids: Vec<Uuid>,
}

/// Checks the members: each a user of this workspace, each once.
async fn written(tx: &mut TenantTx, mut doc: Map<String, Value>) -> Result<Written, ScimError> {
    let display_name = doc
        .remove("displayName")
        .and_then(|v| v.as_str().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(|| ScimError::invalid_value("displayName is required (1 to 256 characters)"))?;
    let external_id = doc
        .remove("externalId")
        .and_then(|v| v.as_str().map(str::to_string));
    let mut ids = BTreeMap::new();
    for m in doc
        .remove("members")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
    {
        if m.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.eq_ignore_ascii_case("User"))
        {
            return Err(ScimError::invalid_value("members must be users"));
        }
        let id = m
            .get("value")
            .and_then(Value::as_str)
            .and_then(|v| Uuid::try_parse(v).ok())
            .ok_or_else(|| ScimError::invalid_value("a member's value must be a user id"))?;
        let display = m.get("display").and_then(Value::as_str).map(str::to_string);
        ids.insert(id, display);
    }
    let member_ids: Vec<Uuid> = ids.keys().copied().collect();
    if !member_ids.is_empty() {
        let found = store::user_names(tx, &member_ids).await?;
        if found.len() != member_ids.len() {
            return Err(ScimError::invalid_value(
                "a member is not a user of this workspace",
            ));
        }
    }
    let members = Value::Array(
        ids.iter()
            .map(|(id, display)| {
                let mut m = json!({ "value": id.to_string(), "type": "User" });
                if let Some(d) = display {
                    m["display"] = json!(d);
                }
                m
            })
            .collect(),
    );
    Ok(Written {
        display_name,
        external_id,
        members,
        member_ids,
    })
}

pub fn render(rows: &[GroupRow], base: &str) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let mut out = Map::new();
            out.insert("schemas".into(), json!([GROUP]));
            out.insert("id".into(), json!(row.id.to_string()));
            let mut doc = editable(row);
            if let Some(Value::Array(members)) = doc.get_mut("members") {
                for m in members.iter_mut() {
                    if let Some(id) = m.get("value").and_then(Value::as_str).map(str::to_string) {
                        m["$ref"] = json!(format!("{base}/scim/v2/Users/{id}"));
                    }
                }
            }
            out.extend(doc);
            let mut resource = Value::Object(out);
            with_meta(
                &mut resource,
                "Group",
                format!("{base}/scim/v2/Groups/{}", row.id),
                row.created_at,
                row.updated_at,
            );
            resource
        })
        .collect()
}

fn render_one(row: &GroupRow, base: &str) -> Value {
    let mut all = render(std::slice::from_ref(row), base);
    all.pop().unwrap_or_default()
}

async fn record(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    action: Action,
    id: Uuid,
    details: Value,
) -> Result<(), ScimError> {
    let actor = ctx.client.actor();
    let target = format!("group:{id}");
    ctx.audit(&actor)
        .record(tx, action, &target, details)
        .await?;
    Ok(())
}

fn write_of<'a>(w: &'a Written, ctx: &'a WriteCtx<'_>) -> GroupWrite<'a> {
    GroupWrite {
        display_name: &w.display_name,
        external_id: w.external_id.as_deref(),
        members: &w.members,
        asserted_by: &ctx.client.creator,
    }
}

/// A token writes a group (its name before and after) only when every role the
/// workspace's mappings give for it is within its maker's reach: beyond it the mapping would
/// not count, and the write would take away what a wider maker's token gave.
async fn require_reach(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    names: &[&str],
) -> Result<(), ScimError> {
    let claims = crate::authority::mapping_engine::Claims {
        groups: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    if crate::authority::asserts_beyond_reach(tx, &ctx.client.creator, &claims).await? {
        return Err(ScimError::Forbidden(super::error::BEYOND_MAKER));
    }
    Ok(())
}

pub async fn create(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    body: &Value,
) -> Result<Value, ScimError> {
    let w = written(tx, attrs::normalize(Kind::Group, body, Write::Create)?).await?;
    require_reach(tx, ctx, &[&w.display_name]).await?;
    let id = Uuid::new_v4();
    store::insert_group(tx, id, &write_of(&w, ctx), ctx.now).await?;
    let row = store::group(tx, id, false)
        .await?
        .ok_or(ScimError::Unavailable)?;
    // Last before commit: the audit chain's lock is then held for the shortest time.
    record(
        tx,
        ctx,
        Action::ScimGroupCreated,
        id,
        json!({ "members": w.member_ids }),
    )
    .await?;
    Ok(render_one(&row, ctx.base))
}

pub async fn get(tx: &mut TenantTx, id: Uuid, base: &str) -> Result<Value, ScimError> {
    let row = store::group(tx, id, false)
        .await?
        .ok_or(ScimError::NotFound)?;
    Ok(render_one(&row, base))
}

async fn locked(
    tx: &mut TenantTx,
    id: Uuid,
    if_match: Option<&str>,
    base: &str,
) -> Result<GroupRow, ScimError> {
    let row = store::group(tx, id, true)
        .await?
        .ok_or(ScimError::NotFound)?;
    if if_match.is_some() {
        check_if_match(if_match, &render_one(&row, base))?;
    }
    Ok(row)
}

async fn update(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    before: &GroupRow,
    doc: Map<String, Value>,
    action: Action,
) -> Result<Value, ScimError> {
    let id = before.id;
    let w = written(tx, doc).await?;
    require_reach(tx, ctx, &[&before.display_name, &w.display_name]).await?;
    store::update_group(tx, id, &write_of(&w, ctx), ctx.now).await?;
    let row = store::group(tx, id, false)
        .await?
        .ok_or(ScimError::Unavailable)?;
    record(tx, ctx, action, id, json!({ "members": w.member_ids })).await?;
    Ok(render_one(&row, ctx.base))
}

pub async fn replace(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimError> {
    let before = locked(tx, id, if_match, ctx.base).await?;
    let doc = attrs::normalize(Kind::Group, body, Write::Replace)?;
    update(tx, ctx, &before, doc, Action::ScimGroupReplaced).await
}

pub async fn patch(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimError> {
    let before = locked(tx, id, if_match, ctx.base).await?;
    let mut doc = editable(&before);
    patch::apply(Kind::Group, &id.to_string(), &mut doc, body)?;
    doc.insert("schemas".into(), json!([GROUP]));
    let doc = attrs::normalize(Kind::Group, &Value::Object(doc), Write::Replace)?;
    update(tx, ctx, &before, doc, Action::ScimGroupPatched).await
}

pub async fn delete(
    tx: &mut TenantTx,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ScimError> {
    let before = locked(tx, id, if_match, ctx.base).await?;
    require_reach(tx, ctx, &[&before.display_name]).await?;
    store::delete_group(tx, id).await?;
    record(tx, ctx, Action::ScimGroupDeleted, id, json!({})).await?;
    Ok(())
}

pub async fn list(
    tx: &mut TenantTx,
    params: &ListParams,
    base: &str,
) -> Result<(Vec<Value>, i64), ScimError> {
    let (condition, order, binds) =
        query::list_parts(Kind::Group, tx.tenant().0.to_string(), None, params)?;
    let page = store::Page {
        condition: &condition,
        order: &order,
        binds: &binds.0,
        offset: params.start_index - 1,
        limit: params.count,
    };
    let (rows, total) = store::list_groups(tx, &page).await?;
    let mut resources = render(&rows, base);
    for r in &mut resources {
        attrs::project(r, &params.attributes, &params.excluded);
    }
    Ok((resources, total))
}
