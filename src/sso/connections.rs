//! SSO connections as workspace admins manage them: validation (a SAML connection needs IdP
//! metadata with a signing certificate; an OIDC one an https issuer), the domains each
//! serves (claimed by the workspace), secrets sealed under the platform key, and an audit
//! entry for every change. Secrets are write-only: the API never shows them.

pub use super::connection_input::ConnectionInput;
use super::connection_input::{bad, checked_domains, saml_metadata, settings_of};
use super::connection_reach::{check_power, require_delete_reach};
pub use super::connection_view::{get, list, view, ConnectionView};
use super::outbound::Outbound;
pub use super::settings::{urls, Urls};
use super::{sp_keys, SsoError};
use crate::admin::act::Act;
use crate::audit::Action;
use crate::crypto::{Envelope, SecretContext};
use crate::db::models::sso_connections::{self as model, ConnectionRow, DomainRow};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub use super::settings::{OidcSettings, SamlSettings, OIDC_CLIENT_SECRET, SAML_SP_KEY};

#[derive(Debug, Clone)]
pub enum Kind {
    Saml(SamlSettings),
    Oidc(OidcSettings),
}

/// A connection as sign-in uses it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: Uuid,
    pub tenant: TenantId,
    pub name: String,
    pub enabled: bool,
    pub password_signin_allowed: bool,
    pub idp_mfa_accepted: bool,
    /// Who last configured it: its IdP's assertions reach no further than they do.
    pub configured_by: String,
    pub kind: Kind,
}

impl Connection {
    fn from_row(tenant: TenantId, r: ConnectionRow) -> Result<Self, SsoError> {
        let kind = match r.kind.as_str() {
            "saml" => {
                Kind::Saml(serde_json::from_value(r.settings).map_err(|_| SsoError::Unavailable)?)
            }
            _ => Kind::Oidc(serde_json::from_value(r.settings).map_err(|_| SsoError::Unavailable)?),
        };
        Ok(Connection {
            id: r.id,
            tenant,
            name: r.name,
            enabled: r.enabled,
            password_signin_allowed: r.password_signin_allowed,
            idp_mfa_accepted: r.idp_mfa_accepted,
            configured_by: r.configured_by,
            kind,
        })
    }
}

pub async fn load(tx: &mut TenantTx, id: Uuid) -> Result<Connection, SsoError> {
    let row = model::get(tx, id).await?.ok_or(SsoError::NotFound)?;
    Connection::from_row(tx.tenant(), row)
}

/// Connection `id` of `tenant`, read in a transaction of its own (SP metadata).
pub async fn find(db: &crate::db::Db, tenant: TenantId, id: Uuid) -> Result<Connection, SsoError> {
    let mut tx = db.tenant_read(tenant).await?;
    let conn = load(&mut tx, id).await;
    tx.commit().await?;
    conn
}

/// Opens the connection's secret of `kind`.
pub async fn secret(
    tx: &mut TenantTx,
    envelope: &Envelope,
    connection: Uuid,
    kind: &str,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, SsoError> {
    let Some((row, sealed)) = model::secret(tx, connection, kind).await? else {
        return Ok(None);
    };
    let row = row.to_string();
    let ctx = secret_ctx(tx.tenant(), &row);
    envelope
        .for_tenant(tx)
        .await?
        .open(&ctx, &sealed)
        .map(Some)
        .map_err(|_| SsoError::Unavailable)
}

fn secret_ctx(tenant: TenantId, row: &str) -> SecretContext<'_> {
    SecretContext {
        tenant,
        table: model::SECRETS_TABLE,
        column: model::SECRETS_COLUMN,
        row,
    }
}

async fn put_secret(
    tx: &mut TenantTx,
    envelope: &Envelope,
    connection: Uuid,
    kind: &str,
    value: &[u8],
) -> Result<(), AppError> {
    let row = model::secret_row_id(tx, connection, kind)
        .await?
        .unwrap_or_else(Uuid::new_v4);
    let sealed = envelope
        .for_tenant(tx)
        .await?
        .seal(&secret_ctx(tx.tenant(), &row.to_string()), value)
        .map_err(AppError::internal)?;
    model::put_secret(tx, row, connection, kind, &sealed).await?;
    Ok(())
}

/// Where this service runs, how it reaches identity providers, and how often metadata
/// fetched from a URL is fetched again.
pub struct Site<'a> {
    pub public_url: &'a str,
    pub net: &'a Outbound,
    pub metadata_refresh: chrono::Duration,
}

/// When metadata from a URL is next fetched (none for pasted metadata or OIDC).
fn refresh_at(
    settings: &serde_json::Value,
    site: &Site<'_>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let url = settings.get("idp_metadata_url").and_then(|u| u.as_str());
    url.filter(|u| !u.is_empty())
        .map(|_| now + site.metadata_refresh)
}

fn audit_details(input: &ConnectionInput, domains: &[DomainRow], mfa: bool) -> serde_json::Value {
    json!({
        "kind": input.kind, "name": input.name.trim(), "enabled": input.enabled,
        "domains": domains, "password_signin_allowed": input.password_signin_allowed,
        "idp_mfa_accepted": mfa,
        "client_secret_changed": input.oidc.as_ref().is_some_and(|o| o.client_secret.is_some()),
    })
}

/// Every field a replace changes, by name (settings fields by their own names).
fn changed_fields(
    old: &model::ConnectionRow,
    new: &model::NewConnection<'_>,
    (old_domains, new_domains): (&[DomainRow], &[DomainRow]),
    input: &ConnectionInput,
) -> Vec<String> {
    let mut out: Vec<String> = [
        ("name", old.name != new.name),
        ("enabled", old.enabled != new.enabled),
        (
            "password_signin_allowed",
            old.password_signin_allowed != new.password_signin_allowed,
        ),
        (
            "idp_mfa_accepted",
            old.idp_mfa_accepted != new.idp_mfa_accepted,
        ),
        ("domains", old_domains != new_domains),
        (
            "client_secret",
            input
                .oidc
                .as_ref()
                .is_some_and(|o| o.client_secret.is_some()),
        ),
    ]
    .into_iter()
    .filter(|(_, c)| *c)
    .map(|(f, _)| f.to_string())
    .collect();
    if let (Some(a), Some(b)) = (old.settings.as_object(), new.settings.as_object()) {
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        out.extend(keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned());
    }
    out
}

fn stored_metadata(settings: &serde_json::Value) -> Option<(String, Option<String>)> {
    let md = settings
        .get("idp_metadata")?
        .as_str()
        .filter(|m| !m.is_empty())?;
    let url = settings.get("idp_metadata_url").and_then(|u| u.as_str());
    Some((md.to_string(), url.map(str::to_string)))
}

/// Creates a connection (and, for SAML, its SP key pair). 400 for invalid input.
pub async fn create(
    act: &Act<'_>,
    site: &Site<'_>,
    input: &ConnectionInput,
) -> Result<ConnectionView, AppError> {
    let (db, envelope, who, now) = (act.db, act.envelope, act.who, act.now);
    let mfa = input.idp_mfa_accepted.unwrap_or(false);
    check_power(db, who, input, mfa).await?;
    let metadata = saml_metadata(input, site.net).await?;
    let id = Uuid::new_v4();
    let keys = if input.kind == "saml" {
        let (pem, cert) = tokio::task::spawn_blocking(sp_keys::generate)
            .await
            .map_err(AppError::internal)?
            .map_err(|_| AppError::Unavailable)?;
        Some((pem, cert))
    } else {
        None
    };
    let (kind, settings) = settings_of(
        input,
        (metadata.as_ref(), None),
        (id, who.tenant),
        site.public_url,
        keys.as_ref().map(|k| k.1.clone()),
        site.net,
    )?;
    if kind == "oidc"
        && input
            .oidc
            .as_ref()
            .is_none_or(|o| o.client_secret.is_none())
    {
        return Err(bad("oidc.client_secret is required"));
    }
    let mut tx = db.tenant(who.tenant).await?;
    let doms = checked_domains(&mut tx, &input.domains).await?;
    let new = model::NewConnection {
        id,
        kind,
        name: input.name.trim(),
        enabled: input.enabled,
        password_signin_allowed: input.password_signin_allowed,
        idp_mfa_accepted: mfa,
        settings: &settings,
        configured_by: &who.actor,
        now,
        metadata_refresh_at: refresh_at(&settings, site, now),
    };
    model::insert(&mut tx, &new).await?;
    model::set_domains(&mut tx, id, &doms).await?;
    write_secrets(
        &mut tx,
        envelope,
        id,
        input,
        keys.as_ref().map(|k| &k.0[..]),
    )
    .await?;
    let target = format!("sso_connection:{id}");
    let details = audit_details(input, &doms, mfa);
    let ctx = act.context();
    ctx.record(&mut tx, Action::SsoConnectionCreated, &target, details)
        .await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let out = view(&mut tx, row, site.public_url).await?;
    tx.commit().await?;
    Ok(out)
}

async fn write_secrets(
    tx: &mut TenantTx,
    envelope: &Envelope,
    id: Uuid,
    input: &ConnectionInput,
    sp_key_pem: Option<&[u8]>,
) -> Result<(), AppError> {
    use secrecy::ExposeSecret;
    if let Some(secret) = input.oidc.as_ref().and_then(|o| o.client_secret.as_ref()) {
        let s = secret.expose_secret();
        if s.is_empty() || s.len() > 1024 {
            return Err(bad("oidc.client_secret must be 1 to 1024 characters"));
        }
        put_secret(tx, envelope, id, OIDC_CLIENT_SECRET, s.as_bytes()).await?;
    }
    if let Some(pem) = sp_key_pem {
        put_secret(tx, envelope, id, SAML_SP_KEY, pem).await?;
    }
    Ok(())
}

/// Replaces a connection's configuration; the kind cannot change, and the SAML SP key
/// pair and an unrepeated OIDC client secret are kept.
pub async fn replace(
    act: &Act<'_>,
    site: &Site<'_>,
    id: Uuid,
    input: &ConnectionInput,
) -> Result<ConnectionView, AppError> {
    let (db, envelope, who, now) = (act.db, act.envelope, act.who, act.now);
    let stored_mfa = {
        let mut tx = db.tenant_read(who.tenant).await?;
        let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        row.idp_mfa_accepted
    };
    let mfa = input.idp_mfa_accepted.unwrap_or(stored_mfa);
    check_power(db, who, input, mfa).await?;
    let metadata = saml_metadata(input, site.net).await?;
    let mut tx = db.tenant(who.tenant).await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let old_domains = model::domains(&mut tx, id).await?;
    if row.kind != input.kind {
        return Err(bad("the kind of a connection cannot change"));
    }
    let cert = row
        .settings
        .get("sp_cert_der")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    // No metadata given: the stored metadata stays (as a left-out OIDC secret does).
    let metadata = metadata.or_else(|| stored_metadata(&row.settings));
    let md = metadata.as_ref();
    let stored = Some(&row.settings);
    let place = (id, who.tenant);
    let (kind, settings) =
        settings_of(input, (md, stored), place, site.public_url, cert, site.net)?;
    let doms = checked_domains(&mut tx, &input.domains).await?;
    let new = model::NewConnection {
        id,
        kind,
        name: input.name.trim(),
        enabled: input.enabled,
        password_signin_allowed: input.password_signin_allowed,
        idp_mfa_accepted: mfa,
        settings: &settings,
        configured_by: &who.actor,
        now,
        metadata_refresh_at: refresh_at(&settings, site, now),
    };
    let changed = changed_fields(&row, &new, (&old_domains, &doms), input);
    model::update(&mut tx, &new).await?;
    model::set_domains(&mut tx, id, &doms).await?;
    write_secrets(&mut tx, envelope, id, input, None).await?;
    // Another IdP (or the same one under other keys) behind the same connection: its
    // subjects may be other people's, so no existing link survives.
    let idp_changed = super::idp_trust::is_another_idp(&row.settings, &settings);
    if idp_changed {
        crate::db::models::sso_flow::forget_identities(&mut tx, id).await?;
    }
    let mut details = audit_details(input, &doms, mfa);
    details["idp_changed"] = json!(idp_changed);
    details["changed"] = json!(changed);
    let target = format!("sso_connection:{id}");
    let ctx = act.context();
    ctx.record(&mut tx, Action::SsoConnectionUpdated, &target, details)
        .await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let out = view(&mut tx, row, site.public_url).await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn delete(act: &Act<'_>, id: Uuid) -> Result<(), AppError> {
    let who = act.who;
    let mut tx = act.db.tenant(who.tenant).await?;
    require_delete_reach(&mut tx, who, id).await?;
    if !model::delete(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    let target = format!("sso_connection:{id}");
    let ctx = act.context();
    ctx.record(&mut tx, Action::SsoConnectionDeleted, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}
