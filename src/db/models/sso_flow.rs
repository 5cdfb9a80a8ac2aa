//! SSO sign-ins in flight (requests sent to an IdP), SAML assertion ids already used, and
//! the links between IdP accounts and users.

use crate::db::personal_keys::PersonalKeys;
use crate::db::schema::{
    saml_seen_assertions as seen, sso_connections as sc, sso_identities as si, sso_requests as sr,
};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub struct NewRequest<'a> {
    pub state_hash: &'a str,
    pub connection: Uuid,
    pub browser_hash: &'a str,
    pub saml_request_id: Option<&'a str>,
    pub oidc_nonce: Option<&'a str>,
    pub request: &'a serde_json::Value,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_request(tx: &mut TenantTx, new: &NewRequest<'_>) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(sr::table)
        .values((
            sr::tenant_id.eq(tenant),
            sr::state_hash.eq(new.state_hash),
            sr::connection_id.eq(new.connection),
            sr::browser_hash.eq(new.browser_hash),
            sr::saml_request_id.eq(new.saml_request_id),
            sr::oidc_nonce.eq(new.oidc_nonce),
            sr::request.eq(new.request),
            sr::created_at.eq(new.now),
            sr::expires_at.eq(new.expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct RequestRow {
    pub connection_id: Uuid,
    pub browser_hash: String,
    pub saml_request_id: Option<String>,
    pub oidc_nonce: Option<String>,
    pub request: serde_json::Value,
}

/// Marks the live request with this state, started by this browser, used and returns it;
/// `None` if there is none (unknown, expired, already used, or another browser's: so a
/// leaked RelayState cannot burn someone else's sign-in).
pub async fn take_request(
    tx: &mut TenantTx,
    state_hash: &str,
    browser_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<RequestRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        sr::table
            .filter(sr::tenant_id.eq(tenant).and(sr::state_hash.eq(state_hash)))
            .filter(sr::browser_hash.eq(browser_hash))
            .filter(sr::used_at.is_null().and(sr::expires_at.gt(now))),
    )
    .set(sr::used_at.eq(now))
    .returning((
        sr::connection_id,
        sr::browser_hash,
        sr::saml_request_id,
        sr::oidc_nonce,
        sr::request,
    ))
    .get_result(tx.conn()?)
    .await
    .optional()?)
}

/// Records an assertion id until it expires; `false` when it was already recorded (replay).
pub async fn first_use_of_assertion(
    tx: &mut TenantTx,
    connection: Uuid,
    assertion_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::insert_into(seen::table)
        .values((
            seen::tenant_id.eq(tenant),
            seen::connection_id.eq(connection),
            seen::assertion_id.eq(assertion_id),
            seen::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

/// Removes what has expired: requests and remembered assertion ids.
pub async fn purge_expired(tx: &mut TenantTx, now: DateTime<Utc>) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    let a = diesel::delete(
        seen::table.filter(seen::tenant_id.eq(tenant).and(seen::expires_at.lt(now))),
    )
    .execute(tx.conn()?)
    .await?;
    let b = diesel::delete(sr::table.filter(sr::tenant_id.eq(tenant).and(sr::expires_at.lt(now))))
        .execute(tx.conn()?)
        .await?;
    Ok(a + b)
}

pub const IDENTITIES_TABLE: &str = "sso_identities";
pub const ATTRIBUTES_COLUMN: &str = "attributes_sealed";

/// The stored form of an IdP account's subject: its blind index (the subject names the
/// person, often by email address), bound to the connection.
fn subject_index(keys: &PersonalKeys, connection: Uuid, subject: &str) -> Result<String, DbError> {
    keys.index("ssoSubject", &format!("{connection}\u{0}{subject}"))
}

/// A link's stored form: its subject's blind index and its attributes sealed.
fn sealed_link(
    keys: &PersonalKeys,
    connection: Uuid,
    subject: &str,
    attributes: &serde_json::Value,
) -> Result<(String, String), DbError> {
    let index = subject_index(keys, connection, subject)?;
    let sealed = keys.seal(
        IDENTITIES_TABLE,
        ATTRIBUTES_COLUMN,
        &index,
        &attributes.to_string(),
    )?;
    Ok((index, sealed))
}

/// The user linked to `subject` at `connection` (a link still in clear is found too).
pub async fn linked_user(
    tx: &mut TenantTx,
    connection: Uuid,
    subject: &str,
) -> Result<Option<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let index = subject_index(&keys, connection, subject)?;
    Ok(si::table
        .filter(
            si::tenant_id
                .eq(tenant)
                .and(si::connection_id.eq(connection)),
        )
        .filter(
            si::subject
                .eq(index)
                .or(si::subject.eq(subject).and(si::attributes_sealed.is_null())),
        )
        .select(si::user_id)
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Links (or refreshes the link of) an IdP account with the groups and attributes of
/// this sign-in; a link still in clear is sealed on the way.
pub async fn upsert_identity(
    tx: &mut TenantTx,
    connection: Uuid,
    subject: &str,
    user: Uuid,
    groups: &serde_json::Value,
    attributes: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.forget_on_commit(crate::db::memory::Change::Authority(tx.tenant()));
    let tenant = tx.tenant().0;
    let keys = PersonalKeys::of(tx).await?;
    let (index, sealed) = sealed_link(&keys, connection, subject, attributes)?;
    let empty = serde_json::json!({});
    let of_connection = si::tenant_id
        .eq(tenant)
        .and(si::connection_id.eq(connection));
    let moved = diesel::update(
        si::table
            .filter(of_connection)
            .filter(si::subject.eq(subject).and(si::attributes_sealed.is_null())),
    )
    .set((
        si::subject.eq(&index),
        si::groups.eq(groups),
        si::attributes.eq(&empty),
        si::attributes_sealed.eq(&sealed),
        si::last_signin_at.eq(now),
    ))
    .execute(tx.conn()?)
    .await?;
    if moved == 1 {
        return Ok(());
    }
    diesel::insert_into(si::table)
        .values((
            si::tenant_id.eq(tenant),
            si::connection_id.eq(connection),
            si::subject.eq(&index),
            si::user_id.eq(user),
            si::groups.eq(groups),
            si::attributes.eq(&empty),
            si::attributes_sealed.eq(&sealed),
            si::created_at.eq(now),
            si::last_signin_at.eq(now),
        ))
        .on_conflict((si::tenant_id, si::connection_id, si::subject))
        .do_update()
        .set((
            si::groups.eq(groups),
            si::attributes_sealed.eq(&sealed),
            si::last_signin_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Groups and attributes from each of the user's IdP accounts (at their last sign-in),
/// through enabled connections only.
pub async fn claims_of_user(
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<Vec<(serde_json::Value, serde_json::Value, String)>, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<(
        serde_json::Value,
        serde_json::Value,
        Option<String>,
        String,
        String,
    )> = si::table
        .inner_join(
            sc::table.on(sc::id
                .eq(si::connection_id)
                .and(sc::tenant_id.eq(si::tenant_id))),
        )
        .filter(si::tenant_id.eq(tenant).and(si::user_id.eq(user)))
        .filter(sc::enabled.eq(true))
        .select((
            si::groups,
            si::attributes,
            si::attributes_sealed,
            si::subject,
            sc::configured_by,
        ))
        .load(tx.conn()?)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keys = PersonalKeys::of(tx).await?;
    rows.into_iter()
        .map(|(groups, clear, sealed, subject, by)| {
            let attributes = match sealed {
                Some(s) => open_attributes(&keys, &subject, &s)?,
                None => clear,
            };
            Ok((groups, attributes, by))
        })
        .collect()
}

fn open_attributes(
    keys: &PersonalKeys,
    index: &str,
    sealed: &str,
) -> Result<serde_json::Value, DbError> {
    let clear = keys.open(IDENTITIES_TABLE, ATTRIBUTES_COLUMN, index, sealed)?;
    serde_json::from_str(&clear).map_err(|_| DbError::Sealed("attributes that are not JSON".into()))
}

/// Seals up to `limit` links of `tx`'s workspace still in clear (written before personal
/// data was sealed): the subject becomes its blind index, the attributes a ciphertext.
/// Returns how many.
pub async fn seal_clear_identities(tx: &mut TenantTx, limit: i64) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    let rows: Vec<(Uuid, String, serde_json::Value)> = si::table
        .filter(
            si::tenant_id
                .eq(tenant)
                .and(si::attributes_sealed.is_null()),
        )
        .order((si::connection_id, si::subject))
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((si::connection_id, si::subject, si::attributes))
        .load(tx.conn()?)
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let keys = PersonalKeys::of(tx).await?;
    for (connection, subject, attributes) in &rows {
        let (index, sealed) = sealed_link(&keys, *connection, subject, attributes)?;
        diesel::update(
            si::table
                .filter(
                    si::tenant_id
                        .eq(tenant)
                        .and(si::connection_id.eq(connection)),
                )
                .filter(si::subject.eq(subject)),
        )
        .set((
            si::subject.eq(index),
            si::attributes.eq(serde_json::json!({})),
            si::attributes_sealed.eq(sealed),
        ))
        .execute(tx.conn()?)
        .await?;
    }
    Ok(rows.len())
}

/// How many links of `tx`'s workspace are still in clear.
pub async fn count_clear_identities(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant = tx.tenant().0;
    Ok(si::table
        .filter(
            si::tenant_id
                .eq(tenant)
                .and(si::attributes_sealed.is_null()),
        )
        .count()
        .get_result(tx.conn()?)
        .await?)
}

/// The IdP accounts linked to `user`: connection id and name, when it was linked and last
/// signed in.
pub async fn links_of_user(
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<Vec<(Uuid, String, DateTime<Utc>, DateTime<Utc>)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(si::table
        .inner_join(
            sc::table.on(sc::id
                .eq(si::connection_id)
                .and(sc::tenant_id.eq(si::tenant_id))),
        )
        .filter(si::tenant_id.eq(tenant).and(si::user_id.eq(user)))
        .order(si::created_at.asc())
        .select((sc::id, sc::name, si::created_at, si::last_signin_at))
        .load(tx.conn()?)
        .await?)
}

/// The accounts linked through a connection, each once.
pub async fn users_linked_through(
    tx: &mut TenantTx,
    connection: Uuid,
) -> Result<Vec<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    Ok(si::table
        .filter(
            si::tenant_id
                .eq(tenant)
                .and(si::connection_id.eq(connection)),
        )
        .select(si::user_id)
        .distinct()
        .load(tx.conn()?)
        .await?)
}

/// Unlinks every IdP account of a connection (its IdP changed: the same subject may now
/// be someone else).
pub async fn forget_identities(tx: &mut TenantTx, connection: Uuid) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::delete(
        si::table.filter(
            si::tenant_id
                .eq(tenant)
                .and(si::connection_id.eq(connection)),
        ),
    )
    .execute(tx.conn()?)
    .await?)
}
