//! Rows behind SCIM Users (the `users` table) and Groups (`scim_groups`) of one tenant.
//! List queries take a condition and an order built by `crate::scim::query` from the
//! schema allow-list; every value in them is a bind parameter (`$1` is the tenant).

use super::person_fields::{self, PersonFields, StoredPerson};
use crate::db::personal_keys::PersonalKeys;
use crate::db::schema::{scim_groups as sg, users};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::Value;
use uuid::Uuid;

/// A SCIM user in clear (its personal fields opened from `super::person_fields`).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub status: String,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub scim: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A SCIM user as stored: its personal fields still sealed.
#[derive(QueryableByName)]
#[diesel(table_name = users)]
struct StoredScimUser {
    id: Uuid,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[diesel(embed)]
    person: StoredPerson,
}

impl StoredScimUser {
    fn open(self, keys: &PersonalKeys) -> Result<UserRow, DbError> {
        let p = self.person.open(keys, self.id)?;
        Ok(UserRow {
            id: self.id,
            email: p.email,
            display_name: p.display_name,
            status: self.status,
            user_name: p.user_name,
            external_id: p.external_id,
            scim: p.scim,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct GroupRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub external_id: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub members: Value,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

const USER_COLS: &str = "u.id, u.status, u.created_at, u.updated_at, u.email, u.email_sealed, \
    u.display_name, u.display_name_sealed, u.user_name, u.user_name_sealed, u.external_id, \
    u.external_id_sealed, u.scim, u.scim_sealed";
const GROUP_COLS: &str =
    "g.id, g.display_name, g.external_id, g.members, g.created_at, g.updated_at";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn bound(
    sql: String,
    binds: &[String],
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let mut q = diesel::sql_query(sql).into_boxed();
    for b in binds {
        q = q.bind::<Text, _>(b.clone());
    }
    q
}

/// A filtered, ordered page of one table.
pub struct Page<'a> {
    /// SQL condition over the table's alias; its values are in `binds` (`$1` the tenant).
    pub condition: &'a str,
    pub order: &'a str,
    pub binds: &'a [String],
    pub offset: i64,
    pub limit: i64,
}

/// Rows of `from` (e.g. `users u`) on `page`, and how many match in all.
async fn list<T>(
    tx: &mut TenantTx,
    from: &str,
    alias: &str,
    cols: &str,
    page: &Page<'_>,
) -> Result<(Vec<T>, i64), DbError>
where
    T: QueryableByName<diesel::pg::Pg> + Send + 'static,
{
    let tenant = tx.tenant().0.to_string();
    if page.binds.first() != Some(&tenant) {
        return Err(DbError::Unavailable(
            "binds must start with the tenant".into(),
        ));
    }
    let filter = format!("{alias}.tenant_id = $1::uuid AND ({})", page.condition);
    let total = bound(
        format!("SELECT count(*) AS n FROM {from} WHERE {filter}"),
        page.binds,
    )
    .get_result::<Count>(tx.conn()?)
    .await?
    .n;
    if page.limit <= 0 {
        return Ok((Vec::new(), total));
    }
    let rows = bound(
        format!(
            "SELECT {cols} FROM {from} WHERE {filter} ORDER BY {} OFFSET {} LIMIT {}",
            page.order, page.offset, page.limit
        ),
        page.binds,
    )
    .load::<T>(tx.conn()?)
    .await?;
    Ok((rows, total))
}

/// Users on `page`, and how many match in all.
pub async fn list_users(
    tx: &mut TenantTx,
    page: &Page<'_>,
) -> Result<(Vec<UserRow>, i64), DbError> {
    let keys = PersonalKeys::of(tx).await?;
    let (rows, total) = list::<StoredScimUser>(tx, "users u", "u", USER_COLS, page).await?;
    let rows = rows.into_iter().map(|r| r.open(&keys));
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// Groups on `page`, and how many match in all.
pub async fn list_groups(
    tx: &mut TenantTx,
    page: &Page<'_>,
) -> Result<(Vec<GroupRow>, i64), DbError> {
    list(tx, "scim_groups g", "g", GROUP_COLS, page).await
}

/// One user, locked for update when `lock`.
pub async fn user(tx: &mut TenantTx, id: Uuid, lock: bool) -> Result<Option<UserRow>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let lock = if lock { " FOR UPDATE" } else { "" };
    diesel::sql_query(format!(
        "SELECT {USER_COLS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2{lock}"
    ))
    .bind::<SqlUuid, _>(tenant)
    .bind::<SqlUuid, _>(id)
    .get_result::<StoredScimUser>(tx.conn()?)
    .await
    .optional()?
    .map(|r| r.open(&keys))
    .transpose()
}

pub async fn group(tx: &mut TenantTx, id: Uuid, lock: bool) -> Result<Option<GroupRow>, DbError> {
    let tenant = tx.tenant().0;
    let lock = if lock { " FOR UPDATE" } else { "" };
    Ok(diesel::sql_query(format!(
        "SELECT {GROUP_COLS} FROM scim_groups g WHERE g.tenant_id = $1 AND g.id = $2{lock}"
    ))
    .bind::<SqlUuid, _>(tenant)
    .bind::<SqlUuid, _>(id)
    .get_result::<GroupRow>(tx.conn()?)
    .await
    .optional()?)
}

/// What a SCIM write sets on a user (sealed on the way in).
pub struct UserWrite<'a> {
    pub user_name: &'a str,
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub scim: &'a Value,
    pub active: bool,
}

impl UserWrite<'_> {
    fn fields(&self) -> PersonFields {
        PersonFields {
            email: self.email.to_string(),
            display_name: self.display_name.map(str::to_string),
            user_name: Some(self.user_name.to_string()),
            external_id: self.external_id.map(str::to_string),
            scim: self.scim.clone(),
        }
    }
}

pub async fn insert_user(
    tx: &mut TenantTx,
    id: Uuid,
    w: &UserWrite<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let sealed = person_fields::seal(&keys, id, &w.fields())?;
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::tenant_id.eq(tenant),
            users::status.eq(if w.active { "active" } else { "disabled" }),
            &sealed.columns,
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    person_fields::write_email_indexes(tx, id, &sealed).await
}

pub async fn update_user(
    tx: &mut TenantTx,
    id: Uuid,
    w: &UserWrite<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let sealed = person_fields::seal(&keys, id, &w.fields())?;
    diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id))))
        .set((
            users::status.eq(if w.active { "active" } else { "disabled" }),
            &sealed.columns,
            users::updated_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    person_fields::write_email_indexes(tx, id, &sealed).await
}

pub async fn delete_user(tx: &mut TenantTx, id: Uuid) -> Result<bool, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let n = diesel::delete(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Membership {
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub group_id: Uuid,
    #[diesel(sql_type = Text)]
    pub group_name: String,
}

/// The groups each of `users` belongs to.
pub async fn memberships(tx: &mut TenantTx, users: &[Uuid]) -> Result<Vec<Membership>, DbError> {
    let tenant = tx.tenant().0;
    let ids: Vec<String> = users.iter().map(Uuid::to_string).collect();
    Ok(diesel::sql_query(
        "SELECT (m->>'value')::uuid AS user_id, g.id AS group_id, g.display_name AS group_name \
         FROM scim_groups g, jsonb_array_elements(g.members) AS m \
         WHERE g.tenant_id = $1 AND m->>'value' = ANY($2) ORDER BY g.display_name",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Array<Text>, _>(ids)
    .load(tx.conn()?)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Named {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// Display names (or user names, or emails) of the users among `ids` in this tenant.
pub async fn user_names(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<Named>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let rows: Vec<(Uuid, StoredPerson)> = users::table
        .filter(users::tenant_id.eq(tenant).and(users::id.eq_any(ids)))
        .select((users::id, StoredPerson::as_select()))
        .load(tx.conn()?)
        .await?;
    rows.into_iter()
        .map(|(id, stored)| {
            let p = stored.open(&keys, id)?;
            let name = p.display_name.or(p.user_name).unwrap_or(p.email);
            Ok(Named { id, name })
        })
        .collect()
}

pub struct GroupWrite<'a> {
    pub display_name: &'a str,
    pub external_id: Option<&'a str>,
    pub members: &'a Value,
    /// The maker of the token writing it: the group's mappings reach no further.
    pub asserted_by: &'a str,
}

pub async fn insert_group(
    tx: &mut TenantTx,
    id: Uuid,
    w: &GroupWrite<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::insert_into(sg::table)
        .values((
            sg::id.eq(id),
            sg::tenant_id.eq(tenant),
            sg::display_name.eq(w.display_name),
            sg::external_id.eq(w.external_id),
            sg::members.eq(w.members),
            sg::asserted_by.eq(w.asserted_by),
            sg::created_at.eq(now),
            sg::updated_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn update_group(
    tx: &mut TenantTx,
    id: Uuid,
    w: &GroupWrite<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::update(sg::table.filter(sg::tenant_id.eq(tenant).and(sg::id.eq(id))))
        .set((
            sg::display_name.eq(w.display_name),
            sg::external_id.eq(w.external_id),
            sg::members.eq(w.members),
            sg::asserted_by.eq(w.asserted_by),
            sg::updated_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn delete_group(tx: &mut TenantTx, id: Uuid) -> Result<bool, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let n = diesel::delete(sg::table.filter(sg::tenant_id.eq(tenant).and(sg::id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

/// Takes `user` out of every group (the user is being deleted).
pub async fn remove_from_all_groups(
    tx: &mut TenantTx,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::sql_query(
        "UPDATE scim_groups SET updated_at = $3, members = coalesce((SELECT jsonb_agg(m) \
         FROM jsonb_array_elements(members) AS m WHERE m->>'value' <> $2), '[]'::jsonb) \
         WHERE tenant_id = $1 AND members @> jsonb_build_array(jsonb_build_object('value', $2))",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Text, _>(user.to_string())
    .bind::<Timestamptz, _>(now)
    .execute(tx.conn()?)
    .await?;
    Ok(())
}
