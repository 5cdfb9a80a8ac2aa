//! The client registry. Platform clients (CRM services and front ends) belong to the
//! platform pseudo-tenant; tenant clients (a workspace's integrations) to their tenant and
//! carry it in their id: `tc_<tenant uuid, 32 hex>_<random>`. Secrets are 256-bit random
//! values shown once and stored as SHA-256.

use crate::audit::Action;
use crate::audit::{AuditError, Context};
use crate::crypto::{random, Envelope};
use crate::db::models::clients::{self as model, ClientRow};
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use crate::jwt::Alg;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub const GRANT_TYPES: &[&str] = &[
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];
const SECRET_PREFIX: &str = "ics_";

#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub client_id: String,
    pub tenant_id: Option<TenantId>,
    pub name: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
    /// The audience this client answers to as a resource server (for introspection).
    pub resource_audience: Option<String>,
    pub signing_alg: Alg,
    pub access_token_ttl_secs: i64,
    pub created_at: DateTime<Utc>,
    /// A workspace application its workspace vouches for: no consent screen.
    pub trusted: bool,
}

impl Client {
    pub(super) fn from_row(row: ClientRow) -> Result<Self, ClientError> {
        let tenant = TenantId(row.tenant_id);
        Ok(Self {
            tenant_id: (tenant != TenantId::PLATFORM).then_some(tenant),
            signing_alg: row
                .signing_alg
                .parse()
                .map_err(|_| ClientError::Invalid("signing_alg"))?,
            access_token_ttl_secs: i64::from(row.access_token_ttl_secs),
            client_id: row.client_id,
            name: row.name,
            grant_types: row.grant_types,
            redirect_uris: row.redirect_uris,
            post_logout_redirect_uris: row.post_logout_redirect_uris,
            audiences: row.audiences,
            scopes: row.scopes,
            resource_audience: row.resource_audience,
            created_at: row.created_at,
            trusted: row.trusted,
        })
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// A person signing in to it is asked to consent first: a workspace's application the
    /// workspace has not marked as trusted. The platform's own clients are first party.
    pub fn asks_consent(&self) -> bool {
        self.tenant_id.is_some() && !self.trusted
    }

    /// The tenant whose transaction holds this client.
    pub fn owner(&self) -> TenantId {
        self.tenant_id.unwrap_or(TenantId::PLATFORM)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid client field: {0}")]
    Invalid(&'static str),
    #[error("no such client")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// What to register.
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    pub tenant: Option<TenantId>,
    /// Platform clients may choose their id (e.g. `crm-billing`); tenant clients get one.
    pub client_id: Option<String>,
    pub name: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
    pub resource_audience: Option<String>,
    pub signing_alg: Option<Alg>,
    pub access_token_ttl_secs: Option<i64>,
    /// A workspace application that asks no consent (see `crate::admin::client_actions`).
    pub trusted: bool,
}

/// `scheme://host[:port]` of an acceptable redirect URI: absolute, no fragment, no spaces
/// or quotes, https (plain http only for loopback development).
pub fn origin_of(uri: &str) -> Option<&str> {
    if uri.len() > 2000
        || uri.contains(['#', ' ', '"', '\'', ';', ','])
        || uri.chars().any(char::is_control)
    {
        return None;
    }
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://").filter(|_| is_loopback(uri)))?;
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if host_end == 0 {
        return None;
    }
    Some(&uri[..uri.len() - rest.len() + host_end])
}

/// Whether the URI's parsed host is a loopback name (`127.0.0.1`, `[::1]`, `localhost`):
/// never a string prefix, which `http://127.0.0.1.evil.example/` would pass.
fn is_loopback(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// The tenant a client id belongs to.
pub fn tenant_of(client_id: &str) -> TenantId {
    client_id
        .strip_prefix("tc_")
        .and_then(|rest| rest.get(..32))
        .and_then(|hex| uuid::Uuid::try_parse(hex).ok())
        .map(TenantId)
        .unwrap_or(TenantId::PLATFORM)
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", random::token::<32>())
}

fn valid_platform_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && !id.starts_with("tc_")
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

pub(super) async fn audit_client(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    action: Action,
    client_id: &str,
    details: serde_json::Value,
) -> Result<(), ClientError> {
    ctx.record(tx, action, &format!("client:{client_id}"), details)
        .await?;
    Ok(())
}

/// Registers a client as an operator (CLI) and returns it with its secret (shown once).
pub async fn create(
    db: &Db,
    envelope: &Envelope,
    spec: ClientSpec,
    max_ttl: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(Client, String), ClientError> {
    let ctx = Context::without_request(envelope, actor, now);
    register(db, spec, max_ttl, &ctx).await
}

/// The rules a client's settings follow, at registration and at every change.
pub(super) fn check(spec: &ClientSpec) -> Result<(), ClientError> {
    if !crate::text::is_plain(&spec.name, 200) {
        return Err(ClientError::Invalid("name"));
    }
    let grants = &spec.grant_types;
    if grants.is_empty() || grants.iter().any(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(ClientError::Invalid("grant_types"));
    }
    let mut names = spec.audiences.iter().chain(spec.scopes.iter());
    if names.any(|v| v.is_empty() || v.contains(' ')) {
        return Err(ClientError::Invalid("audiences or scopes"));
    }
    let mut uris = spec
        .redirect_uris
        .iter()
        .chain(spec.post_logout_redirect_uris.iter());
    if uris.any(|u| origin_of(u).is_none()) {
        return Err(ClientError::Invalid("redirect URIs"));
    }
    Ok(())
}

/// Registers a client and returns it with its secret (shown once), audited with `ctx`.
pub async fn register(
    db: &Db,
    spec: ClientSpec,
    max_ttl: i64,
    ctx: &Context<'_>,
) -> Result<(Client, String), ClientError> {
    let now = ctx.now;
    check(&spec)?;
    let ttl = spec.access_token_ttl_secs.unwrap_or(900);
    if !(30..=max_ttl.min(3600)).contains(&ttl) {
        return Err(ClientError::Invalid("access_token_ttl_secs"));
    }
    let owner = spec.tenant.unwrap_or(TenantId::PLATFORM);
    let client_id = match (spec.tenant, spec.client_id) {
        (Some(t), _) => format!("tc_{}_{}", t.0.simple(), random::token::<12>()),
        (None, Some(id)) if valid_platform_id(&id) => id,
        (None, Some(_)) => return Err(ClientError::Invalid("client_id")),
        (None, None) => format!("pc_{}", random::token::<12>()),
    };
    let row = ClientRow {
        tenant_id: owner.0,
        client_id: client_id.clone(),
        name: spec.name,
        grant_types: spec.grant_types,
        redirect_uris: spec.redirect_uris,
        post_logout_redirect_uris: spec.post_logout_redirect_uris,
        audiences: spec.audiences,
        scopes: spec.scopes,
        resource_audience: spec.resource_audience,
        signing_alg: spec.signing_alg.unwrap_or(Alg::EdDSA).as_str().to_string(),
        access_token_ttl_secs: i32::try_from(ttl)
            .map_err(|_| ClientError::Invalid("access_token_ttl_secs"))?,
        created_at: now,
        disabled_at: None,
        trusted: spec.trusted,
    };
    let secret = new_secret();
    let mut tx = db.tenant(owner).await?;
    if spec.tenant.is_some() {
        require_registered(&mut tx, &row.audiences).await?;
    }
    model::insert(&mut tx, &row).await?;
    model::add_secret(&mut tx, &client_id, &hash_secret(&secret), now).await?;
    let details =
        json!({"grant_types": row.grant_types, "audiences": row.audiences, "trusted": row.trusted});
    audit_client(&mut tx, ctx, Action::ClientCreated, &client_id, details).await?;
    tx.commit().await?;
    Ok((Client::from_row(row)?, secret))
}

/// The enabled client that `secret` authenticates.
/// An enabled client by id.
pub async fn get(db: &Db, client_id: &str) -> Result<Option<Client>, ClientError> {
    let mut tx = db.tenant_read(tenant_of(client_id)).await?;
    let row = model::find(&mut tx, client_id).await?;
    tx.commit().await?;
    row.map(Client::from_row).transpose()
}

pub async fn list(db: &Db, tenant: Option<TenantId>) -> Result<Vec<Client>, ClientError> {
    let mut tx = db.tenant(tenant.unwrap_or(TenantId::PLATFORM)).await?;
    let rows = model::list(&mut tx).await?;
    tx.commit().await?;
    rows.into_iter().map(Client::from_row).collect()
}

/// Adds a new secret as an operator (CLI); the old ones keep working for `overlap`.
pub async fn rotate_secret(
    db: &Db,
    envelope: &Envelope,
    client_id: &str,
    overlap: Duration,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<String, ClientError> {
    let ctx = Context::without_request(envelope, actor, now);
    rotate(db, client_id, overlap, &ctx).await
}

/// Adds a new secret; the old ones keep working for `overlap`. Audited with `ctx`.
pub async fn rotate(
    db: &Db,
    client_id: &str,
    overlap: Duration,
    ctx: &Context<'_>,
) -> Result<String, ClientError> {
    let now = ctx.now;
    let mut tx = db.tenant(tenant_of(client_id)).await?;
    if model::find(&mut tx, client_id).await?.is_none() {
        return Err(ClientError::NotFound);
    }
    model::expire_secrets(&mut tx, client_id, now + overlap).await?;
    let secret = new_secret();
    model::add_secret(&mut tx, client_id, &hash_secret(&secret), now).await?;
    let details = json!({"overlap_secs": overlap.num_seconds()});
    let action = Action::ClientSecretRotated;
    audit_client(&mut tx, ctx, action, client_id, details).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Deletes a client as an operator (CLI).
pub async fn delete(
    db: &Db,
    envelope: &Envelope,
    client_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), ClientError> {
    let ctx = Context::without_request(envelope, actor, now);
    remove(db, client_id, &ctx).await
}

/// Deletes a client: its secrets stop working and its tokens stop introspecting as active.
pub async fn remove(db: &Db, client_id: &str, ctx: &Context<'_>) -> Result<(), ClientError> {
    let mut tx = db.tenant(tenant_of(client_id)).await?;
    if !model::delete(&mut tx, client_id).await? {
        return Err(ClientError::NotFound);
    }
    audit_client(&mut tx, ctx, Action::ClientDeleted, client_id, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// Registration and change rule of a workspace application's audiences.
pub(super) async fn require_registered(
    tx: &mut TenantTx,
    audiences: &[String],
) -> Result<(), ClientError> {
    if super::resources::refused_audiences(tx, audiences)
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(ClientError::Invalid(
            "audiences: a workspace application may only hold the platform's registered resource servers",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_origins() {
        assert_eq!(
            origin_of("https://crm.example/cb?x=1"),
            Some("https://crm.example")
        );
        assert_eq!(
            origin_of("https://crm.example:8443"),
            Some("https://crm.example:8443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/cb"),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            origin_of("http://crm.example/cb"),
            None,
            "plain http only for loopback"
        );
        // Loopback by parsed host, never by prefix.
        assert_eq!(origin_of("http://[::1]:8080/cb"), Some("http://[::1]:8080"));
        assert_eq!(origin_of("http://localhost/cb"), Some("http://localhost"));
        for evil in [
            "http://127.0.0.1.evil.example/cb",
            "http://localhost.evil.example/cb",
            "http://localhostevil.example/cb",
            "http://127.0.0.1@evil.example/cb",
        ] {
            assert_eq!(origin_of(evil), None, "{evil}");
        }
        assert_eq!(origin_of("https://crm.example/cb#frag"), None);
        assert_eq!(origin_of("https://x.example/a b"), None);
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }

    #[test]
    fn tenant_is_read_from_tenant_client_ids_only() {
        let t = TenantId::new();
        assert_eq!(tenant_of(&format!("tc_{}_abc", t.0.simple())), t);
        assert_eq!(tenant_of("crm-billing"), TenantId::PLATFORM);
        assert_eq!(tenant_of("tc_nothex"), TenantId::PLATFORM);
    }
}
