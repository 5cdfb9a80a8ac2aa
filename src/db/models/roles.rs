//! Roles of one tenant and their grants to users.

use crate::db::schema::{roles, user_roles};
use crate::db::{DbError, TenantTx};
use crate::ids::{RoleId, UserId};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = roles)]
pub struct Role {
    #[diesel(deserialize_as = Uuid)]
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
}

pub struct NewRole<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permissions: &'a [&'a str],
    pub builtin: bool,
}

pub async fn insert(tx: &mut TenantTx, new: &NewRole<'_>) -> Result<Role, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let permissions: Vec<String> = new.permissions.iter().map(|p| (*p).to_string()).collect();
    Ok(diesel::insert_into(roles::table)
        .values((
            roles::id.eq(RoleId::new().0),
            roles::tenant_id.eq(tenant),
            roles::name.eq(new.name),
            roles::description.eq(new.description),
            roles::permissions.eq(permissions),
            roles::builtin.eq(new.builtin),
        ))
        .returning(Role::as_returning())
        .get_result(tx.conn()?)
        .await?)
}

pub async fn find_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<Role>, DbError> {
    let tenant = tx.tenant().0;
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant).and(roles::name.eq(name)))
        .select(Role::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn grant(tx: &mut TenantTx, user: UserId, role: RoleId) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::insert_into(user_roles::table)
        .values((
            user_roles::tenant_id.eq(tenant),
            user_roles::user_id.eq(user.0),
            user_roles::role_id.eq(role.0),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Role>, DbError> {
    let tenant = tx.tenant().0;
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant))
        .order(roles::name.asc())
        .select(Role::as_select())
        .load(tx.conn()?)
        .await?)
}

/// The roles granted to `user` directly, sorted by name. Roles given through role
/// mappings come on top: `crate::authority::roles_of` adds them within their asserter's reach.
pub async fn direct_for_user(tx: &mut TenantTx, user: UserId) -> Result<Vec<Role>, DbError> {
    let tenant = tx.tenant().0;
    Ok(user_roles::table
        .inner_join(
            roles::table.on(roles::id
                .eq(user_roles::role_id)
                .and(roles::tenant_id.eq(user_roles::tenant_id))),
        )
        .filter(
            user_roles::tenant_id
                .eq(tenant)
                .and(user_roles::user_id.eq(user.0)),
        )
        .order(roles::name.asc())
        .select(Role::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Replaces the user's roles with `role_ids`.
pub async fn set_for_user(
    tx: &mut TenantTx,
    user: UserId,
    role_ids: &[RoleId],
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    diesel::delete(
        user_roles::table.filter(
            user_roles::tenant_id
                .eq(tenant)
                .and(user_roles::user_id.eq(user.0)),
        ),
    )
    .execute(tx.conn()?)
    .await?;
    for role in role_ids {
        grant(tx, user, *role).await?;
    }
    Ok(())
}

/// How many active users hold the role `name`.
pub async fn active_holders(tx: &mut TenantTx, name: &str) -> Result<i64, DbError> {
    use crate::db::schema::users;
    let tenant = tx.tenant().0;
    Ok(user_roles::table
        .inner_join(
            roles::table.on(roles::id
                .eq(user_roles::role_id)
                .and(roles::tenant_id.eq(user_roles::tenant_id))),
        )
        .inner_join(
            users::table.on(users::id
                .eq(user_roles::user_id)
                .and(users::tenant_id.eq(user_roles::tenant_id))),
        )
        .filter(
            user_roles::tenant_id
                .eq(tenant)
                .and(roles::name.eq(name))
                .and(users::status.eq("active")),
        )
        .count()
        .get_result(tx.conn()?)
        .await?)
}
