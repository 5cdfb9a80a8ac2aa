//! People of one tenant.

use super::person_fields::{self, PersonFields, StoredName};
use crate::db::personal_keys::PersonalKeys;
use crate::db::schema::users;
use crate::db::{DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// A user without the password hash, which only the sign-in code reads. The email and
/// display name are opened from their sealed columns (`super::person_fields`).
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: String,
    pub display_name: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// A break-glass account the workspace's MFA rule does not apply to.
    pub mfa_exempt: bool,
}

/// A `users` row as stored: the person's name and email still sealed.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct StoredUser {
    id: Uuid,
    tenant_id: Uuid,
    #[diesel(embed)]
    name: StoredName,
    status: String,
    created_at: DateTime<Utc>,
    mfa_exempt: bool,
}

impl StoredUser {
    fn open(self, keys: &PersonalKeys) -> Result<User, DbError> {
        let (email, display_name) = self.name.open(keys, self.id)?;
        Ok(User {
            id: UserId(self.id),
            tenant_id: TenantId(self.tenant_id),
            email,
            display_name,
            status: self.status,
            created_at: self.created_at,
            mfa_exempt: self.mfa_exempt,
        })
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(tx: &mut TenantTx, new: &NewUser<'_>) -> Result<User, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let id = UserId::new().0;
    let fields = PersonFields {
        email: new.email.to_string(),
        display_name: new.display_name.map(str::to_string),
        ..Default::default()
    };
    let sealed = person_fields::seal(&keys, id, &fields)?;
    let user = diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::tenant_id.eq(tenant),
            users::password_hash.eq(new.password_hash),
            &sealed.columns,
        ))
        .returning(StoredUser::as_returning())
        .get_result(tx.conn()?)
        .await?
        .open(&keys)?;
    person_fields::write_email_indexes(tx, id, &sealed).await?;
    Ok(user)
}

/// What finds the person whose sign-in email is `email` (any letter case), in either stored
/// form: its blind index (sealed rows) and its lower-case key (rows still in clear).
fn by_email(keys: &PersonalKeys, email: &str) -> Result<(String, String), DbError> {
    Ok((
        person_fields::email_index(keys, email)?,
        crate::text::email_key(email),
    ))
}

/// Case-insensitive lookup within the transaction's tenant.
pub async fn find_by_email(tx: &mut TenantTx, email: &str) -> Result<Option<User>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let (index, key) = by_email(&keys, email)?;
    users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_index.eq(index).or(users::email_key.eq(key)))
        .select(StoredUser::as_select())
        .first(tx.conn()?)
        .await
        .optional()?
        .map(|u| u.open(&keys))
        .transpose()
}

pub async fn get(tx: &mut TenantTx, id: UserId) -> Result<User, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    users::table
        .filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0)))
        .select(StoredUser::as_select())
        .first(tx.conn()?)
        .await?
        .open(&keys)
}

pub async fn count(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .count()
        .get_result(tx.conn()?)
        .await?)
}

/// A page of people in id order after `after`. `search` finds the person whose email or
/// user name is exactly that text (any letter case): both are sealed at rest, so only an
/// equality lookup through their blind indexes is possible, never a part of them.
pub async fn list(
    tx: &mut TenantTx,
    after: Option<UserId>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let mut q = users::table
        .filter(users::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(users::id.gt(after.0));
    }
    if let Some(text) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let (index, key) = by_email(&keys, text)?;
        let by_user_name = person_fields::user_name_index(&keys, text)?;
        q = q.filter(
            users::email_index
                .eq(index)
                .or(users::email_key.eq(key.clone()))
                .or(users::user_name_index.eq(by_user_name))
                .or(users::user_name_key.eq(key)),
        );
    }
    q.order(users::id.asc())
        .limit(limit)
        .select(StoredUser::as_select())
        .load(tx.conn()?)
        .await?
        .into_iter()
        .map(|u| u.open(&keys))
        .collect()
}

pub async fn set_status(tx: &mut TenantTx, id: UserId, status: &str) -> Result<User, DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
        .set((
            users::status.eq(status),
            users::updated_at.eq(chrono::Utc::now()),
        ))
        .returning(StoredUser::as_returning())
        .get_result(tx.conn()?)
        .await?
        .open(&keys)
}

/// The user with this email and their password hash, for sign-in only.
pub async fn credentials(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<(User, Option<String>)>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let (index, key) = by_email(&keys, email)?;
    let found: Option<(StoredUser, Option<String>)> = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_index.eq(index).or(users::email_key.eq(key)))
        .select((StoredUser::as_select(), users::password_hash))
        .first(tx.conn()?)
        .await
        .optional()?;
    found
        .map(|(u, hash)| Ok((u.open(&keys)?, hash)))
        .transpose()
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

/// Updates the email and display name an identity provider reports (SSO sign-in); the
/// person's other fields are kept (and sealed, if the row still held them in clear).
pub async fn set_profile(
    tx: &mut TenantTx,
    id: UserId,
    email: &str,
    display_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let mut fields = person_fields::read(tx, &keys, id.0).await?;
    fields.email = email.to_string();
    fields.display_name = display_name.map(str::to_string);
    let sealed = person_fields::seal(&keys, id.0, &fields)?;
    diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id.0))))
        .set((&sealed.columns, users::updated_at.eq(now)))
        .execute(tx.conn()?)
        .await?;
    person_fields::write_email_indexes(tx, id.0, &sealed).await
}
