//! A person's fields in the `users` table, sealed at rest. Writes store ciphertexts under the
//! workspace's key and keyed blind indexes (`PersonalKeys::index`) for the lookups that need
//! equality; reads open them. Rows written before personal data was sealed keep clear
//! columns until `identity encryption rotate` seals them ([`seal_clear_rows`]); every read
//! takes a row in either form, and a sealed row has every clear column empty.

use crate::db::personal_keys::PersonalKeys;
use crate::db::schema::users;
use crate::db::{DbError, TenantTx};
use crate::text::email_key;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use uuid::Uuid;

pub const TABLE: &str = "users";
pub const EMAIL: &str = "email_sealed";
pub const DISPLAY_NAME: &str = "display_name_sealed";
pub const USER_NAME: &str = "user_name_sealed";
pub const EXTERNAL_ID: &str = "external_id_sealed";
pub const SCIM: &str = "scim_sealed";

/// Blind-index purposes: one HMAC key, a different purpose per lookup.
const BY_EMAIL: &str = "email";
const BY_USER_NAME: &str = "userName";
const BY_EXTERNAL_ID: &str = "externalId";
const BY_EMAILS: &str = "emails";

/// A person's fields in clear, as callers see them.
#[derive(Debug, Clone, Default)]
pub struct PersonFields {
    pub email: String,
    pub display_name: Option<String>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    /// The rest of the SCIM document (name, phone numbers, addresses, extensions).
    pub scim: Value,
}

/// The columns a write sets: ciphertexts and indexes, every clear column emptied.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct SealedColumns {
    email: Option<String>,
    display_name: Option<String>,
    user_name: Option<String>,
    external_id: Option<String>,
    scim: Value,
    email_sealed: Option<String>,
    display_name_sealed: Option<String>,
    user_name_sealed: Option<String>,
    external_id_sealed: Option<String>,
    scim_sealed: Option<String>,
    email_index: Option<String>,
    user_name_index: Option<String>,
    external_id_index: Option<String>,
}

/// A person sealed for storage: the row's columns, and the blind indexes of their SCIM
/// email addresses (rows of `user_email_indexes`, written by [`write`]).
pub struct Sealed {
    pub columns: SealedColumns,
    email_indexes: Vec<String>,
}

/// The name and email of a stored person, in whichever form the row holds them.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = users)]
pub struct StoredName {
    email: Option<String>,
    email_sealed: Option<String>,
    display_name: Option<String>,
    display_name_sealed: Option<String>,
}

/// Every personal field of a stored person, in whichever form the row holds them.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = users)]
pub struct StoredPerson {
    #[diesel(embed)]
    name: StoredName,
    user_name: Option<String>,
    user_name_sealed: Option<String>,
    external_id: Option<String>,
    external_id_sealed: Option<String>,
    scim: Value,
    scim_sealed: Option<String>,
}

fn open_opt(
    keys: &PersonalKeys,
    column: &'static str,
    row: &str,
    clear: Option<String>,
    sealed: Option<&str>,
) -> Result<Option<String>, DbError> {
    match sealed {
        Some(s) => keys.open(TABLE, column, row, s).map(Some),
        None => Ok(clear),
    }
}

impl StoredName {
    /// (email, display name) in clear.
    pub fn open(self, keys: &PersonalKeys, id: Uuid) -> Result<(String, Option<String>), DbError> {
        let row = id.to_string();
        let email = open_opt(keys, EMAIL, &row, self.email, self.email_sealed.as_deref())?
            .ok_or_else(|| DbError::Sealed("a person without an email".into()))?;
        let name = open_opt(
            keys,
            DISPLAY_NAME,
            &row,
            self.display_name,
            self.display_name_sealed.as_deref(),
        )?;
        Ok((email, name))
    }
}

impl StoredPerson {
    pub fn open(self, keys: &PersonalKeys, id: Uuid) -> Result<PersonFields, DbError> {
        let row = id.to_string();
        let scim = match self.scim_sealed.as_deref() {
            Some(s) => serde_json::from_str(&keys.open(TABLE, SCIM, &row, s)?)
                .map_err(|_| DbError::Sealed("a SCIM document that is not JSON".into()))?,
            None => self.scim,
        };
        let user_name = open_opt(
            keys,
            USER_NAME,
            &row,
            self.user_name,
            self.user_name_sealed.as_deref(),
        )?;
        let external_id = open_opt(
            keys,
            EXTERNAL_ID,
            &row,
            self.external_id,
            self.external_id_sealed.as_deref(),
        )?;
        let (email, display_name) = self.name.open(keys, id)?;
        Ok(PersonFields {
            email,
            display_name,
            user_name,
            external_id,
            scim,
        })
    }
}

/// The index that finds a person by sign-in email.
pub fn email_index(keys: &PersonalKeys, email: &str) -> Result<String, DbError> {
    keys.index(BY_EMAIL, &email_key(email))
}

/// The index that finds a person by SCIM userName (their email when they have none).
pub fn user_name_index(keys: &PersonalKeys, user_name: &str) -> Result<String, DbError> {
    keys.index(BY_USER_NAME, &email_key(user_name))
}

/// The index that finds a person by externalId (case-exact).
pub fn external_id_index(keys: &PersonalKeys, external_id: &str) -> Result<String, DbError> {
    keys.index(BY_EXTERNAL_ID, external_id)
}

/// The index of one SCIM email address, of any type (`kind: None`) or of one type.
pub fn emails_index(
    keys: &PersonalKeys,
    kind: Option<&str>,
    value: &str,
) -> Result<String, DbError> {
    let kind = kind.map(str::to_lowercase).unwrap_or_default();
    keys.index(BY_EMAILS, &format!("{kind}\u{0}{}", email_key(value)))
}

/// Every emails index of a person: each address bare and with its type, and the account's.
fn all_emails_indexes(keys: &PersonalKeys, p: &PersonFields) -> Result<Vec<String>, DbError> {
    let mut out = vec![emails_index(keys, None, &p.email)?];
    let listed = p.scim.get("emails").and_then(Value::as_array);
    for e in listed.into_iter().flatten() {
        let Some(value) = e.get("value").and_then(Value::as_str) else {
            continue;
        };
        out.push(emails_index(keys, None, value)?);
        if let Some(kind) = e.get("type").and_then(Value::as_str) {
            out.push(emails_index(keys, Some(kind), value)?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// How `p` is stored as row `id`.
pub fn seal(keys: &PersonalKeys, id: Uuid, p: &PersonFields) -> Result<Sealed, DbError> {
    let row = id.to_string();
    let seal = |column, v: Option<&str>| -> Result<Option<String>, DbError> {
        v.map(|v| keys.seal(TABLE, column, &row, v)).transpose()
    };
    let scim = match &p.scim {
        Value::Object(m) if m.is_empty() => None,
        Value::Null => None,
        doc => Some(doc.to_string()),
    };
    let columns = SealedColumns {
        email: None,
        display_name: None,
        user_name: None,
        external_id: None,
        scim: Value::Object(Default::default()),
        email_sealed: seal(EMAIL, Some(&p.email))?,
        display_name_sealed: seal(DISPLAY_NAME, p.display_name.as_deref())?,
        user_name_sealed: seal(USER_NAME, p.user_name.as_deref())?,
        external_id_sealed: seal(EXTERNAL_ID, p.external_id.as_deref())?,
        scim_sealed: seal(SCIM, scim.as_deref())?,
        email_index: Some(email_index(keys, &p.email)?),
        user_name_index: Some(user_name_index(
            keys,
            p.user_name.as_deref().unwrap_or(&p.email),
        )?),
        external_id_index: p
            .external_id
            .as_deref()
            .map(|x| external_id_index(keys, x))
            .transpose()?,
    };
    Ok(Sealed {
        columns,
        email_indexes: all_emails_indexes(keys, p)?,
    })
}

/// Replaces the email indexes of row `id` with `sealed`'s (after its row is written).
pub async fn write_email_indexes(
    tx: &mut TenantTx,
    id: Uuid,
    sealed: &Sealed,
) -> Result<(), DbError> {
    use crate::db::schema::user_email_indexes as uei;
    let tenant = tx.tenant().0;
    diesel::delete(uei::table.filter(uei::tenant_id.eq(tenant).and(uei::user_id.eq(id))))
        .execute(tx.conn()?)
        .await?;
    let rows: Vec<_> = sealed
        .email_indexes
        .iter()
        .map(|v| {
            (
                uei::tenant_id.eq(tenant),
                uei::user_id.eq(id),
                uei::value.eq(v),
            )
        })
        .collect();
    diesel::insert_into(uei::table)
        .values(rows)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Reads every field of `id` (in either form), for a write that changes only some of them.
pub async fn read(
    tx: &mut TenantTx,
    keys: &PersonalKeys,
    id: Uuid,
) -> Result<PersonFields, DbError> {
    let tenant = tx.tenant().0;
    let stored: StoredPerson = users::table
        .filter(users::tenant_id.eq(tenant).and(users::id.eq(id)))
        .select(StoredPerson::as_select())
        .first(tx.conn()?)
        .await?;
    stored.open(keys, id)
}

/// Seals up to `limit` rows of `tx`'s workspace still held in clear (written before personal
/// data was sealed); returns how many. Each row is locked and re-read, so a concurrent write
/// is never overwritten with older values.
pub async fn seal_clear_rows(tx: &mut TenantTx, limit: i64) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<(Uuid, StoredPerson)> = users::table
        .filter(
            users::tenant_id
                .eq(tenant)
                .and(users::email_sealed.is_null()),
        )
        .order(users::id)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((users::id, StoredPerson::as_select()))
        .load(tx.conn()?)
        .await?;
    let n = rows.len();
    if n == 0 {
        return Ok(0);
    }
    let keys = PersonalKeys::of(tx).await?;
    for (id, stored) in rows {
        let sealed = seal(&keys, id, &stored.open(&keys, id)?)?;
        diesel::update(users::table.filter(users::tenant_id.eq(tenant).and(users::id.eq(id))))
            .set(&sealed.columns)
            .execute(tx.conn()?)
            .await?;
        write_email_indexes(tx, id, &sealed).await?;
    }
    Ok(n)
}

/// How many rows of `tx`'s workspace still hold personal data in clear.
pub async fn count_clear_rows(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant = tx.tenant().0;
    Ok(users::table
        .filter(
            users::tenant_id
                .eq(tenant)
                .and(users::email_sealed.is_null()),
        )
        .count()
        .get_result(tx.conn()?)
        .await?)
}
