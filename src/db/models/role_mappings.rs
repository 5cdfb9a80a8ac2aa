//! Group→role and attribute→role rules of one tenant, and what was asserted about a person
//! (SCIM groups, SSO groups and attributes) by whom, as rows: the authority model turns
//! them into rules and claims (`crate::authority::mapping_rules`).

use crate::db::schema::{role_mappings as rm, roles};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

/// A rule as the admin API shows it: a group rule has `group`; an attribute rule has
/// `attribute` and `value`.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

type RuleRow = (Uuid, Option<String>, String, Uuid, String, DateTime<Utc>);

async fn rows(tx: &mut TenantTx) -> Result<Vec<RuleRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(rm::table
        .inner_join(
            roles::table.on(roles::id
                .eq(rm::role_id)
                .and(roles::tenant_id.eq(rm::tenant_id))),
        )
        .filter(rm::tenant_id.eq(tenant))
        .order((rm::claim.asc(), rm::group_name.asc(), roles::name.asc()))
        .select((
            rm::id,
            rm::claim,
            rm::group_name,
            rm::role_id,
            roles::name,
            rm::created_at,
        ))
        .load(tx.conn()?)
        .await?)
}

pub fn view(
    id: Uuid,
    claim: Option<String>,
    value: String,
    role: String,
    at: DateTime<Utc>,
) -> Rule {
    match claim {
        None => Rule {
            id,
            group: Some(value),
            attribute: None,
            value: None,
            role,
            created_at: at,
        },
        Some(c) => Rule {
            id,
            group: None,
            attribute: Some(c),
            value: Some(value),
            role,
            created_at: at,
        },
    }
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Rule>, DbError> {
    Ok(rows(tx)
        .await?
        .into_iter()
        .map(|(id, claim, value, _, role, at)| view(id, claim, value, role, at))
        .collect())
}

/// Every rule as (id, claim, value, role id, role name), in the engine's order.
pub async fn rule_rows(
    tx: &mut TenantTx,
) -> Result<Vec<(Uuid, Option<String>, String, Uuid, String)>, DbError> {
    Ok(rows(tx)
        .await?
        .into_iter()
        .map(|(id, claim, value, role_id, role, _)| (id, claim, value, role_id, role))
        .collect())
}

pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    claim: Option<&str>,
    value: &str,
    role: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::insert_into(rm::table)
        .values((
            rm::id.eq(id),
            rm::tenant_id.eq(tenant),
            rm::claim.eq(claim),
            rm::group_name.eq(value),
            rm::role_id.eq(role),
            rm::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let n = diesel::delete(rm::table.filter(rm::tenant_id.eq(tenant).and(rm::id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

#[derive(QueryableByName)]
struct AssertedGroups {
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    names: Vec<String>,
    #[diesel(sql_type = Text)]
    asserted_by: String,
}

/// What was asserted about `user`: the SCIM groups they are a member of, by the creator of
/// the token that last wrote each group, as (asserter, group names); and per enabled SSO
/// connection the groups and attributes its IdP sent at their last sign-in, as (groups,
/// attributes, the admin who last configured the connection).
#[allow(clippy::type_complexity)]
pub async fn asserted_about(
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<
    (
        Vec<(String, Vec<String>)>,
        Vec<(serde_json::Value, serde_json::Value, String)>,
    ),
    DbError,
> {
    let tenant = tx.tenant().0;
    let groups: Vec<AssertedGroups> = diesel::sql_query(
        "SELECT array_agg(g.display_name) AS names, g.asserted_by FROM scim_groups g \
         WHERE g.tenant_id = $1 AND g.members @> jsonb_build_array(jsonb_build_object('value', $2::text)) \
         GROUP BY g.asserted_by",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Text, _>(user.to_string())
    .load(tx.conn()?)
    .await?;
    let scim = groups
        .into_iter()
        .map(|g| (g.asserted_by, g.names))
        .collect();
    let sso = super::sso_flow::claims_of_user(tx, user).await?;
    Ok((scim, sso))
}
