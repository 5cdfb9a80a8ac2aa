//! People of one tenant.

use crate::db::schema::users;
use crate::db::{DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// A user without the password hash, which only the sign-in code reads.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    #[diesel(deserialize_as = Uuid)]
    pub id: UserId,
    #[diesel(deserialize_as = Uuid)]
    pub tenant_id: TenantId,
    pub email: String,
    pub display_name: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// A break-glass account the workspace's MFA rule does not apply to.
    pub mfa_exempt: bool,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewUser<'_>) -> Result<User, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::insert_into(users::table)
        .values((
            users::id.eq(UserId::new().0),
            users::tenant_id.eq(tenant),
            users::email.eq(new.email),
            users::display_name.eq(new.display_name),
            users::password_hash.eq(new.password_hash),
        ))
        .returning(User::as_returning())
        .get_result(tx.conn()?)
        .await?)
}

/// Case-insensitive lookup within the transaction's tenant.
pub async fn find_by_email(tx: &mut TenantTx, email: &str) -> Result<Option<User>, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_key.eq(crate::text::email_key(email)))
        .select(User::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn get(tx: &mut TenantTx, id: UserId) -> Result<User, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0)))
        .select(User::as_select())
        .first(tx.conn()?)
        .await?)
}

pub async fn count(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .count()
        .get_result(tx.conn()?)
        .await?)
}

/// Users of the tenant, oldest first, at most `limit` after `after` (keyset pagination).
/// A page of people in id order after `after`; `search` matches part of the email or name,
/// ignoring case.
pub async fn list(
    tx: &mut TenantTx,
    after: Option<UserId>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, DbError> {
    let tenant = tx.tenant().0;
    let mut q = users::table
        .filter(users::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(users::id.gt(after.0));
    }
    if let Some(text) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        q = q.filter(
            users::email_key
                .like(pattern.clone())
                .or(users::display_name.ilike(pattern).assume_not_null()),
        );
    }
    Ok(q.order(users::id.asc())
        .limit(limit)
        .select(User::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn set_status(tx: &mut TenantTx, id: UserId, status: &str) -> Result<User, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    Ok(
        diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
            .set((
                users::status.eq(status),
                users::updated_at.eq(chrono::Utc::now()),
            ))
            .returning(User::as_returning())
            .get_result(tx.conn()?)
            .await?,
    )
}

/// The user with this email and their password hash, for sign-in only.
pub async fn credentials(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<(User, Option<String>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_key.eq(crate::text::email_key(email)))
        .select((User::as_select(), users::password_hash))
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn set_password(
    tx: &mut TenantTx,
    id: UserId,
    password_hash: &str,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Sets the break-glass exemption; `false` when there is no such user.
pub async fn set_mfa_exempt(tx: &mut TenantTx, id: UserId, exempt: bool) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n =
        diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
            .set(users::mfa_exempt.eq(exempt))
            .execute(tx.conn()?)
            .await?;
    Ok(n == 1)
}

/// The stored password hash of `id` (none for SSO-only people).
pub async fn password_hash(tx: &mut TenantTx, id: UserId) -> Result<Option<String>, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0)))
        .select(users::password_hash)
        .first::<Option<String>>(tx.conn()?)
        .await
        .optional()?
        .flatten())
}

/// Updates the email and display name an identity provider reports (SSO sign-in).
pub async fn set_profile(
    tx: &mut TenantTx,
    id: UserId,
    email: &str,
    display_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
        .set((
            users::email.eq(email),
            users::display_name.eq(display_name),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}
